"""Content pages' verbs: the version the public sees, every version kept, publishing a new one
(refused when the page changed since the editor opened it), and the versions a buyer accepts
with an order.

Services flush; the caller commits once.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.clock import london_datetime
from portal.content.models import ContentVersion, OrderAgreement
from portal.content.pages import AGREED_AT_CHECKOUT, ContentPage
from portal.content.rendering import insert_problems
from portal.extensions import db

TITLE_MAX = 120
BODY_MAX = 100_000
NOTE_MAX = 200


class ContentRefusal(Exception):
    """A change to a page that is refused; the message says why, in the editor's words."""


class EditConflict(ContentRefusal):
    """The page has a newer version than the one the editor opened: saving would overwrite it."""

    def __init__(self, page: ContentPage, newer: ContentVersion | None):
        self.newer = newer
        if newer is None:
            super().__init__(
                "The version you opened is no longer there. Your changes have not been saved: "
                "copy them, open the page again and make them there."
            )
            return
        who = author_name(newer)
        when = london_datetime(newer.published_at)
        super().__init__(
            f"Version {newer.number} of the {page.in_text} was published by {who} on "
            f"{when}, after you opened this page. Your changes have not been saved: copy them, "
            "open the page again and make them on the new version."
        )


class TermsChanged(Exception):
    """What the buyer read at checkout is no longer the version in force."""


def author_name(version: ContentVersion) -> str:
    """Who published a version, as the history shows it."""
    if version.author is None:
        return "an administrator whose account is closed"
    return version.author.name or version.author.email


def current_version(page: ContentPage) -> ContentVersion | None:
    """The version the public sees: the newest, or None before one is published."""
    return db.session.scalar(
        select(ContentVersion)
        .where(ContentVersion.page == page)
        .order_by(ContentVersion.number.desc())
        .limit(1)
    )


def current_versions(pages: Iterable[ContentPage]) -> dict[ContentPage, ContentVersion]:
    """The newest version of each page named that has one, in one query."""
    wanted = list(pages)
    newest = (
        select(ContentVersion.page, func.max(ContentVersion.number).label("number"))
        .where(ContentVersion.page.in_(wanted))
        .group_by(ContentVersion.page)
        .subquery()
    )
    found = db.session.scalars(
        select(ContentVersion).join(
            newest,
            (ContentVersion.page == newest.c.page) & (ContentVersion.number == newest.c.number),
        )
    )
    return {version.page: version for version in found}


def versions(page: ContentPage) -> list[ContentVersion]:
    """Every version of a page, newest first."""
    return list(
        db.session.scalars(
            select(ContentVersion)
            .where(ContentVersion.page == page)
            .order_by(ContentVersion.number.desc())
        )
    )


def version(page: ContentPage, number: int) -> ContentVersion | None:
    return db.session.scalar(
        select(ContentVersion).where(ContentVersion.page == page, ContentVersion.number == number)
    )


@dataclass(frozen=True)
class Draft:
    """What an administrator wrote, and the version they started from (None for a page with no
    version yet)."""

    title: str
    body: str
    note: str
    based_on: int | None


def problems(draft: Draft) -> dict[str, str]:
    """What is wrong with a draft, by field; empty when it may be published."""
    found = {}
    if not draft.title.strip():
        found["title"] = "Enter a title"
    elif len(draft.title) > TITLE_MAX:
        found["title"] = f"The title must be {TITLE_MAX} characters or fewer"
    if not draft.body.strip():
        found["body"] = "Enter the page's text"
    elif len(draft.body) > BODY_MAX:
        found["body"] = f"The text must be {BODY_MAX:,} characters or fewer"
    elif inserts := insert_problems(draft.body):
        found["body"] = inserts[0]
    if len(draft.note) > NOTE_MAX:
        found["note"] = f"Say what changed in {NOTE_MAX} characters or fewer"
    return found


def publish(actor, page: ContentPage, draft: Draft) -> ContentVersion:
    """Publish ``draft`` as the page's next version, written to the audit log.

    Refused (``ContentRefusal``) when the draft has a problem or changes nothing, and
    (``EditConflict``) when the page's newest version is not the one the draft started from: two
    people editing at once never overwrite each other. The unique (page, number) decides a race
    that both checks pass, so the later save is refused whatever the timing.
    """
    if found := problems(draft):
        raise ContentRefusal(next(iter(found.values())))
    current = current_version(page)
    if (current.id if current else None) != draft.based_on:
        raise EditConflict(page, current)
    title, body = draft.title.strip(), draft.body.strip() + "\n"
    if current is not None and (current.title, current.body) == (title, body):
        raise ContentRefusal("You have not changed anything, so there is nothing to publish")
    new = ContentVersion(
        page=page,
        number=current.number + 1 if current else 1,
        title=title,
        body=body,
        note=draft.note.strip(),
        author_user_id=getattr(actor, "id", None),
    )
    try:
        # The savepoint first: opening it flushes what is pending, which must not be the row.
        with db.session.begin_nested():
            db.session.add(new)
            db.session.flush()
    except IntegrityError:
        raise EditConflict(page, current_version(page)) from None
    audit.record(
        actor,
        "content.publish",
        "content_page",
        page.value,
        before={"version": current.number} if current else {},
        after={"version": new.number, "title": new.title, "note": new.note},
    )
    return new


# --- agreement at checkout ----------------------------------------------------------------------


def form_field(page: ContentPage) -> str:
    """The name of the checkout form's hidden field that carries the version the buyer read."""
    return f"accepted_{page.value}"


def versions_to_accept() -> list[ContentVersion]:
    """The versions a buyer accepts by placing an order now, in the order they are named."""
    found = current_versions(AGREED_AT_CHECKOUT)
    return [found[page] for page in AGREED_AT_CHECKOUT if page in found]


def accepted_at_checkout(shown: Mapping[str, str]) -> list[ContentVersion]:
    """The versions the buyer accepts, given the review form's hidden fields (the version ids
    the page showed). A form without them accepts the versions in force.

    Raises ``TermsChanged`` when a version shown is no longer the one in force (published while
    the buyer was reading), or the field is not a version id at all: the buyer reads the new
    one and places the order again.
    """
    in_force = versions_to_accept()
    for current in in_force:
        given = shown.get(form_field(current.page))
        if given is not None and given != str(current.id):
            raise TermsChanged(
                f"Our {current.page.in_text} changed while you were checking your order. "
                f"Read version {current.number}, then place your order again. "
                "You have not been charged."
            )
    return in_force


def record_agreement(order, accepted: Iterable[ContentVersion]) -> None:
    """Record with ``order`` the versions its buyer accepted."""
    db.session.add_all(
        OrderAgreement(order_id=order.id, content_version_id=version.id) for version in accepted
    )
    db.session.flush()


def agreements_of(order_id: int) -> list[OrderAgreement]:
    """The versions accepted with an order, in the order checkout names the pages."""
    found = db.session.scalars(
        select(OrderAgreement).where(OrderAgreement.order_id == order_id)
    ).all()
    rank = {page: n for n, page in enumerate(AGREED_AT_CHECKOUT)}
    return sorted(found, key=lambda a: rank.get(a.version.page, len(rank)))
