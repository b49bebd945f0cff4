"""Exports: orders and downloads as CSV for a range of London days, streamed, formula-safe."""

import csv
import io
from datetime import UTC, date, datetime

import pytest

from portal.admin import order_exports as export
from portal.catalogue.models import ReportFormat
from portal.csv_safety import RowText, csv_rows, safe_cell, safe_row
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.pricing import FormatKind, Membership, Person

#: A buyer whose address is verified: their invoice orders take stock when placed.
VERIFIED = Person(signed_in=True, email_verified=True)

ROUTES = [
    "/admin/exports",
    "/admin/exports/orders.csv",
    "/admin/exports/downloads.csv",
    "/admin/exports/documents.csv",
]
JULY_1 = "?from=2026-07-01&to=2026-07-01"


@pytest.fixture
def place(create_report, create_order):
    """Place an order at a given UTC moment: ``pdf`` and ``printed`` copies of one report."""
    report = create_report(
        title="Modern public services: challenge of transformation",
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=50, postage_pence=450),
        ],
    )

    def place(at, *, name="Jo Evans", pdf=1, printed=0, person=VERIFIED, state=None, **buyer):
        order = create_order(
            report=report,
            pdf=pdf,
            prints=printed,
            buyer=Buyer(
                buyer.get("email", "jo@eastbridge.gov.uk"),
                name,
                buyer.get("organisation", "Eastbridge Borough Council"),
            ),
            person=person,
            on=at.date(),
            method=PaymentMethod.INVOICE,
            delivery=Delivery("Jo Evans", "1 High St", "", "Eastbridge", "EB1 1AA"),
            invoice=InvoiceDetails(
                buyer.get("po", "PO-778"),
                "Town Hall",
                "",
                "Eastbridge",
                "EB1 1AA",
                "ap@e.gov.uk",
            ),
            created_at=at,
            state=state or None,
        )
        return order.reference

    return place


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("path", ROUTES)
def test_guests_are_sent_to_sign_in(client, path):
    response = client.get(path + JULY_1)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("path", ROUTES)
def test_non_administrators_get_403(client, auth, create_user, path):
    auth.sign_in(create_user().email)
    assert client.get(path + JULY_1).status_code == 403


def test_orders_csv_has_one_row_per_line_with_pounds_and_london_times(client, admin, place):
    # 09:30 UTC in July is 10:30 in London (summer time).
    reference = place(datetime(2026, 7, 1, 9, 30, tzinfo=UTC), pdf=1, printed=2)
    response = client.get("/admin/exports/orders.csv" + JULY_1)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="orders-2026-07-01-to-2026-07-01.csv"'
    )
    header, *rows = _csv(response)
    assert header == list(export.ORDER_HEADER)
    common = [
        reference,
        "2026-07-01 10:30:00",
        "Waiting for invoice payment",
        "Invoice",
        "Jo Evans",
        "jo@eastbridge.gov.uk",
        "Eastbridge Borough Council",
        "",
        "PO-778",
        "Modern public services: challenge of transformation",
    ]
    # Nothing paid, refunded or credited yet, and no document issued.
    money = ["", "0.00", "0.00", "0.00", "", "", ""]
    pdf = ["PDF download", "1", "0", "145.00", "145.00", "0.00", "145.00", "499.50", "4.50"]
    printed = ["Printed copy", "2", "0", "175.00", "350.00", "0.00", "350.00", "499.50", "4.50"]
    assert rows == [[*common, *pdf, *money], [*common, *printed, *money]]


def test_orders_csv_names_the_subscribing_organisation(client, admin, place, create_organisation):
    council = create_organisation(name="Northshire County Council")
    person = Person(
        True, True, Membership(council.id, council.name, ((date(2026, 1, 1), date(2026, 12, 31)),))
    )
    place(datetime(2026, 7, 1, 12, tzinfo=UTC), pdf=1, person=person)
    _, row = _csv(client.get("/admin/exports/orders.csv" + JULY_1))
    named = dict(zip(export.ORDER_HEADER, row, strict=True))
    assert named["Subscriber organisation"] == "Northshire County Council"
    assert named["State"] == "Complete" and named["Payment method"] == "Nothing to pay"
    assert (named["Free (subscriber) quantity"], named["Net"], named["Order total"]) == (
        "1",
        "0.00",
        "0.00",
    )


