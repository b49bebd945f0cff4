"""Orders and downloads as CSV, streamed a batch of rows at a time, read across features (an
order's lines, its documents and payments, the downloads of its PDFs).

Exports read plain columns (never ORM objects with relationships) through ``yield_per``, which
fetches from a server-side cursor on PostgreSQL and with ``fetchmany`` on SQLite, so memory stays
the same whatever the number of rows. Every cell goes through ``portal.csv_safety``. States,
payment methods and formats are written with the labels the administrators' pages show.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from sqlalchemy import DateTime, String, func, select, type_coerce
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.admin.reconciliation import NOTHING, NUMBER_SEPARATOR, money_by_order, money_rows
from portal.clock import LONDON
from portal.csv_safety import csv_rows, safe_cell, safe_row
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.organisations.models import Organisation
from portal.pricing import FormatKind

#: Rows fetched from the database at a time (and written to the response as one chunk).
BATCH_SIZE = 1000

ORDER_HEADER = (
    "Reference",
    "Placed at (London)",
    "State",
    "Payment method",
    "Buyer name",
    "Email",
    "Organisation",
    "Subscriber organisation",
    "PO number",
    "Report title",
    "Format",
    "Quantity",
    "Free (subscriber) quantity",
    "Unit price",
    "Net",
    "VAT",
    "Line total",
    "Order total",
    "Postage",
    "Paid on (London)",
    "Amount paid",
    "Amount refunded",
    "Amount credited",
    "Invoice number",
    "Receipt number",
    "Credit note numbers",
)

#: What the exports write for a stored state, payment method or format: the interface's words.
STATE_LABELS = {state.value: state.label for state in OrderState}
METHOD_LABELS = {method.value: method.label for method in PaymentMethod}
FORMAT_LABELS = {kind.value: kind.label for kind in FormatKind}

DOWNLOAD_HEADER = (
    "When (London)",
    "Order reference",
    "Report title",
    "Who",
    "Via",
    "IP address",
    "User agent",
)


@lru_cache(maxsize=4096)  # a few prices recur on thousands of rows
def pounds(pence: int) -> str:
    """Integer pence as pounds with two decimals and no symbol, as spreadsheets read it."""
    sign = "-" if pence < 0 else ""
    whole, rest = divmod(abs(pence), 100)
    return f"{sign}{whole}.{rest:02d}"


def london_text(moment: datetime) -> str:
    """A UTC moment as London wall-clock time, ``2026-04-01 09:30:00``."""
    return moment.astimezone(LONDON).strftime("%Y-%m-%d %H:%M:%S")


def london_day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants from the start of ``first`` to the end of ``last``, London days (the end
    is exclusive: midnight after ``last``), so a range covers whole days across clock changes."""
    start = datetime.combine(first, time(), LONDON)
    end = datetime.combine(last + timedelta(days=1), time(), LONDON)
    return start, end


