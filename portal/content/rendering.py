"""Markdown written by administrators, made into HTML that is safe to show to anyone.

Two libraries, each doing one job: markdown-it-py renders CommonMark with raw HTML turned off
(a ``<script>`` or ``<b>`` typed into a page shows as the text typed) and refuses
``javascript:``, ``vbscript:``, ``file:`` and ``data:`` links; nh3 (the Ammonia sanitiser) then
keeps only the tags, attributes, classes and link schemes listed here, so a mistake in the first
cannot put script into a page. Headings, paragraphs, lists, tables and links get GOV.UK Frontend's
classes on the way, so a page looks like the rest of the portal.

Some facts belong to configuration, not to the words staff write: they are *inserts*, named in
braces. ``{support-email}`` (and the other inline inserts) may stand anywhere in a line; a block
insert such as ``{cookie-table}`` stands on a line of its own and becomes a table drawn from the
settings, so the cookies page cannot drift from what the portal really sets; likewise
``{retention-table}``, drawn from the retention settings the daily erasing job applies. A new
insert is one more entry in ``BLOCK_INSERTS``.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

import nh3
from flask_login import config as login_config
from markdown_it import MarkdownIt
from markupsafe import Markup

Settings = Mapping[str, object]

_HEADING_CLASSES = {"h2": "govuk-heading-m", "h3": "govuk-heading-s", "h4": "govuk-heading-s"}
#: The class each opening token gets (headings are handled apart: their level changes too).
_CLASSES = {
    "paragraph_open": "govuk-body",
    "bullet_list_open": "govuk-list govuk-list--bullet",
    "ordered_list_open": "govuk-list govuk-list--number",
    "link_open": "govuk-link",
    "blockquote_open": "govuk-inset-text",
    "hr": "govuk-section-break govuk-section-break--m govuk-section-break--visible",
    "table_open": "govuk-table",
    "thead_open": "govuk-table__head",
    "tbody_open": "govuk-table__body",
    "tr_open": "govuk-table__row",
    "th_open": "govuk-table__header",
    "td_open": "govuk-table__cell",
}

_TAGS = {
    *("h2", "h3", "h4", "p", "ul", "ol", "li", "a", "strong", "em", "s", "code", "pre", "br"),
    *("blockquote", "hr", "table", "thead", "tbody", "tr", "th", "td"),
}
#: What the sanitiser lets through: the classes above, on their own tags, and nothing else.
_TAG_CLASSES = {
    "h2": {"govuk-heading-m"},
    "h3": {"govuk-heading-s"},
    "h4": {"govuk-heading-s"},
    "p": {"govuk-body"},
    "ul": {"govuk-list", "govuk-list--bullet"},
    "ol": {"govuk-list", "govuk-list--number"},
    "a": {"govuk-link"},
    "blockquote": {"govuk-inset-text"},
    "hr": {"govuk-section-break", "govuk-section-break--m", "govuk-section-break--visible"},
    "table": {"govuk-table"},
    "thead": {"govuk-table__head"},
    "tbody": {"govuk-table__body"},
    "tr": {"govuk-table__row"},
    "th": {"govuk-table__header"},
    "td": {"govuk-table__cell"},
}
#: Where a link may lead: the web, an email address or telephone number, or a page of this site.
_SAFE_LINK = re.compile(r"(https?://|mailto:|tel:|/(?!/)|#)", re.IGNORECASE)


def _only_safe_links(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: a link anywhere else (a relative oddity such as
    ``java%09script:``, or ``//other.example``) loses its address and stays as text."""
    if attribute == "href" and not _SAFE_LINK.match(value):
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes={"a": {"href", "title"}, "ol": {"start"}},
    tag_attribute_values={"th": {"scope": {"col"}}},
    allowed_classes=_TAG_CLASSES,
    url_schemes={"http", "https", "mailto", "tel"},
    attribute_filter=_only_safe_links,
)