def test_the_range_is_whole_london_days(client, admin, place):
    inside_early = place(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July, London
    inside_late = place(datetime(2026, 7, 1, 22, 59, tzinfo=UTC))  # 23:59 on 1 July, London
    place(datetime(2026, 6, 30, 22, 59, tzinfo=UTC))  # 23:59 on 30 June
    place(datetime(2026, 7, 1, 23, 0, tzinfo=UTC))  # midnight, 2 July
    _, *rows = _csv(client.get("/admin/exports/orders.csv" + JULY_1))
    assert [row[0] for row in rows] == [inside_early, inside_late]
    assert rows[0][1] == "2026-07-01 00:30:00"
    # In winter London is on UTC.
    december = place(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    _, *rows = _csv(client.get("/admin/exports/orders.csv?from=2026-12-01&to=2026-12-31"))
    assert [(row[0], row[1]) for row in rows] == [(december, "2026-12-01 00:00:00")]


DANGEROUS = [
    (
        '=HYPERLINK("http://evil.example","Invoice")',
        '\'=HYPERLINK("http://evil.example","Invoice")',
    ),
    ("+1", "'+1"),
    ("-1+1", "'-1+1"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("Jo Evans", "Jo Evans"),
    ("Jo =1", "Jo =1"),
]


@pytest.mark.parametrize(("typed", "exported"), DANGEROUS)
def test_safe_cell_neutralises_formulas(typed, exported):
    assert safe_cell(typed) == exported


def test_safe_cell_writes_none_as_empty_and_numbers_as_text():
    assert [safe_cell(None), safe_cell(3), safe_cell("")] == ["", "3", ""]


def test_csv_rows_leaves_rows_the_caller_made_safe_as_they_are():
    rows = [[safe_cell("=x"), None, 3, "12.50"]]
    assert "".join(csv_rows(rows, made_safe=True)) == "'=x,,3,12.50\r\n"
    assert "".join(csv_rows([["=x"]], made_safe=True)) == "=x\r\n"  # trusted: not checked again


@pytest.mark.parametrize(
    "cells",
    [
        ("Jo Evans", "12.50", "INV-000001"),
        ('Say "hello"', "a,b", "line\nbreak", "carriage\rreturn", ""),
        ("'=1+1", " leading space", "trailing space ", "semi;colon", "tab\there"),
        ("",),
        ("only",),
    ],
)
def test_row_text_writes_cells_as_csv_rows_does(cells):
    row_text = RowText()
    assert row_text(cells) + "\r\n" == "".join(csv_rows([cells], made_safe=True))
    # Used again, it writes the next row alone.
    assert row_text(("x", "y")) == "x,y"


def test_the_words_the_orders_export_writes_as_they_are_need_no_quoting():
    # States, payment methods and formats are written without the CSV writer.
    words = [*export.STATE_LABELS.values(), *export.METHOD_LABELS.values()]
    for word in [*words, *export.FORMAT_LABELS.values()]:
        assert RowText()(safe_row((word,))) == word


def test_csv_rows_writes_batches_of_rows():
    chunks = list(csv_rows(([n, "=x"] for n in range(5)), batch_size=2))
    assert len(chunks) == 3
    assert "".join(chunks) == "".join(f"{n},'=x\r\n" for n in range(5))


@pytest.mark.parametrize(("typed", "exported"), DANGEROUS)
def test_orders_csv_neutralises_formulas(client, admin, place, typed, exported):
    place(datetime(2026, 7, 1, 12, tzinfo=UTC), name=typed, organisation=typed, po=typed)
    _, row = _csv(client.get("/admin/exports/orders.csv" + JULY_1))
    named = dict(zip(export.ORDER_HEADER, row, strict=True))
    assert named["Buyer name"] == named["Organisation"] == named["PO number"] == exported


def test_downloads_csv(app, client, admin, place, create_user):
    reference = place(datetime(2026, 7, 1, 8, tzinfo=UTC), state=OrderState.PAID)
    buyer = create_user(email="jo@eastbridge.gov.uk")
    with app.app_context():
        line_id = db.session.query(Order).filter_by(reference=reference).one().lines[0].id
        db.session.add_all(
            [
                Download(
                    order_line_id=line_id,
                    user_id=None,
                    via="link",
                    at=datetime(2026, 7, 1, 9, tzinfo=UTC),
                    ip_address="192.0.2.1",
                    user_agent="=cmd|' /C calc'!A0",
                ),
                Download(
                    order_line_id=line_id,
                    user_id=buyer.id,
                    via="account",
                    at=datetime(2026, 7, 1, 23, 30, tzinfo=UTC),
                    ip_address="192.0.2.2",
                    user_agent="Mozilla/5.0",
                ),
            ]
        )
        db.session.commit()
    response = client.get("/admin/exports/downloads.csv" + JULY_1)
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="downloads-2026-07-01-to-2026-07-01.csv"'
    )
    header, *rows = _csv(response)
    assert header == list(export.DOWNLOAD_HEADER)
    # The second download was at 00:30 on 2 July in London: outside the range.
    assert rows == [
        [
            "2026-07-01 10:00:00",
            reference,
            "Modern public services: challenge of transformation",
            "link",
            "link",
            "192.0.2.1",
            "'=cmd|' /C calc'!A0",
        ]
    ]
    _, *rows = _csv(client.get("/admin/exports/downloads.csv?from=2026-07-02&to=2026-07-02"))
    assert [row[3:5] for row in rows] == [["jo@eastbridge.gov.uk", "account"]]


def test_exports_are_streamed_in_batches(client, admin, place, monkeypatch):
    monkeypatch.setattr(export, "BATCH_SIZE", 2)
    for hour in range(5):
        place(datetime(2026, 7, 1, 8 + hour, tzinfo=UTC))
    response = client.get("/admin/exports/orders.csv" + JULY_1, buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    # The header, then three batches of at most two rows: never the whole export at once.
    assert len(chunks) == 4
    assert chunks[0].decode().startswith("Reference,")
    assert all(chunk.decode().count("\r\n") <= 2 for chunk in chunks[1:])
    response.close()


def test_the_exports_page_offers_this_month(client, admin, monkeypatch):
    monkeypatch.setattr("portal.admin.exports.today_in_london", lambda: date(2026, 7, 15))
    page = client.get("/admin/exports").get_data(as_text=True)
    assert 'value="2026-07-01"' in page and 'value="2026-07-15"' in page
    assert "/admin/exports/orders.csv?from=2026-07-01&amp;to=2026-07-15" in page
    assert "/admin/exports/downloads.csv?from=2026-07-01&amp;to=2026-07-15" in page
    assert "/admin/exports/documents.csv?from=2026-07-01&amp;to=2026-07-15" in page


def test_the_exports_page_links_to_the_chosen_range(client, admin):
    page = client.get("/admin/exports?from=2026-04-01&to=2026-06-30").get_data(as_text=True)
    assert "/admin/exports/orders.csv?from=2026-04-01&amp;to=2026-06-30" in page
    assert "There is a problem" not in page


BAD_RANGES = [
    ("?from=2026-07-01", "Enter a to date"),
    ("?to=2026-07-01", "Enter a from date"),
    ("?from=&to=", "Enter a from date"),
    ("?from=yesterday&to=2026-07-01", "Enter the from date as year-month-day"),
    ("?from=2026-07-01&to=2026-13-45", "Enter the to date as year-month-day"),
    ("?from=2026-07-02&to=2026-07-01", "The to date must be the same as or after the from date"),
]


@pytest.mark.parametrize(("query", "message"), BAD_RANGES)
def test_bad_dates_are_explained_on_the_exports_page(client, admin, query, message):
    response = client.get("/admin/exports" + query)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert "/admin/exports/orders.csv" not in page


@pytest.mark.parametrize("path", ROUTES[1:])
@pytest.mark.parametrize(("query", "message"), [*BAD_RANGES, ("", "Enter a from date")])
def test_bad_dates_on_a_csv_link_go_back_to_the_exports_page(client, admin, path, query, message):
    response = client.get(path + query)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/exports?")
    page = client.get(response.headers["Location"])
    assert page.status_code == 400 and message in page.get_data(as_text=True)