def _order_rows(first: date, last: date) -> Iterator[tuple]:
    start, end = london_day_bounds(first, last)
    subscriber = aliased(Organisation)
    placed = (Order.created_at >= start) & (Order.created_at < end)
    query = (
        select(
            Order.reference,
            # Read as stored (naive UTC, plain text): one conversion less per row.
            type_coerce(Order.created_at, DateTime()),
            type_coerce(Order.state, String()),
            type_coerce(Order.payment_method, String()),
            Order.name,
            Order.email,
            Order.organisation_name,
            subscriber.name,
            Order.po_number,
            OrderLine.report_title,
            type_coerce(OrderLine.format_kind, String()),
            OrderLine.quantity,
            OrderLine.subscriber_quantity,
            OrderLine.standard_unit_pence,
            OrderLine.net_pence,
            OrderLine.vat_pence,
            OrderLine.total_pence,
            Order.total_pence,
            Order.postage_pence,
            Order.id,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(subscriber, subscriber.id == Order.subscriber_organisation_id)
        .where(placed)
        .order_by(Order.id, OrderLine.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    connection = db.session.connection()
    # Core rows (no ORM entities), fetched a batch at a time from server-side cursors: the
    # lines, and beside them, in the same order, what became of each order's money.
    money_query = money_rows(select(Order.id).where(placed)).execution_options(yield_per=BATCH_SIZE)
    money = money_by_order(connection.execute(money_query))
    next_money = next(money, None)
    order_id = None
    for row in connection.execute(query):
        # An order's lines come together: the cells that are the order's are made (and made
        # safe for spreadsheets) once, and repeated on each of its lines.
        if row[19] != order_id:
            order_id = row[19]
            while next_money is not None and next_money[0] < order_id:
                next_money = next(money, None)
            facts = next_money[1] if next_money and next_money[0] == order_id else NOTHING
            totals = (pounds(row[17]), pounds(row[18]))
            paid = (
                "" if facts.paid_on is None else facts.paid_on.isoformat(),
                pounds(facts.paid_pence),
                pounds(facts.refunded_pence),
                pounds(facts.credited_pence),
                facts.invoice_number,
                facts.receipt_number,
                NUMBER_SEPARATOR.join(facts.credit_note_numbers),
            )
            order = safe_row(
                (
                    row[0],
                    london_text(row[1].replace(tzinfo=UTC)),
                    STATE_LABELS.get(row[2], row[2]),
                    METHOD_LABELS.get(row[3], row[3]),
                    *row[4:9],  # who, organisations, PO
                )
            )
        yield (
            *order,
            safe_cell(row[9]),  # report title
            FORMAT_LABELS.get(row[10], row[10]),
            row[11],  # quantity
            row[12],  # free quantity
            pounds(row[13]),
            pounds(row[14]),
            pounds(row[15]),
            pounds(row[16]),
            *totals,
            *paid,
        )


def order_line_count(first: date, last: date) -> int:
    """How many rows ``order_lines_csv`` writes below its header for the same days."""
    start, end = london_day_bounds(first, last)
    return db.session.scalar(
        select(func.count(OrderLine.id))
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.created_at >= start, Order.created_at < end)
    )


def order_lines_csv(first: date, last: date) -> Iterator[str]:
    """The orders placed on London days ``first`` to ``last``: a header, then one row per order
    line (order fields repeated on each), oldest first; CSV text in chunks of ``BATCH_SIZE``."""
    yield from csv_rows([ORDER_HEADER])
    yield from csv_rows(_order_rows(first, last), batch_size=BATCH_SIZE, made_safe=True)


def _download_rows(first: date, last: date) -> Iterator[tuple]:
    start, end = london_day_bounds(first, last)
    query = (
        select(
            Download.at,
            Order.reference,
            OrderLine.report_title,
            User.email,
            Download.via,
            Download.ip_address,
            Download.user_agent,
        )
        .join(OrderLine, OrderLine.id == Download.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(User, User.id == Download.user_id)
        .where(Download.at >= start, Download.at < end)
        .order_by(Download.at, Download.id)
        .execution_options(yield_per=BATCH_SIZE)
    )
    for at, reference, title, email, via, ip_address, user_agent in db.session.execute(query):
        # No person means the signed link from the order email was used.
        yield (london_text(at), reference, title, email or "link", via, ip_address, user_agent)


def download_count(first: date, last: date) -> int:
    """How many rows ``downloads_csv`` writes below its header for the same days."""
    start, end = london_day_bounds(first, last)
    return db.session.scalar(
        select(func.count(Download.id))
        .join(OrderLine, OrderLine.id == Download.order_line_id)
        .where(Download.at >= start, Download.at < end)
    )


def downloads_csv(first: date, last: date) -> Iterator[str]:
    """Every download on London days ``first`` to ``last``, oldest first, as CSV text chunks."""
    yield from csv_rows([DOWNLOAD_HEADER])
    yield from csv_rows(_download_rows(first, last), batch_size=BATCH_SIZE)
