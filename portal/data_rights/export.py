"""A person's copy of everything the portal holds about them: one ZIP of JSON and CSV files, with
the PDFs of their orders' documents.

The archive is written to a spooled temporary file (in memory while small, on disk beyond
``SPOOL_BYTES``) a batch of rows at a time, so a person with ten thousand orders takes no more
memory than one with ten.
"""

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import defer

from portal.accounts.models import SignedInSession, User
from portal.addresses.models import SavedAddress
from portal.csv_safety import safe_row
from portal.data_rights.erasure import orders_of_person
from portal.documents.models import Document
from portal.downloads.models import Download
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.insight.models import InsightRequest
from portal.orders.models import Order, OrderLine
from portal.organisations.managers import managed_organisations
from portal.organisations.models import Organisation, SubscriptionContact
from portal.organisations.services import memberships_for_email

#: Past this size the archive being written moves from memory to a file on disk.
SPOOL_BYTES = 8 * 1024 * 1024
#: Rows read from the database at a time.
BATCH = 500

ORDER_COLUMNS = (
    "reference", "created_at", "state", "payment_method", "email", "name", "organisation_name",
    "net_pence", "vat_pence", "postage_pence", "total_pence", "po_number",
    "delivery_name", "delivery_organisation", "delivery_line1", "delivery_line2",
    "delivery_town", "delivery_postcode", "delivery_phone",
    "billing_organisation", "billing_line1", "billing_line2", "billing_town",
    "billing_postcode", "billing_phone", "finance_email",
)  # fmt: skip
LINE_COLUMNS = (
    "report_title", "format_kind", "quantity", "net_pence", "vat_pence", "total_pence",
    "reason", "dispatched_at", "refunded_at",
)  # fmt: skip
DOCUMENT_COLUMNS = ("number", "kind", "issued_on", "net_pence", "vat_pence", "total_pence")


@dataclass(frozen=True)
class Subject:
    """Whose data: a signed-in person (``user``), or a guest known only by the address their
    orders were placed with."""

    email: str
    orders: ColumnElement[bool]
    user: User | None = None

    @classmethod
    def person(cls, user: User) -> "Subject":
        return cls(user.email, orders_of_person(user), user)

    @classmethod
    def guest(cls, address: str) -> "Subject":
        address = address.strip().lower()
        return cls(
            address,
            Order.user_id.is_(None)
            & (func.lower(Order.email) == address)
            & Order.erased_at.is_(None),
        )


def archive_name(subject: Subject) -> str:
    return f"your-data-{subject.user.id if subject.user else 'orders'}.zip"


