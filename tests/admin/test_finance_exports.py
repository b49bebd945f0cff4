"""The exports finance reconciles with: the orders export's document numbers, paid date and the
amounts paid, refunded and credited, and the documents register of every invoice, receipt and
credit note issued in a range of days, in the form Sage and Xero import."""

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.admin import documents_register as register
from portal.admin import order_exports as export
from portal.catalogue.models import ReportFormat
from portal.documents import services as documents
from portal.documents.printed import Line
from portal.extensions import db
from portal.orders import states
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import InvoiceDetails, cancel_order
from portal.payments import invoices, owed
from portal.payments.models import (
    AttemptStatus,
    CheckoutAttempt,
    Refund,
    RefundMethod,
    RefundStatus,
)
from portal.pricing import FormatKind, Person

JULY = "?from=2026-07-01&to=2026-07-31"
VERIFIED = Person(signed_in=True, email_verified=True)
TOWN_HALL = InvoiceDetails("PO-778", "Town Hall", "", "Eastbridge", "EB1 1AA", "")


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def ledger(app, create_order, create_report):
    """Four orders placed in July 2026 and what became of their money, documents issued in this
    order (so numbered so):

    - A, on invoice: INV-000001 (1 July), paid by transfer on 10 July (RCT-000002), £50 credited
      against the invoice on 12 July (CRN-000003, no money back);
    - B, by card, a £100 PDF at 20% VAT: paid at 00:30 on 3 July, London time (RCT-000001),
      £50 refunded on 5 July (CRN-000002), then £70 more on 20 July that Stripe failed to pay
      back (CRN-000004);
    - C, on invoice: INV-000002 (3 July), paid on 1 August (RCT-000003);
    - D, on invoice: INV-000003 (4 July), cancelled and credited in full (CRN-000001).
    """
    standard_rate = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=10_000, vat_rate_basis_points=2_000)]
    )
    with app.test_request_context():

        def place(day: int, **options):
            return create_order(
                on=date(2026, 7, day),
                created_at=datetime(2026, 7, day, 9, tzinfo=UTC),
                person=VERIFIED,
                **options,
            )

        a = place(1, method=PaymentMethod.INVOICE, invoice=TOWN_HALL)
        b = place(2, report=standard_rate, method=PaymentMethod.CARD)
        c = place(3, method=PaymentMethod.INVOICE, invoice=TOWN_HALL)
        d = place(4, method=PaymentMethod.INVOICE, invoice=TOWN_HALL)

        a_invoice = documents.issue_invoice(a, date(2026, 7, 1))
        documents.issue_invoice(c, date(2026, 7, 3))
        db.session.add(
            CheckoutAttempt(
                order_id=b.id,
                number=1,
                stripe_session_id="cs_test_b",
                status=AttemptStatus.PAID,
                amount_pence=12_000,
                currency="gbp",
                amount_paid_pence=12_000,
                paid_at=datetime(2026, 7, 2, 23, 30, tzinfo=UTC),
            )
        )
        states.mark_paid(b, None, "Paid by card")
        b_receipt = documents.issue_receipt(b, date(2026, 7, 3))
        d_invoice = documents.issue_invoice(d, date(2026, 7, 4))
        cancel_order(d, None, "Ordered twice")
        documents.issue_credit_note(d_invoice, 14_500, date(2026, 7, 4), "Cancelled")

        def refund(amount: int, day: int, status: RefundStatus) -> None:
            note = documents.issue_credit_note(b_receipt, amount, date(2026, 7, day), "Refund")
            db.session.add(
                Refund(
                    order_id=b.id,
                    amount_pence=amount,
                    status=status,
                    idempotency_key=f"refund-{note.number}",
                    credit_note_id=note.id,
                )
            )

        refund(5_000, 5, RefundStatus.SUCCEEDED)
        invoices.mark_invoice_paid(a, date(2026, 7, 10), "BACS 1", None)
        documents.issue_credit_note(a_invoice, 5_000, date(2026, 7, 12), "Goodwill")
        refund(7_000, 20, RefundStatus.FAILED)
        invoices.mark_invoice_paid(c, date(2026, 8, 1), "BACS 2", None)
        db.session.commit()
        return {name: order.reference for name, order in zip("abcd", (a, b, c, d), strict=True)}


MONEY = (
    "Paid on (London)",
    "Amount paid",
    "Amount refunded",
    "Amount credited",
    "Invoice number",
    "Receipt number",
    "Credit note numbers",
)