def _govuk_classes(state) -> None:
    """A markdown-it core rule: GOV.UK Frontend's classes on what the page shows. A Markdown
    level-one heading becomes a level two: the page's title is its one ``h1``."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(max(int(token.tag[1]), 2), 4)
            token.tag = f"h{level}"
            if token.type == "heading_open":
                token.attrSet("class", _HEADING_CLASSES[token.tag])
            continue
        if token.type in ("th_open", "td_open"):
            token.attrs.pop("style", None)  # column alignment: inline styles break the CSP
        if token.type == "th_open":
            token.attrSet("scope", "col")
        if token.type in _CLASSES:
            token.attrSet("class", _CLASSES[token.type])
        for child in token.children or ():
            if child.type == "link_open":
                child.attrSet("class", _CLASSES["link_open"])


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True})
    md.enable(["table", "strikethrough", "replacements", "smartquotes"])
    md.disable("image")  # the Content-Security-Policy allows our own images only
    md.core.ruler.push("govuk_classes", _govuk_classes)
    return md


_MARKDOWN = _markdown()


# --- inserts ------------------------------------------------------------------------------------


def _duration(setting: timedelta | int | float) -> str:
    """A lifetime in words, as the settings hold it (seconds, or a timedelta)."""
    seconds = int(setting.total_seconds() if isinstance(setting, timedelta) else setting)
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


@dataclass(frozen=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


def cookies_set(settings: Settings) -> list[Cookie]:
    """Every cookie the portal sets, named and timed as the configuration says. Both are
    strictly necessary: the portal sets no analytics or advertising cookies."""
    session_life = _duration(settings["PERMANENT_SESSION_LIFETIME"])
    csrf_life = settings.get("WTF_CSRF_TIME_LIMIT")
    csrf = f" A form's security token lasts {_duration(csrf_life)}." if csrf_life else ""
    return [
        Cookie(
            name=str(settings.get("SESSION_COOKIE_NAME") or "session"),
            purpose=(
                "Keeps your basket, the details you type at checkout and, once you sign in, "
                "that you are signed in. It also carries the security token that proves a form "
                "was sent from this site (protection against cross-site request forgery)." + csrf
            ),
            lifetime=(
                f"Until you close your browser. A sign-in kept in it ends after {session_life} "
                "without use."
            ),
        ),
        Cookie(
            name=str(settings.get("REMEMBER_COOKIE_NAME") or login_config.COOKIE_NAME),
            purpose=(
                "Set only when you choose “Keep me signed in on this device” as you sign in: "
                "keeps you signed in after you close your browser."
            ),
            lifetime=f"{_duration(settings['REMEMBER_COOKIE_DURATION'])}, or until you sign out.",
        ),
    ]


def _cookie_table(settings: Settings) -> Markup:
    rows = Markup("").join(
        Markup(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">'
            "<code>{}</code></th>"
            '<td class="govuk-table__cell">{}</td><td class="govuk-table__cell">{}</td></tr>'
        ).format(cookie.name, cookie.purpose, cookie.lifetime)
        for cookie in cookies_set(settings)
    )
    return Markup(
        '<table class="govuk-table"><caption class="govuk-table__caption '
        'govuk-table__caption--m">Cookies this service sets</caption>'
        '<thead class="govuk-table__head"><tr class="govuk-table__row">'
        '<th scope="col" class="govuk-table__header">Name</th>'
        '<th scope="col" class="govuk-table__header">Purpose</th>'
        '<th scope="col" class="govuk-table__header">Expires</th></tr></thead>'
        '<tbody class="govuk-table__body">{}</tbody></table>'
    ).format(rows)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def retention_periods(settings: Settings) -> list[tuple[str, str]]:
    """What the portal keeps and for how long, as the retention settings say (the daily
    ``erase-expired-data`` job applies the same settings)."""
    return [
        (
            "Orders, invoices, receipts, credit notes and payments",
            "Six years, as HMRC requires of VAT records. When an account is closed or a guest's"
            " details are erased, the order is kept without the person's details.",
        ),
        (
            "A guest buyer's name, email address, postal addresses and phone number",
            f"{_plural(int(settings['RETENTION_GUEST_ORDER_YEARS']), 'year')} after the order.",
        ),
        (
            "Where each download was made from (IP address and browser)",
            f"{_plural(int(settings['RETENTION_DOWNLOAD_LOG_MONTHS']), 'month')} after the"
            " download.",
        ),
        (
            "Sign-in history (device, IP address)",
            f"{_plural(int(settings['RETENTION_SIGN_IN_MONTHS']), 'month')} after the device was"
            " last used.",
        ),
        (
            "Your account (name, email address, saved addresses)",
            "Until you close it. Closing it erases these at once.",
        ),
    ]


def _two_column_table(caption: str, headings: tuple[str, str], rows) -> Markup:
    body = Markup("").join(
        Markup(
            '<tr class="govuk-table__row"><th scope="row" class="govuk-table__header">{}</th>'
            '<td class="govuk-table__cell">{}</td></tr>'
        ).format(what, how_long)
        for what, how_long in rows
    )
    return Markup(
        '<table class="govuk-table"><caption class="govuk-table__caption '
        'govuk-table__caption--m">{}</caption>'
        '<thead class="govuk-table__head"><tr class="govuk-table__row">'
        '<th scope="col" class="govuk-table__header">{}</th>'
        '<th scope="col" class="govuk-table__header">{}</th></tr></thead>'
        '<tbody class="govuk-table__body">{}</tbody></table>'
    ).format(caption, *headings, body)


def _retention_table(settings: Settings) -> Markup:
    return _two_column_table(
        "How long we keep it", ("Information", "Kept for"), retention_periods(settings)
    )


def _markdown_text(value: object) -> str:
    """A setting's value as Markdown that shows it exactly (no emphasis, no links)."""
    return re.sub(r"([\\`*_{}\[\]()<>#+!|~&-])", r"\\\1", str(value))