def write_archive(subject: Subject) -> SpooledTemporaryFile:
    """The archive of ``subject``, written and rewound, ready to send; the caller closes it."""
    spooled = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115  (returned open)
    with zipfile.ZipFile(spooled, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        about = _account(subject.user) if subject.user else {"email": subject.email}
        _write_json(archive, "account.json", about)
        orders = select(Order).where(subject.orders)
        _write_csv(archive, "orders.csv", ORDER_COLUMNS, _order_rows(orders))
        _write_csv(
            archive, "order_lines.csv", ("order_reference", *LINE_COLUMNS), _line_rows(orders)
        )
        documents = (
            select(Document, Order.reference)
            .join(Order, Document.order_id == Order.id)
            .where(subject.orders)
            .order_by(Document.id)
        )
        _write_csv(
            archive,
            "documents.csv",
            ("order_reference", *DOCUMENT_COLUMNS, "file"),
            _document_rows(documents.options(defer(Document.pdf))),
        )
        _write_pdfs(archive, documents)
        _write_csv(archive, "downloads.csv", *_downloads(subject, orders))
        _write_csv(archive, "emails.csv", *_emails(subject.email))
        if subject.user is not None:
            _write_csv(archive, "sign_ins.csv", *_sign_ins(subject.user))
            _write_csv(archive, "saved_addresses.csv", *_saved_addresses(subject.user))
        _write_csv(archive, "insight_requests.csv", *_insight_requests(subject))
    spooled.seek(0)
    return spooled


def _account(user: User) -> dict:
    memberships = memberships_for_email(user.email) if user.email_verified else []
    contacts = db.session.execute(
        select(Organisation.name, SubscriptionContact.role)
        .join(SubscriptionContact.organisation)
        .where(func.lower(SubscriptionContact.email) == user.email)
    ).all()
    return {
        "account": {
            "email": user.email,
            "name": user.name,
            "organisation": user.organisation_name,
            "created_at": _text(user.created_at),
            "email_verified_at": _text(user.email_verified_at),
            "last_signed_in_at": _text(user.last_signed_in_at),
            "two_factor_sign_in": user.totp_enabled_at is not None,
            "administrator": user.is_admin,
        },
        "organisations": {
            "member_of": [
                {"organisation": m.organisation_name, "matched_by": m.matched_by}
                for m in memberships
            ],
            "manager_of": [o.name for o in managed_organisations(user)],
            "subscription_contact_for": [
                {"organisation": name, "role": role} for name, role in contacts
            ],
        },
    }


def _order_rows(orders) -> Iterator[list]:
    for order in _batched(orders.order_by(Order.id)):
        yield [_text(getattr(order, column)) for column in ORDER_COLUMNS]


def _line_rows(orders) -> Iterator[list]:
    ids = orders.with_only_columns(Order.id).scalar_subquery()
    lines = (
        select(OrderLine, Order.reference)
        .join(Order, OrderLine.order_id == Order.id)
        .where(OrderLine.order_id.in_(ids))
        .order_by(OrderLine.id)
    )
    for line, reference in _batched_rows(lines):
        yield [reference, *(_text(getattr(line, column)) for column in LINE_COLUMNS)]


def _document_path(document: Document) -> str:
    return f"documents/{document.filename}"


def _document_rows(documents) -> Iterator[list]:
    for document, reference in _batched_rows(documents):
        cells = (_text(getattr(document, c)) for c in DOCUMENT_COLUMNS)
        yield [reference, *cells, _document_path(document)]


def _write_pdfs(archive: zipfile.ZipFile, documents) -> None:
    """Each document's PDF exactly as issued; a few at a time, so few are in memory at once."""
    for document, _reference in _batched_rows(documents, batch=20):
        archive.writestr(_document_path(document), document.pdf)


def _downloads(subject: Subject, orders):
    ids = orders.with_only_columns(Order.id).scalar_subquery()
    rows = (
        select(Download, OrderLine.report_title, Order.reference)
        .join(OrderLine, Download.order_line_id == OrderLine.id)
        .join(Order, OrderLine.order_id == Order.id)
        .where(
            or_(Download.user_id == subject.user.id, OrderLine.order_id.in_(ids))
            if subject.user
            else OrderLine.order_id.in_(ids)
        )
        .order_by(Download.id)
    )
    header = ("at", "order_reference", "report_title", "via", "ip_address", "user_agent")
    return header, (
        [_text(d.at), reference, title, d.via, d.ip_address, d.user_agent]
        for d, title, reference in _batched_rows(rows)
    )


def _table(statement, columns: dict[str, str]):
    """A CSV file's header and rows: ``columns`` maps each heading to the attribute it shows."""
    return tuple(columns), (
        [_text(getattr(row, attribute)) for attribute in columns.values()]
        for row in _batched(statement)
    )


def _emails(address: str):
    rows = select(OutboxEmail).where(func.lower(OutboxEmail.to_address) == address)
    columns = ("created_at", "sent_at", "status", "to_address", "subject", "body_text")
    return _table(rows.order_by(OutboxEmail.id), dict(zip(columns, columns, strict=True)))


def _sign_ins(user: User):
    rows = select(SignedInSession).where(SignedInSession.user_id == user.id)
    columns = {
        "signed_in_at": "created_at",
        "last_seen_at": "last_seen_at",
        "ended_at": "ended_at",
        "browser": "browser",
        "ip_address": "ip_address",
        "remembered": "remembered",
    }
    return _table(rows.order_by(SignedInSession.id), columns)


def _saved_addresses(user: User):
    rows = select(SavedAddress).where(SavedAddress.user_id == user.id)
    columns = ("organisation", "line1", "line2", "town", "postcode", "phone")
    return _table(rows.order_by(SavedAddress.id), dict(zip(columns, columns, strict=True)))


def _insight_requests(subject: Subject):
    by_address = func.lower(InsightRequest.email) == subject.email
    rows = select(InsightRequest).where(
        or_(InsightRequest.user_id == subject.user.id, by_address) if subject.user else by_address
    )
    columns = ("created_at", "topic", "name", "organisation_name", "email", "role", "message")
    return _table(rows.order_by(InsightRequest.id), dict(zip(columns, columns, strict=True)))


def _batched(statement, batch: int = BATCH) -> Iterator:
    """The statement's objects, read ``batch`` at a time and let go of after each batch."""
    for row in _batched_rows(statement, batch):
        yield row[0]


def _batched_rows(statement, batch: int = BATCH) -> Iterator:
    result = db.session.execute(statement.execution_options(yield_per=batch))
    for partition in result.partitions():
        yield from partition
        for row in partition:
            for item in row:
                if isinstance(item, db.Model) and item in db.session:
                    db.session.expunge(item)


def _text(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "value"):
        return str(value.value)
    return str(value)


def _write_json(archive: zipfile.ZipFile, name: str, data: dict) -> None:
    archive.writestr(name, json.dumps(data, indent=2, ensure_ascii=False))


def _write_csv(
    archive: zipfile.ZipFile, name: str, header: Iterable[str], rows: Iterable[list]
) -> None:
    with _text_member(archive, name) as text:
        writer = csv.writer(text)
        writer.writerow(header)
        for row in rows:
            writer.writerow(safe_row(row))


@contextmanager
def _text_member(archive: zipfile.ZipFile, name: str):
    """A file in the archive written as UTF-8 text, a little at a time."""
    with archive.open(name, "w", force_zip64=True) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        yield text
        text.flush()
        text.detach()