def test_the_orders_export_says_what_became_of_each_orders_money(client, admin, ledger):
    rows = _csv(client.get("/admin/exports/orders.csv" + JULY))
    money = {row["Reference"]: tuple(row[column] for column in MONEY) for row in rows}
    assert money == {
        ledger["a"]: (
            "2026-07-10",
            "145.00",
            "0.00",
            "50.00",  # credited against the invoice: no money went back
            "INV-000001",
            "RCT-000002",
            "CRN-000003",
        ),
        ledger["b"]: (
            "2026-07-03",  # 23:30 UTC on 2 July was 00:30 on 3 July in London
            "120.00",
            "50.00",
            "70.00",  # its refund failed: credited, and owed to the buyer
            "",
            "RCT-000001",
            "CRN-000002; CRN-000004",
        ),
        ledger["c"]: ("2026-08-01", "145.00", "0.00", "0.00", "INV-000002", "RCT-000003", ""),
        ledger["d"]: ("", "0.00", "0.00", "145.00", "INV-000003", "", "CRN-000001"),
    }
    assert len(rows) == 4  # one line each: the joins repeat no order


def test_the_order_pages_read_the_money_the_export_writes(app, client, admin, ledger):
    """One definition: the money one order's page reads is what the export wrote for it."""
    rows = {row["Reference"]: row for row in _csv(client.get("/admin/exports/orders.csv" + JULY))}
    with app.app_context():
        for reference in ledger.values():
            order = db.session.scalar(select(Order).where(Order.reference == reference))
            money = owed.money_of(order)
            assert (
                "" if money.paid_on is None else money.paid_on.isoformat(),
                export.pounds(money.paid_pence),
                export.pounds(money.refunded_pence),
                export.pounds(money.credited_pence),
                money.invoice_number,
                money.receipt_number,
                "; ".join(money.credit_note_numbers),
            ) == tuple(rows[reference][column] for column in MONEY)
            assert money.invoiced is bool(money.invoice_number)


def test_a_credit_against_the_invoice_gives_no_money_back(app, client, admin, create_order):
    with app.test_request_context():
        order = create_order(
            on=date(2026, 7, 1),
            created_at=datetime(2026, 7, 1, 9, tzinfo=UTC),
            person=VERIFIED,
            method=PaymentMethod.INVOICE,
            invoice=TOWN_HALL,
        )
        invoice = documents.issue_invoice(order, date(2026, 7, 1))
        note = documents.issue_credit_note(invoice, 4_000, date(2026, 7, 2), "Goodwill")
        db.session.add(
            Refund(
                order_id=order.id,
                method=RefundMethod.CREDIT,
                amount_pence=4_000,
                status=RefundStatus.SUCCEEDED,
                idempotency_key="credit-1",
                credit_note_id=note.id,
            )
        )
        db.session.commit()
        money = owed.money_of(order)
        assert (money.paid_pence, money.refunded_pence, money.credited_pence) == (0, 0, 4_000)
        owed_now = owed.standing_of(order)
        assert (owed_now.owed, owed_now.outstanding_pence) == ("Part-credited", 10_500)
    [row] = _csv(client.get("/admin/exports/orders.csv" + JULY))
    assert (row["Amount refunded"], row["Amount credited"]) == ("0.00", "40.00")


def test_an_order_placed_outside_the_range_lends_the_export_nothing(
    app, client, admin, create_order
):
    """The money is read for the range of ids the orders placed span; an order among them
    placed on another day is passed over."""
    with app.test_request_context():

        def place(moment: datetime):
            order = create_order(
                on=moment.date(),
                created_at=moment,
                person=VERIFIED,
                method=PaymentMethod.INVOICE,
                invoice=TOWN_HALL,
            )
            documents.issue_invoice(order, moment.date())
            return order.reference

        first = place(datetime(2026, 7, 1, 9, tzinfo=UTC))
        place(datetime(2026, 8, 3, 9, tzinfo=UTC))  # INV-000002, between them
        last = place(datetime(2026, 7, 2, 9, tzinfo=UTC))
        db.session.commit()
    rows = _csv(client.get("/admin/exports/orders.csv" + JULY))
    assert [(row["Reference"], row["Invoice number"]) for row in rows] == [
        (first, "INV-000001"),
        (last, "INV-000003"),
    ]


def _listed(page: str, reference: str) -> str:
    """The row of the administrators' order list that shows ``reference``."""
    (row,) = [r for r in page.split("<tr")[1:] if f">{reference}</a>" in r]
    return row


