"""The audit log in the words of the interface: "£120.00", "0%", "Complete", the organisation's
name, never pence, basis points, enum values or ids.

The log keeps what the services recorded (plain JSON, for the record and for exports); this
module only decides how the administrators' audit page reads it, so a change of wording never
rewrites history.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.clock import london_datetime, long_date
from portal.extensions import db
from portal.money import format_basis_points, format_pence
from portal.orders.models import OrderState, PaymentMethod
from portal.organisations.models import Organisation, OrganisationKind
from portal.payments.models import RefundMethod
from portal.pricing import FormatKind

#: What each action is called on the audit page.
ACTIONS = {
    "format.create": "Format added",
    "format.remove": "Format removed",
    "format.update": "Format changed",
    "job.remove": "Failed job removed",
    "job.retry": "Failed job tried again",
    "order.add_po_number": "Purchase order number added",
    "order.approve_credit": "Credit approved",
    "order.cancel": "Order cancelled",
    "order.cancel_by_buyer": "Order cancelled by the buyer",
    "order.clear_attention": "Attention cleared",
    "order.mark_dispatched": "Marked dispatched",
    "order.mark_invoice_paid": "Invoice marked paid",
    "order.refund": "Refund",
    "order.refund_repaid": "Failed refund repaid",
    "order.refund_repay_by_card": "Failed refund sent to the card again",
    "order.resend_email": "Email sent again",
    "order.reset_downloads": "Downloads reset",
    "organisation.add_domain": "Domain added",
    "organisation.add_member": "Member added",
    "organisation.add_subscription": "Subscription added",
    "organisation.create": "Organisation added",
    "organisation.import": "Organisations imported",
    "organisation.put_on_stop": "Put on stop",
    "organisation.remove_domain": "Domain removed",
    "organisation.remove_member": "Member removed",
    "organisation.take_off_stop": "Taken off stop",
    "organisation.update": "Organisation changed",
    "organisation.update_subscription": "Subscription changed",
    "outbox.send_held": "Held email sent",
    "public_sector_domain.add": "Public-sector domain added",
    "public_sector_domain.remove": "Public-sector domain removed",
    "report.create": "Report added",
    "report.update": "Report changed",
    "report.upload_cover": "Cover image uploaded",
    "report.upload_pdf": "Report PDF uploaded",
    "user.confirm_admin": "Administrator confirmed",
    "user.create_admin": "Administrator created",
    "user.make_admin": "Made an administrator",
    "user.remove_admin": "No longer an administrator",
    "user.two_factor_wrong_code": "Wrong sign-in code",
}

#: What each recorded field is called, where its name alone would not say it.
FIELDS = {
    "slug": "Web address name",
    "is_published": "Published",
    "published_on": "Publication date",
    "sample_pages": "Sample pages",
    "price_pence": "Standard price",
    "subscriber_price_pence": "Subscriber price",
    "vat_rate_basis_points": "VAT rate",
    "free_copies_per_organisation": "Free printed copies per organisation",
    "stock": "Copies in stock",
    "postage_pence": "Postage",
    "max_copies_per_order": "Most printed copies per order",
    "download_limit": "Downloads allowed per order line",
    "page_limit": "Pages allowed in the report PDF",
    "kind": "Kind",
    "pdf_file_key": "Report PDF",
    "cover_image_key": "Cover image",
    "removed": "Removed from the PDF",
    "state": "State",
    "po_number": "Purchase order number",
    "downloads_released_at": "Downloads released",
    "downloads_counted_from": "Downloads counted from",
    "amount_pence": "Amount",
    "left_pence": "Left to refund",
    "refunded_pence": "Refunded",
    "method": "Method",
    "starts_on": "Starts",
    "ends_on": "Ends",
    "on_stop": "On stop",
    "organisation_id": "Organisation",
}

#: Fields that hold only a row's id, which says nothing on the page (the entry names its order,
#: report or organisation already).
HIDDEN = frozenset({"refund_id", "repayment_id", "invoice_copy", "subscription", "line"})

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@dataclass(frozen=True)
class Change:
    """One field of an entry: its name, and its value before and after (None: not recorded)."""

    field: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class AuditRow:
    """An audit entry as the page shows it."""

    at: datetime
    who: str
    what: str
    target: str
    note: str
    changes: list[Change]


def action_words(action: str) -> str:
    """``"order.mark_dispatched"`` → ``"Marked dispatched"``; an action without words of its
    own is spelt out from its name (``"export.orders"`` → ``"Export: orders"``)."""
    if action in ACTIONS:
        return ACTIONS[action]
    subject, _, verb = action.partition(".")
    return f"{subject.replace('_', ' ').capitalize()}: {verb.replace('_', ' ')}"


def field_words(name: str) -> str:
    if name in FIELDS:
        return FIELDS[name]
    return name.removesuffix("_pence").replace("_", " ").capitalize()


def value_words(name: str, value, target_type: str = "", names: dict | None = None) -> str:
    """A recorded value as the interface shows it."""
    if value is None or value == "":
        return "None"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and name.endswith("_pence"):
        return format_pence(value)
    if isinstance(value, int) and name.endswith("_basis_points"):
        return format_basis_points(value)
    if name == "organisation_id" and names is not None:
        return names.get(("organisation", str(value)), "An organisation no longer listed")
    if name.endswith("_key"):
        return "A file"
    if name == "lines" and isinstance(value, list):
        return f"{len(value)} line{'' if len(value) == 1 else 's'}"
    if name == "lines" and isinstance(value, dict):
        copies = sum(int(n) for n in value.values())
        return f"{copies} cop{'y' if copies == 1 else 'ies'} on {len(value)} line" + (
            "" if len(value) == 1 else "s"
        )
    if isinstance(value, list):
        return "; ".join(value_words(name, item, target_type, names) for item in value) or "None"
    if isinstance(value, dict):
        return "; ".join(
            f"{field_words(k)}: {value_words(k, v, target_type, names)}" for k, v in value.items()
        )
    if isinstance(value, str):
        return _enum_words(name, value, target_type) or _date_words(value) or value
    return str(value)


def _enum_words(name: str, value: str, target_type: str) -> str | None:
    enum = {
        "state": OrderState,
        "method": RefundMethod if target_type == "order" else PaymentMethod,
        "payment_method": PaymentMethod,
        "kind": OrganisationKind if target_type == "organisation" else FormatKind,
    }.get(name)
    try:
        return enum(value).label if enum else None
    except ValueError:
        return None


def _date_words(value: str) -> str | None:
    try:
        if _MOMENT.match(value):
            return london_datetime(datetime.fromisoformat(value))
        if _DATE.fullmatch(value):
            return long_date(date.fromisoformat(value))
    except ValueError:
        return None
    return None


def _names(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The names of the organisations and people the entries refer to by id, read at once."""
    organisation_ids, user_ids = set(), set()
    for entry in entries:
        if entry.target_type == "organisation" and entry.target_id.isdigit():
            organisation_ids.add(int(entry.target_id))
        if entry.target_type == "user" and entry.target_id.isdigit():
            user_ids.add(int(entry.target_id))
        for values in (entry.before or {}, entry.after or {}):
            if isinstance(values.get("organisation_id"), int):
                organisation_ids.add(values["organisation_id"])
    names: dict[tuple[str, str], str] = {}
    if organisation_ids:
        rows = db.session.execute(
            select(Organisation.id, Organisation.name).where(Organisation.id.in_(organisation_ids))
        )
        names |= {("organisation", str(id_)): name for id_, name in rows}
    if user_ids:
        rows = db.session.execute(select(User.id, User.email).where(User.id.in_(user_ids)))
        names |= {("user", str(id_)): email for id_, email in rows}
    return names


