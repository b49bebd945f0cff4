"""Requests to join, renew or ask about Insight: sent from the public "What Insight is" page,
emailed to Socitm's subscriptions team, and worked through by administrators — new, then
contacted, then won or lost — each step recorded with who took it, when, and a note.

Services flush; the caller commits.
"""

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal import audit
from portal.email import send_email
from portal.extensions import db
from portal.insight.models import (
    InsightRequest,
    InsightRequestEvent,
    RequestState,
    RequestTopic,
)
from portal.organisations.services import memberships_for_email

#: The changes of state an administrator may make: a request that is won or lost stays so.
ALLOWED: dict[RequestState, frozenset[RequestState]] = {
    RequestState.NEW: frozenset({RequestState.CONTACTED, RequestState.WON, RequestState.LOST}),
    RequestState.CONTACTED: frozenset({RequestState.WON, RequestState.LOST}),
    RequestState.WON: frozenset(),
    RequestState.LOST: frozenset(),
}
#: The states that still need someone to act.
OPEN_STATES = frozenset({RequestState.NEW, RequestState.CONTACTED})
PER_PAGE = 50


@dataclass(frozen=True)
class RequestDetails:
    """What the person typed into the request form (already checked by the form)."""

    topic: RequestTopic
    name: str
    organisation_name: str
    email: str
    role: str
    message: str


class StepRefused(Exception):
    """The step cannot be taken (a change of state from the wrong state, or nothing to record)."""


def request_for_key(request_key: str) -> InsightRequest | None:
    return db.session.scalar(
        select(InsightRequest).where(InsightRequest.request_key == request_key)
    )


def submit_request(details: RequestDetails, request_key: str, user=None) -> InsightRequest:
    """Record a request and email it to Socitm's subscriptions address (after the commit).

    ``request_key`` is the form's one-time key: a form posted twice (a double click, a reload)
    finds the request the first post made and sends nothing more. The request is linked to the
    organisation its address belongs to, when the portal knows one, so administrators see it
    beside that organisation's subscription; the link decides nothing about prices.
    """
    existing = request_for_key(request_key)
    if existing is not None:
        return existing
    email = details.email.strip().lower()
    found = memberships_for_email(email)
    made = InsightRequest(
        request_key=request_key,
        topic=details.topic,
        name=details.name,
        organisation_name=details.organisation_name,
        email=email,
        role=details.role,
        message=details.message,
        organisation_id=found[0].organisation_id if found else None,
        user_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None,
        state=RequestState.NEW,
    )
    try:
        with db.session.begin_nested():
            db.session.add(made)
    except IntegrityError:
        # The same form's other post got there first, between our look and our write.
        return db.session.scalars(
            select(InsightRequest).where(InsightRequest.request_key == request_key)
        ).one()
    send_email(
        "insight_request",
        current_app.config["INSIGHT_SUBSCRIPTIONS_EMAIL"],
        limited=False,  # always to Socitm's own address; the form's own limit applies
        insight_request=made,
    )
    db.session.flush()
    return made


def take_step(
    insight_request: InsightRequest, to_state: RequestState | None, note: str, by
) -> InsightRequestEvent:
    """Record an administrator's step on a request: a change of state (only as ``ALLOWED``
    says), a note, or both. Raises StepRefused, changing nothing, otherwise."""
    note = note.strip()
    from_state = insight_request.state
    if to_state == from_state:
        to_state = None
    if to_state is not None and to_state not in ALLOWED[from_state]:
        raise StepRefused(
            f"A request that is {from_state.label.lower()} cannot be marked "
            f"{to_state.label.lower()}"
        )
    if to_state is None and not note:
        raise StepRefused("Choose a new state or write a note")
    event = InsightRequestEvent(
        request=insight_request,
        by_user_id=by.id,
        from_state=from_state if to_state else None,
        to_state=to_state,
        note=note,
    )
    db.session.add(event)
    if to_state is not None:
        insight_request.state = to_state
    audit.record(
        by,
        "insight_request.step",
        "insight_request",
        insight_request.id,
        before={"state": from_state.value},
        after={"state": insight_request.state.value},
        note=note,
    )
    db.session.flush()
    return event


@dataclass(frozen=True)
class RequestPage:
    requests: list[InsightRequest]
    page: int
    pages: int
    total: int


def find_requests(state: RequestState | None = None, page: int = 1) -> RequestPage:
    """Requests newest first, only those in ``state`` when given; a page past the last shows
    the last."""
    query = select(InsightRequest)
    if state is not None:
        query = query.where(InsightRequest.state == state)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.scalars(
        query.order_by(InsightRequest.created_at.desc(), InsightRequest.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return RequestPage(requests=list(rows), page=page, pages=pages, total=total)


def request_with_history(request_id: int) -> InsightRequest | None:
    return db.session.scalar(
        select(InsightRequest)
        .where(InsightRequest.id == request_id)
        .options(selectinload(InsightRequest.events).selectinload(InsightRequestEvent.by))
    )


def requests_of(organisation_ids: list[int]) -> dict[int, list[InsightRequest]]:
    """Each organisation's requests, newest first."""
    found: dict[int, list[InsightRequest]] = {}
    if not organisation_ids:
        return found
    rows = db.session.scalars(
        select(InsightRequest)
        .where(InsightRequest.organisation_id.in_(organisation_ids))
        .order_by(InsightRequest.created_at.desc(), InsightRequest.id.desc())
    )
    for row in rows:
        found.setdefault(row.organisation_id, []).append(row)
    return found