@pytest.mark.parametrize(
    ("name", "state", "method"),
    [
        ("a", "Complete", "Invoice"),
        ("b", "Paid", "Card"),
        ("c", "Complete", "Invoice"),
        ("d", "Cancelled", "Invoice"),
    ],
)
def test_the_orders_export_and_the_order_list_use_the_words_of_the_order_pages(
    client, admin, ledger, name, state, method
):
    rows = {row["Reference"]: row for row in _csv(client.get("/admin/exports/orders.csv" + JULY))}
    exported = rows[ledger[name]]
    assert (exported["State"], exported["Payment method"], exported["Format"]) == (
        state,
        method,
        "PDF download",
    )
    listed = _listed(client.get("/admin/orders").get_data(as_text=True), ledger[name])
    assert state in listed and method in listed


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (export.METHOD_LABELS, {"card": "Card", "invoice": "Invoice", "free": "Nothing to pay"}),
        (export.FORMAT_LABELS, {"pdf": "PDF download", "print": "Printed copy"}),
        (
            {
                s: export.STATE_LABELS[s]
                for s in ("fulfilled", "cancelled", "awaiting_invoice_payment")
            },
            {
                "fulfilled": "Complete",
                "cancelled": "Cancelled",
                "awaiting_invoice_payment": "Waiting for invoice payment",
            },
        ),
    ],
    ids=["methods", "formats", "states"],
)
def test_the_exports_name_each_value_as_the_pages_do(labels, expected):
    assert labels == expected


REGISTER = [
    # number, date, kind, order, method, net, VAT rate, VAT, total, status, corrects, due date
    ("INV-000001", "01/07/2026", "VAT invoice", "a", "Invoice", "145.00", "0%", "0.00", "145.00",
     "Paid, part credited", "", "31/07/2026"),
    ("INV-000002", "03/07/2026", "VAT invoice", "c", "Invoice", "145.00", "0%", "0.00", "145.00",
     "Paid", "", "02/08/2026"),
    ("RCT-000001", "03/07/2026", "Receipt", "b", "Card", "100.00", "20%", "20.00", "120.00",
     "Credited", "", ""),
    ("INV-000003", "04/07/2026", "VAT invoice", "d", "Invoice", "145.00", "0%", "0.00", "145.00",
     "Credited", "", "03/08/2026"),
    ("CRN-000001", "04/07/2026", "Credit note", "d", "Invoice", "145.00", "0%", "0.00", "145.00",
     "Credited", "INV-000003", ""),
    ("CRN-000002", "05/07/2026", "Credit note", "b", "Card", "41.67", "20%", "8.33", "50.00",
     "Refunded", "RCT-000001", ""),
    ("RCT-000002", "10/07/2026", "Receipt", "a", "Invoice", "145.00", "0%", "0.00", "145.00",
     "Paid", "", ""),
    ("CRN-000003", "12/07/2026", "Credit note", "a", "Invoice", "50.00", "0%", "0.00", "50.00",
     "Credited", "INV-000001", ""),
    ("CRN-000004", "20/07/2026", "Credit note", "b", "Card", "58.33", "20%", "11.67", "70.00",
     "Refund failed", "RCT-000001", ""),
]  # fmt: skip


def test_the_documents_register_lists_every_document_issued_in_the_range(client, admin, ledger):
    response = client.get("/admin/exports/documents.csv" + JULY)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="documents-2026-07-01-to-2026-07-31.csv"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == list(register.REGISTER_HEADER)
    named = [dict(zip(header, row, strict=True)) for row in rows]
    assert [
        (
            row["Number"],
            row["Date"],
            row["Kind"],
            row["Order reference"],
            row["Payment method"],
            row["Net"],
            row["VAT rate"],
            row["VAT"],
            row["Total"],
            row["Status"],
            row["Corrects"],
            row["Due date"],
        )
        for row in named
    ] == [(*row[:3], ledger[row[3]], *row[4:]) for row in REGISTER]
    # RCT-000003 was issued on 1 August: outside July.
    assert "RCT-000003" not in {row["Number"] for row in named}
    first = named[0]
    assert (first["Buyer"], first["Email"], first["Organisation"], first["PO number"]) == (
        "Jo Evans",
        "jo.evans@eastbridge.gov.uk",
        "Eastbridge Council",
        "PO-778",
    )


