"""Bench databases and the bulk loading of orders, shared by every script in ``bench/``.

``Database`` makes a fresh, empty database (a SQLite file, or a new database on a PostgreSQL
server, dropped afterwards unless kept). ``insert_orders`` adds orders by executemany in batches
of ``INSERT_BATCH``, one transaction per batch. ``load_portal_data`` fills a database the way
``make bench`` needs it: the demo catalogue grown to 1,000 reports (``catalogue.py``) and the
sign-ins, 200 subscribing organisations, 2,000 users and 100,000 orders, some of them set aside
for the scenarios that change orders.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

INSERT_BATCH = 5000
START = datetime(2026, 1, 1, tzinfo=UTC)
#: The password every bench account shares (hashed once, then copied).
BENCH_PASSWORD = "bench-password-not-secret"  # noqa: S105
SUBSCRIBERS = 200
USERS = 2_000
ORDERS = 100_000
CHECKOUT_ORDERS = 4_000  # pending card orders the checkout scenario pays for, one after another
WEBHOOK_ORDERS = 500  # pending card orders the webhook burst completes
LARGE_REPORT_SLUG = "bench-large-report"
ORDERED_REPORT_SLUG = "transformation-in-practice"
PDF_NET, PDF_VAT = 14_500, 2_900


class Database:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database on ``server_url``.

    The PostgreSQL database is named ``portal_bench_<random>`` unless ``name`` is given, and is
    dropped on exit unless ``keep`` is true.
    """

    def __init__(
        self,
        server_url: str | None,
        directory: str,
        orders: int,
        *,
        name: str | None = None,
        keep: bool = False,
    ):
        self.server_url, self.keep = server_url, keep
        self.name = name or f"portal_bench_{uuid.uuid4().hex[:10]}"
        self.url = f"sqlite:///{directory}/bench-{orders}.db"

    def __enter__(self) -> str:
        if self.server_url:
            import psycopg
            from sqlalchemy import make_url

            server = make_url(self.server_url)
            self._admin = server.set(drivername="postgresql").render_as_string(False)
            with psycopg.connect(self._admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{self.name}"')
            self.url = server.set(database=self.name).render_as_string(False)
        return self.url

    def __exit__(self, *exc: object) -> None:
        if self.server_url and not self.keep:
            import psycopg

            with psycopg.connect(self._admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@dataclass(frozen=True)
class LineShape:
    """One line every generated order carries: a format, its kind, quantity and unit price."""

    report_format_id: int
    kind: str
    quantity: int
    unit_pence: int
    vat_pence: int = 0
    report_title: str = "Modern public services"


@dataclass
class OrderShape:
    """How the ``n``-th generated order looks; each attribute is a constant or a function of n."""

    lines: Sequence[LineShape]
    state: Callable[[int], str] = lambda n: "paid"
    method: Callable[[int], str] = lambda n: "card"
    user_id: Callable[[int], int | None] = lambda n: None
    organisation: Callable[[int], str] = lambda n: f"Council {n % 400}"
    email: Callable[[int], str] = lambda n: f"buyer{n}@council.gov.uk"
    extra: dict[str, Any] = field(default_factory=dict)


def bulk_insert(session, model, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``model``'s table: by COPY on PostgreSQL, else by executemany."""
    from sqlalchemy import insert

    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(model), rows)
        return
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    names = ", ".join(columns)
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY {model.__tablename__} ({names}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([_plain(row[column]) for column in columns])


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def insert_orders(session, first: int, last: int, shape: OrderShape) -> None:
    """Insert orders ``first``..``last`` (their ids and references ``INS-2026-<n>``) in batches
    of ``INSERT_BATCH`` orders, one transaction each (COPY on PostgreSQL)."""
    from portal.orders.models import Order, OrderLine

    net = sum(line.unit_pence * line.quantity for line in shape.lines)
    vat = sum(line.vat_pence * line.quantity for line in shape.lines)
    for batch_start in range(first, last + 1, INSERT_BATCH):
        ids = range(batch_start, min(batch_start + INSERT_BATCH, last + 1))
        bulk_insert(
            session,
            Order,
            [
                {
                    "id": n,
                    "reference": f"INS-2026-{n:06d}",
                    "email": shape.email(n),
                    "name": f"Buyer {n}",
                    "organisation_name": shape.organisation(n),
                    "user_id": shape.user_id(n),
                    "state": shape.state(n),
                    "payment_method": shape.method(n),
                    "net_pence": net,
                    "vat_pence": vat,
                    "postage_pence": 0,
                    "total_pence": net + vat,
                    "created_at": START + timedelta(minutes=n),
                    **shape.extra,
                }
                for n in ids
            ],
        )
        bulk_insert(
            session,
            OrderLine,
            [
                {
                    "order_id": n,
                    "report_format_id": line.report_format_id,
                    "report_title": line.report_title,
                    "format_kind": line.kind,
                    "quantity": line.quantity,
                    "subscriber_quantity": 0,
                    "subscriber_unit_pence": 0,
                    "standard_unit_pence": line.unit_pence,
                    "net_pence": line.unit_pence * line.quantity,
                    "vat_rate_basis_points": 2000 if line.vat_pence else 0,
                    "vat_pence": line.vat_pence * line.quantity,
                    "total_pence": (line.unit_pence + line.vat_pence) * line.quantity,
                    "reason": "Standard price",
                }
                for n in ids
                for line in shape.lines
            ],
        )
        session.commit()


#: Stands in for each bench document's PDF: exports never read it, and 100,000 real ones would
#: only slow the load down.
BENCH_PDF = b"%PDF-1.4 bench document\n%%EOF\n"
#: Every this many paid orders, one is partly refunded (a credit note and a refund).
REFUND_EVERY = 20


def insert_documents(
    session,
    first: int,
    last: int,
    state: Callable[[int], str],
    total_pence: int,
    vat_pence: int = 0,
) -> None:
    """Give orders ``first``..``last`` (all of ``total_pence``, of which ``vat_pence`` VAT, in
    the state ``state(n)``) the
    documents and payments their state implies, numbered and dated as the portal would: a
    receipt and the card payment for a paid order (a twentieth of them partly refunded, with a
    credit note), an invoice for one awaiting payment, an invoice and the credit note that
    cancels it for a cancelled one. One transaction per ``INSERT_BATCH`` orders."""
    from portal.documents.models import Document
    from portal.documents.services import vat_share
    from portal.payments.models import CheckoutAttempt, Refund

    numbers = {"invoice": 0, "receipt": 0, "credit_note": 0}
    prefixes = {"invoice": "INV", "receipt": "RCT", "credit_note": "CRN"}
    document_id = 0

    def document(order: int, kind: str, total: int, credits: int | None = None) -> dict:
        nonlocal document_id
        document_id += 1
        numbers[kind] += 1
        placed = START + timedelta(minutes=order)
        # The VAT printed on it: the order's, or a credit note's share of it (negative).
        vat = vat_share(abs(total), vat_pence, total_pence) * (-1 if total < 0 else 1)
        return {
            "id": document_id,
            "order_id": order,
            "kind": kind,
            "sequence_number": numbers[kind],
            "number": f"{prefixes[kind]}-{numbers[kind]:06d}",
            "issued_on": placed.date(),
            "net_pence": total - vat,
            "vat_pence": vat,
            "total_pence": total,
            "credits_document_id": credits,
            "pdf": BENCH_PDF,
            "created_at": placed,
        }

    for batch_start in range(first, last + 1, INSERT_BATCH):
        documents, attempts, refunds = [], [], []
        for n in range(batch_start, min(batch_start + INSERT_BATCH, last + 1)):
            if state(n) in ("paid", "fulfilled"):
                receipt = document(n, "receipt", total_pence)
                documents.append(receipt)
                attempts.append(
                    {
                        "order_id": n,
                        "number": 1,
                        "stripe_session_id": f"cs_bench_{n}",
                        "status": "paid",
                        "amount_pence": total_pence,
                        "currency": "gbp",
                        "amount_paid_pence": total_pence,
                        "created_at": START + timedelta(minutes=n),
                        "paid_at": START + timedelta(minutes=n, seconds=30),
                    }
                )
                if n % REFUND_EVERY == 0:
                    note = document(n, "credit_note", -PDF_NET, receipt["id"])
                    documents.append(note)
                    refunds.append(
                        {
                            "order_id": n,
                            "amount_pence": PDF_NET,
                            "reason": "Bench",
                            "status": "succeeded",
                            "idempotency_key": f"bench-refund-{n}",
                            "requested_at": START + timedelta(minutes=n, seconds=40),
                            "credit_note_id": note["id"],
                        }
                    )
            elif state(n) == "awaiting_invoice_payment":
                documents.append(document(n, "invoice", total_pence))
            elif state(n) == "cancelled":
                invoice = document(n, "invoice", total_pence)
                documents += [invoice, document(n, "credit_note", -total_pence, invoice["id"])]
        bulk_insert(session, Document, documents)
        bulk_insert(session, CheckoutAttempt, attempts)
        bulk_insert(session, Refund, refunds)
        session.commit()


def reset_sequences(session) -> None:
    """After inserts with explicit ids, let PostgreSQL's next ids follow the largest one; and
    gather the planner's statistics, as autovacuum would soon after a load like this."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "reports",
        "orders",
        "order_lines",
        "users",
        "organisations",
        "documents",
        "checkout_attempts",
        "refunds",
    ):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )
    # Documents inserted with their numbers: each kind's next number follows the highest.
    session.execute(
        text(
            "UPDATE document_sequences s SET next_number = (SELECT coalesce(max("
            "sequence_number), 0) + 1 FROM documents d WHERE d.kind = s.kind)"
        )
    )
    session.execute(text("ANALYZE"))
    session.commit()


@dataclass
class BenchData:
    """What the scenarios need to know about the loaded data."""

    admin_email: str
    admin_password: str
    admin_totp_secret: str
    subscriber_email: str
    subscriber_password: str
    buyer_email: str
    buyer_password: str
    report_slug: str
    pdf_format_id: int
    checkout_references: list[str]
    webhook_order_ids: list[int]
    download_line_id: int
    organisations: list[str]


def _subscribers(session, today: date) -> list[str]:
    from sqlalchemy import insert

    from portal.demo.seed import financial_year_start
    from portal.organisations.models import InsightSubscription, Organisation, OrganisationDomain

    starts = financial_year_start(today)
    ends = starts.replace(year=starts.year + 1, month=3, day=31)
    names = [f"Bench Council {n}" for n in range(1, SUBSCRIBERS + 1)]
    first = 1000
    session.execute(
        insert(Organisation),
        [{"id": first + n, "name": name, "kind": "council"} for n, name in enumerate(names)],
    )
    session.execute(
        insert(OrganisationDomain),
        [{"organisation_id": first + n, "domain": f"bench{n}.gov.uk"} for n in range(len(names))],
    )
    session.execute(
        insert(InsightSubscription),
        [
            {"organisation_id": first + n, "starts_on": starts, "ends_on": ends, "notes": "Bench"}
            for n in range(len(names))
        ],
    )
    session.commit()
    return names


def _users(session) -> None:
    from sqlalchemy import insert

    from portal.accounts.models import User
    from portal.accounts.services import hash_password
    from portal.clock import utcnow

    hashed, now = hash_password(BENCH_PASSWORD), utcnow()
    session.execute(
        insert(User),
        [
            {
                "id": 10_000 + n,
                "email": f"user{n}@bench{n % SUBSCRIBERS}.gov.uk",
                "name": f"Bench User {n}",
                "organisation_name": f"Bench Council {n % SUBSCRIBERS + 1}",
                "password_hash": hashed,
                "email_verified_at": now,
                "session_token": uuid.uuid4().hex,
            }
            for n in range(USERS)
        ],
    )
    session.commit()


def _large_report(session, storage, pdf: bytes):
    from portal.catalogue.models import FormatKind, Report, ReportFormat

    report = Report(
        slug=LARGE_REPORT_SLUG,
        title="Bench: a large report",
        series="Bench",
        published_on=date(2026, 1, 1),
        summary="A report of about 20 MB, for measuring downloads.",
        is_published=False,  # never listed; only the order line below opens it
        pdf_file_key=f"reports/{LARGE_REPORT_SLUG}.pdf",
    )
    # Downloads are limited per line; the bench downloads it hundreds of times.
    report.formats = [ReportFormat(kind=FormatKind.PDF, price_pence=PDF_NET, download_limit=10**6)]
    session.add(report)
    storage.save(report.pdf_file_key, pdf)
    session.commit()
    return report.formats[0]


def load_portal_data(session, storage, large_pdf: bytes) -> BenchData:
    """Fill a migrated, empty database for ``make bench`` (in an app context)."""
    from unittest.mock import patch

    import pyotp
    from catalogue import grow_catalogue
    from sqlalchemy import select

    from portal.accounts.models import User
    from portal.catalogue.models import FormatKind, Report
    from portal.clock import today_in_london, utcnow
    from portal.demo.back_catalogue import TOPICS
    from portal.demo.seed import SIGN_INS, seed_demo

    today = today_in_london()
    # The demo's own few orders (at Northmere) are left out: they would take the ids and
    # references the generated orders are given, counting from 1.
    with patch("portal.demo.seed.seed_organisation_orders", lambda today: []):
        seed_demo(storage, today)
    session.commit()
    grow_catalogue(session, list(TOPICS))
    reset_sequences(session)
    admin, subscriber, buyer = SIGN_INS[0], SIGN_INS[1], SIGN_INS[2]
    admin_user = session.scalar(select(User).where(User.email == admin.email))
    admin_user.totp_secret = pyotp.random_base32()
    admin_user.totp_enabled_at = utcnow()
    buyer_id = session.scalar(select(User.id).where(User.email == buyer.email))
    session.commit()
    organisations = _subscribers(session, today)
    _users(session)

    # The report the orders are of: the founding report the earlier runs measured.
    report = session.scalar(select(Report).where(Report.slug == ORDERED_REPORT_SLUG))
    formats = {f.kind: f for f in report.formats}
    pdf, printed = formats[FormatKind.PDF], formats[FormatKind.PRINT]
    large = _large_report(session, storage, large_pdf)

    states = ("paid", "fulfilled", "fulfilled", "cancelled", "awaiting_invoice_payment")
    history_last = ORDERS - CHECKOUT_ORDERS - WEBHOOK_ORDERS - 1
    history = OrderShape(
        lines=[
            LineShape(pdf.id, "pdf", 1, PDF_NET, PDF_VAT, report.title),
            LineShape(printed.id, "print", 2, printed.price_pence, 0, report.title),
        ],
        state=lambda n: states[n % len(states)],
        method=lambda n: "invoice" if n % len(states) == 4 else "card",
        user_id=lambda n: 10_000 + n % USERS if n % 3 else None,
        organisation=lambda n: organisations[n % SUBSCRIBERS],
    )
    insert_orders(session, 1, history_last, history)
    order_vat = sum(line.vat_pence * line.quantity for line in history.lines)
    order_total = sum(line.unit_pence * line.quantity for line in history.lines) + order_vat
    insert_documents(session, 1, history_last, history.state, order_total, order_vat)
    pending = OrderShape(
        lines=[LineShape(pdf.id, "pdf", 1, PDF_NET, PDF_VAT, report.title)],
        state=lambda n: "pending_payment",
        user_id=lambda n: buyer_id,
        email=lambda n: buyer.email,
        organisation=lambda n: buyer.organisation,
    )
    checkout_first = history_last + 1
    webhook_first = checkout_first + CHECKOUT_ORDERS
    insert_orders(session, checkout_first, webhook_first - 1, pending)
    insert_orders(session, webhook_first, ORDERS - 1, pending)
    download = OrderShape(
        lines=[LineShape(large.id, "pdf", 1, PDF_NET, PDF_VAT, "Bench: a large report")],
        state=lambda n: "fulfilled",
        user_id=lambda n: buyer_id,
        email=lambda n: buyer.email,
        organisation=lambda n: buyer.organisation,
    )
    insert_orders(session, ORDERS, ORDERS, download)
    reset_sequences(session)
    from portal.orders.models import OrderLine

    download_line = session.scalar(select(OrderLine.id).where(OrderLine.order_id == ORDERS))
    return BenchData(
        admin_email=admin.email,
        admin_password=admin.password,
        admin_totp_secret=admin_user.totp_secret,
        subscriber_email=subscriber.email,
        subscriber_password=subscriber.password,
        buyer_email=buyer.email,
        buyer_password=buyer.password,
        report_slug=report.slug,
        pdf_format_id=pdf.id,
        checkout_references=[f"INS-2026-{n:06d}" for n in range(checkout_first, webhook_first)],
        webhook_order_ids=list(range(webhook_first, ORDERS)),
        download_line_id=download_line,
        organisations=organisations,
    )
