"""What documents say, worked out from an order without touching the database."""

import pytest

from portal.documents import services
from portal.documents.content import addressee_lines, line_as_printed
from portal.documents.pdf import render_document
from portal.documents.pdf_text import printable
from portal.orders.models import Order, OrderLine
from tests.documents.helpers import TODAY, pdf_text, sample_receipt

ADDRESS_FIELDS = [
    "po_number",
    "finance_email",
    *(f"billing_{part}" for part in ("line1", "line2", "town", "postcode")),
    *(f"delivery_{part}" for part in ("name", "line1", "line2", "town", "postcode")),
]


def _order(**fields) -> Order:
    values = dict.fromkeys(ADDRESS_FIELDS, "")
    values.update(name="Jo Evans", organisation_name="Eastbridge Council", email="jo@e.gov.uk")
    values.update(fields)
    return Order(**values)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {"billing_line1": "Civic Centre", "billing_town": "Eastbridge", "delivery_line1": "X"},
            ("Jo Evans", "Eastbridge Council", "Civic Centre", "Eastbridge", "jo@e.gov.uk"),
        ),
        (
            {
                "delivery_name": "Post Room",
                "delivery_line1": "Town Hall",
                "delivery_town": "Eastbridge",
                "delivery_postcode": "EB1 2CD",
            },
            (
                "Jo Evans",
                "Eastbridge Council",
                "For the attention of Post Room",
                "Town Hall",
                "Eastbridge",
                "EB1 2CD",
                "jo@e.gov.uk",
            ),
        ),
        ({"organisation_name": ""}, ("Jo Evans", "jo@e.gov.uk")),
        (
            {"billing_line1": "Civic Centre", "finance_email": "pay@e.gov.uk"},
            (
                "Jo Evans",
                "Eastbridge Council",
                "Civic Centre",
                "jo@e.gov.uk",
                "Finance contact: pay@e.gov.uk",
            ),
        ),
        (
            {"billing_organisation": "Finance Service Centre", "billing_line1": "Civic Centre"},
            (
                "Jo Evans",
                "Eastbridge Council",
                "Finance Service Centre",
                "Civic Centre",
                "jo@e.gov.uk",
            ),
        ),
        (
            {"billing_organisation": "EASTBRIDGE council", "billing_line1": "Civic Centre"},
            ("Jo Evans", "Eastbridge Council", "Civic Centre", "jo@e.gov.uk"),
        ),
        (
            {"delivery_organisation": "Adult Social Care", "delivery_line1": "Town Hall"},
            ("Jo Evans", "Eastbridge Council", "Adult Social Care", "Town Hall", "jo@e.gov.uk"),
        ),
    ],
    ids=[
        "billing-first",
        "delivery-otherwise",
        "name-and-email-only",
        "finance-contact",
        "billing-organisation-line",
        "billing-organisation-same-as-buyers",
        "delivery-organisation-line",
    ],
)
def test_the_addressee_is_the_billing_address_or_else_the_delivery_address(fields, expected):
    assert addressee_lines(_order(**fields)) == expected


def _line(quantity, subscriber_quantity, subscriber_unit, standard_unit, reason="Standard price"):
    net = subscriber_quantity * subscriber_unit + (quantity - subscriber_quantity) * standard_unit
    return OrderLine(
        report_title="Modern public services: transformation in practice",
        format_kind="print",
        quantity=quantity,
        subscriber_quantity=subscriber_quantity,
        subscriber_unit_pence=subscriber_unit,
        standard_unit_pence=standard_unit,
        net_pence=net,
        vat_rate_basis_points=0,
        vat_pence=0,
        total_pence=net,
        reason=reason,
    )


@pytest.mark.parametrize(
    ("line", "unit", "note"),
    [
        (_line(2, 0, 0, 17_500), 17_500, ""),
        (_line(1, 1, 0, 17_500, "Free with your Insight subscription"), 0, "Free with"),
        (_line(2, 1, 0, 17_500, "1 free with your Insight subscription"), 17_500, "1 free"),
        (_line(3, 3, 5_000, 17_500, "Insight subscriber price"), 5_000, "Insight subscriber"),
    ],
    ids=["standard", "all-free", "some-free", "subscriber-price"],
)
def test_a_line_shows_its_unit_price_and_why_some_copies_were_free(line, unit, note):
    printed = line_as_printed(line)
    assert printed.unit_pence == unit
    assert printed.note.startswith(note)
    assert printed.description.endswith("(printed copy)")
    assert (printed.quantity, printed.net_pence) == (line.quantity, line.net_pence)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wrocław & Łódź <councils>", "Wroclaw & Lódz <councils>"),
        ("Café \u2013 “quoted” £5", "Café \u2013 “quoted” £5"),
        ("2 \u00d7 \u221210", "2 x -10"),
        ("Ελλάδα", "??????"),
    ],
)
def test_text_is_kept_to_what_the_standard_fonts_can_draw(text, expected):
    assert printable(text) == expected


def test_awkward_text_renders_and_reads_back(ctx, place_guest_order):
    order = place_guest_order(
        name="Zoë O\u2019Brien & <Co>", organisation_name="Łódź \u2013 twin town"
    )
    order.lines[0].report_title = "Services: “challenge” & change"
    text = pdf_text(services.issue_invoice(order, TODAY).pdf)
    assert "Zoë O\u2019Brien & <Co>" in text
    assert "Lódz \u2013 twin town" in text
    assert "Services: “challenge” & change (PDF download)" in text


def test_the_renderer_needs_nothing_but_its_content():
    """No application, database or configuration: everything printed is passed in."""
    content = sample_receipt()
    text = pdf_text(render_document(content))
    assert "Receipt RCT-000045" in text
    assert "Report (PDF download) 1 £145.00 £145.00 0% £0.00 £145.00" in text
    assert "Total paid £145.00" in text
    assert "Paid in full by card." in text
