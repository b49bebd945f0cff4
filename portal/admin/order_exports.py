"""Orders and downloads as CSV, streamed a batch of rows at a time, read across features (an
order's lines, its documents and payments, the downloads of its PDFs).

Exports read plain columns (never ORM objects with relationships) through ``yield_per``, which
fetches from a server-side cursor on PostgreSQL and with ``fetchmany`` on SQLite, so memory stays
the same whatever the number of rows. Every cell goes through ``portal.csv_safety``. States,
payment methods and formats are written with the labels the administrators' pages show.
"""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from itertools import chain

from sqlalchemy import DateTime, Result, Select, String, func, select, type_coerce
from sqlalchemy.orm import aliased

from portal.accounts.models import User
from portal.clock import LONDON, LondonClock
from portal.csv_safety import RowText, csv_rows, safe_cell, safe_row
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.orders.standing import Money
from portal.organisations.models import Organisation
from portal.payments import owed
from portal.pricing import FormatKind

#: Rows fetched from the database at a time (and written to the response as one chunk).
BATCH_SIZE = 1000
#: How many report titles, and sets of a line's figures, the orders export keeps written.
_REMEMBERED = 4096

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


def _order_lines_query(first: date, last: date) -> Select:
    start, end = london_day_bounds(first, last)
    subscriber = aliased(Organisation)
    return (
        select(
            Order.id,
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
            Order.total_pence,
            Order.postage_pence,
            OrderLine.report_title,
            type_coerce(OrderLine.format_kind, String()),
            OrderLine.quantity,
            OrderLine.subscriber_quantity,
            OrderLine.standard_unit_pence,
            OrderLine.net_pence,
            OrderLine.vat_pence,
            OrderLine.total_pence,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(subscriber, subscriber.id == Order.subscriber_organisation_id)
        .where(Order.created_at >= start, Order.created_at < end)
        .order_by(Order.id, OrderLine.id)
    )


def _placed_id_range(first: date, last: date):
    """The lowest and highest ids of the orders placed on those days (scalar subqueries)."""
    start, end = london_day_bounds(first, last)
    placed = (Order.created_at >= start) & (Order.created_at < end)
    return (
        select(func.min(Order.id)).where(placed).scalar_subquery(),
        select(func.max(Order.id)).where(placed).scalar_subquery(),
    )


def _order_line_texts(first: date, last: date) -> Iterator[str]:
    """The CSV text of the order lines, a batch of ``BATCH_SIZE`` lines at a time.

    Two queries of plain rows (no ORM objects) stream side by side from server-side cursors, in
    order-id order: the lines with their orders, and what became of each order's money
    (``portal.payments.owed``). The cells that are an order's are made safe and written as CSV
    once, and that text repeated on each of its lines; a line's own cells are numbers and words
    the portal wrote, and its report title (made safe and written once per title)."""
    connection = db.session.connection()
    streaming = {"yield_per": BATCH_SIZE}
    lines = connection.execute(_order_lines_query(first, last).execution_options(**streaming))
    money_query = owed.money_rows(*_placed_id_range(first, last)).execution_options(**streaming)
    money_rows = connection.execute(money_query)
    try:
        yield from _line_texts(
            lines, owed.money_by_order(chain.from_iterable(money_rows.partitions()))
        )
    finally:
        # The last orders' money may be left unread: close both cursors on the server.
        money_rows.close()
        lines.close()


def _line_texts(lines: Result, money: Iterator[tuple[int, Money]]) -> Iterator[str]:
    """The CSV text of ``lines``, a batch at a time, with each order's ``money`` beside it."""
    next_money = next(money, None)
    row_text, london = RowText(), LondonClock()
    titles: dict[str, str] = {}
    line_figures: dict[tuple, str] = {}
    order_id, before, after = None, "", ""
    for batch in lines.partitions():
        texts = []
        for (
            line_order_id,
            reference,
            placed,
            state,
            method,
            name,
            email,
            organisation,
            subscriber,
            po_number,
            order_total,
            postage,
            title,
            kind,
            quantity,
            free,
            unit,
            net,
            vat,
            line_total,
        ) in batch:
            if line_order_id != order_id:
                order_id = line_order_id
                while next_money is not None and next_money[0] < order_id:
                    next_money = next(money, None)
                facts = next_money[1] if next_money and next_money[0] == order_id else owed.NOTHING
                # What people typed is made safe and quoted as CSV needs; the rest is the
                # portal's own words, numbers and dates, which never need either.
                typed = row_text(safe_row((name, email, organisation, subscriber, po_number)))
                before = (
                    f"{reference or ''},{london(placed).isoformat(' ', 'seconds')},"
                    f"{STATE_LABELS.get(state, state)},{METHOD_LABELS.get(method, method)},{typed}"
                )
                paid_on = "" if facts.paid_on is None else facts.paid_on.isoformat()
                after = (
                    f"{pounds(order_total)},{pounds(postage)},{paid_on},"
                    f"{pounds(facts.paid_pence)},{pounds(facts.refunded_pence)},"
                    f"{pounds(facts.credited_pence)},{facts.invoice_number},"
                    f"{facts.receipt_number},{owed.NUMBER_SEPARATOR.join(facts.credit_note_numbers)}"
                )
            title_text = titles.get(title)
            if title_text is None:
                if len(titles) >= _REMEMBERED:
                    titles.clear()
                title_text = titles[title] = row_text((safe_cell(title),))
            figures = (kind, quantity, free, unit, net, vat, line_total)
            figures_text = line_figures.get(figures)
            if figures_text is None:  # the same few prices and quantities recur on most lines
                if len(line_figures) >= _REMEMBERED:  # memory stays flat whatever the orders
                    line_figures.clear()
                figures_text = line_figures[figures] = (
                    f"{FORMAT_LABELS.get(kind, kind)},{quantity},{free},"
                    f"{pounds(unit)},{pounds(net)},{pounds(vat)},{pounds(line_total)}"
                )
            texts.append(f"{before},{title_text},{figures_text},{after}\r\n")
        yield "".join(texts)


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
    yield from _order_line_texts(first, last)


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