def _support_email(settings: Settings) -> str:
    address = str(settings.get("SUPPORT_EMAIL") or "")
    return f"<{address}>" if "@" in address and ">" not in address else "us"


#: Inserts that may stand anywhere in a line: Markdown made from a setting.
INLINE_INSERTS: dict[str, tuple[str, Callable[[Settings], str]]] = {
    "support-email": ("the support email address, as a link", _support_email),
    "invoice-payment-days": (
        "the days an invoice allows for payment",
        lambda s: str(s["INVOICE_PAYMENT_DAYS"]),
    ),
    "supplier-name": (
        "the seller's name, as printed on invoices",
        lambda s: _markdown_text(s.get("SUPPLIER_NAME") or "Socitm"),
    ),
    "supplier-registered-office": (
        "the seller's registered office",
        lambda s: _markdown_text(s.get("SUPPLIER_REGISTERED_OFFICE") or ""),
    ),
}
#: Inserts that stand on a line of their own: HTML drawn from the settings.
BLOCK_INSERTS: dict[str, tuple[str, Callable[[Settings], Markup]]] = {
    "cookie-table": ("the table of cookies the portal sets", _cookie_table),
    "retention-table": ("the table of how long each kind of information is kept", _retention_table),
}

_INSERT = re.compile(r"\{([a-z][a-z0-9-]*)\}")


def insert_problems(body: str) -> list[str]:
    """What is wrong with the inserts named in ``body``: unknown names, and block inserts that
    do not stand on a line of their own."""
    problems = []
    known = sorted([*INLINE_INSERTS, *BLOCK_INSERTS])
    for line in body.splitlines():
        for name in _INSERT.findall(line):
            if name in BLOCK_INSERTS and line.strip() != f"{{{name}}}":
                problems.append(f"Put {{{name}}} on a line of its own")
            elif name not in BLOCK_INSERTS and name not in INLINE_INSERTS:
                listed = ", ".join(f"{{{k}}}" for k in known)
                problems.append(f"There is no insert called {{{name}}}: use one of {listed}")
    return list(dict.fromkeys(problems))


def _inline(line: str, settings: Settings) -> str:
    def replace(match: re.Match) -> str:
        found = INLINE_INSERTS.get(match.group(1))
        return found[1](settings) if found else match.group(0)

    return _INSERT.sub(replace, line)


def render_markdown(text: str) -> Markup:
    """Markdown as sanitised HTML, without inserts."""
    return Markup(_CLEANER.clean(_MARKDOWN.render(text)))  # noqa: S704  # nosec B704 (sanitised just now)


def render_page(body: str, settings: Settings) -> Markup:
    """A page's Markdown as HTML safe to show: inserts filled from ``settings``, then each run of
    Markdown between block inserts rendered and sanitised on its own."""
    parts: list[Markup] = []
    chunk: list[str] = []
    for line in body.splitlines():
        block = BLOCK_INSERTS.get(line.strip()[1:-1]) if line.strip().startswith("{") else None
        if block is None:
            chunk.append(_inline(line, settings))
            continue
        parts.append(render_markdown("\n".join(chunk)))
        parts.append(block[1](settings))
        chunk = []
    parts.append(render_markdown("\n".join(chunk)))
    return Markup("").join(parts)