def _target(entry: AuditEntry, names: dict) -> str:
    kind = entry.target_type.replace("_", " ").capitalize()
    if entry.target_type in ("organisation", "user"):
        name = names.get((entry.target_type, entry.target_id))
        return f"{kind} {name}" if name else f"{kind} no longer listed"
    if entry.target_type in ("job", "outbox_email"):
        return kind
    return f"{kind} {entry.target_id}"


def _changes(entry: AuditEntry, names: dict) -> list[Change]:
    before, after = entry.before or {}, entry.after or {}
    changes = []
    for name in [*before, *(k for k in after if k not in before)]:
        if name in HIDDEN or (name.endswith("_id") and name != "organisation_id"):
            continue
        if name in before and name in after and before[name] == after[name]:
            continue  # recorded on both sides and unchanged: not a change
        if name.endswith("_key") and before.get(name) and after.get(name):
            changes.append(Change(field_words(name), "The previous file", "A new file"))
            continue
        changes.append(
            Change(
                field_words(name),
                value_words(name, before[name], entry.target_type, names)
                if name in before
                else None,
                value_words(name, after[name], entry.target_type, names) if name in after else None,
            )
        )
    return changes


def audit_rows(entries: list[AuditEntry]) -> list[AuditRow]:
    """The entries as the audit page shows them."""
    names = _names(entries)
    return [
        AuditRow(
            at=entry.at,
            who=entry.actor_email or "The portal",
            what=action_words(entry.action),
            target=_target(entry, names),
            note=entry.note,
            changes=_changes(entry, names),
        )
        for entry in entries
    ]