def test_a_credit_note_keeps_and_the_register_reads_its_own_figures(
    app, client, admin, create_order, create_report
):
    """Crediting postage (no VAT) on an order with 20% VAT: the credit note's VAT is that of
    what it credits, kept on it when issued, not a share of the order's."""
    standard_rate = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=10_000, vat_rate_basis_points=2_000)]
    )
    with app.test_request_context():
        order = create_order(report=standard_rate, method=PaymentMethod.CARD, person=VERIFIED)
        states.mark_paid(order, None, "Paid by card")
        receipt = documents.issue_receipt(order, date(2026, 7, 20))
        postage = Line("Postage and packing", None, None, 1_000, 0, 0, 1_000)
        note = documents.issue_credit_note(receipt, 1_000, date(2026, 7, 21), "Refund", (postage,))
        db.session.commit()
        assert (note.net_pence, note.vat_pence, note.total_pence) == (-1_000, 0, -1_000)
        receipt_figures = (receipt.net_pence, receipt.vat_pence, receipt.total_pence)
        assert receipt_figures == (10_000, 2_000, 12_000)
    rows = _csv(client.get("/admin/exports/documents.csv?from=2026-07-21&to=2026-07-21"))
    assert [(row["Number"], row["Net"], row["VAT"], row["Total"]) for row in rows] == [
        (note.number, "10.00", "0.00", "10.00")
    ]


def test_the_register_range_is_by_date_of_issue_both_days_included(client, admin, ledger):
    rows = _csv(client.get("/admin/exports/documents.csv?from=2026-07-04&to=2026-07-05"))
    assert [row["Number"] for row in rows] == ["INV-000003", "CRN-000001", "CRN-000002"]
    rows = _csv(client.get("/admin/exports/documents.csv?from=2026-08-01&to=2026-08-01"))
    assert [(row["Number"], row["Status"]) for row in rows] == [("RCT-000003", "Paid")]


@pytest.mark.parametrize(
    ("total", "credited", "paid", "cancelled", "status"),
    [
        (14_500, 0, False, False, "Unpaid"),
        (14_500, 5_000, False, False, "Unpaid, part credited"),
        (14_500, 0, True, False, "Paid"),
        (14_500, 5_000, True, False, "Paid, part credited"),
        (14_500, 14_500, True, False, "Credited"),
        (14_500, 14_500, False, True, "Credited"),
        (14_500, 0, False, True, "Cancelled, not credited"),
        (14_500, 5_000, False, True, "Unpaid, part credited"),
        (0, 0, True, False, "Nothing to pay"),
    ],
)
def test_an_invoice_or_receipt_status(total, credited, paid, cancelled, status):
    assert register.document_status(total, credited, paid, cancelled) == status


@pytest.mark.parametrize(
    ("lowest", "highest", "postage", "rate"),
    [
        (0, 0, 0, "0%"),
        (2000, 2000, 0, "20%"),
        (1750, 1750, 0, "17.5%"),
        (0, 0, 450, "0%"),
        (2000, 2000, 450, "Mixed"),  # postage carries no VAT of its own
        (0, 2000, 0, "Mixed"),
        (None, None, 0, "Mixed"),  # no lines: nothing to say
    ],
)
def test_a_documents_vat_rate(lowest, highest, postage, rate):
    assert register.vat_rate(lowest, highest, postage) == rate


@pytest.mark.parametrize(
    ("rank", "status"),
    [(None, "Credited"), (1, "Refund failed"), (2, "Refund pending"), (3, "Refunded")],
)
def test_a_credit_note_status(rank, status):
    assert register.credit_note_status(rank) == status


def test_the_register_neutralises_formulas_and_keeps_amounts_plain(
    app, client, admin, create_order
):
    with app.test_request_context():
        order = create_order(
            method=PaymentMethod.INVOICE,
            invoice=InvoiceDetails("=1+1", "Town Hall", "", "Eastbridge", "EB1 1AA", ""),
            person=VERIFIED,
            name='=HYPERLINK("http://evil.example")',
            organisation_name="@SUM(A1)",
        )
        documents.issue_invoice(order, date(2026, 7, 1))
        db.session.commit()
    [row] = _csv(client.get("/admin/exports/documents.csv" + JULY))
    assert row["Buyer"] == '\'=HYPERLINK("http://evil.example")'
    assert row["Organisation"] == "'@SUM(A1)"
    assert row["PO number"] == "'=1+1"
    assert (row["Net"], row["Total"]) == ("145.00", "145.00")


def test_the_register_streams_in_batches(client, admin, ledger, monkeypatch):
    monkeypatch.setattr(register, "BATCH_SIZE", 4)
    response = client.get("/admin/exports/documents.csv" + JULY, buffered=False)
    assert response.is_streamed
    chunks = [chunk.decode() for chunk in response.response]
    response.close()
    # The header, then nine documents in batches of at most four.
    assert chunks[0].startswith("Number,Date,Kind,")
    assert [chunk.count("\r\n") for chunk in chunks[1:]] == [4, 4, 1]


def test_the_exports_page_offers_the_register(client, admin):
    page = client.get("/admin/exports?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    assert "/admin/exports/documents.csv?from=2026-04-01&amp;to=2026-06-30" in page
    assert "Documents register" in page
