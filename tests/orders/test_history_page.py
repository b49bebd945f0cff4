"""An order's history as administrators read it on the order page: who created the order, each
change of state, who made it, and the note each entry carries."""

import re

from portal.catalogue.models import FormatKind, ReportFormat
from portal.orders.models import PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.pricing import Person

_CELL = re.compile(r'<td class="govuk-table__cell">(.*?)</td>', re.S)


def _timeline(page: str) -> list[list[str]]:
    """The timeline's rows, each without its time: change, who, note."""
    section = page.split("Every change of this order, oldest first", 1)[1].split("</table>")[0]
    rows = [_CELL.findall(row) for row in section.split('<tr class="govuk-table__row">')[2:]]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row[1:]] for row in rows]


def test_the_timeline_names_who_created_the_order_and_keeps_each_note(
    client, admin, create_user, create_report, create_order
):
    buyer = create_user(email="jo.evans@eastbridge.gov.uk")
    free = create_report(
        formats=[ReportFormat(kind=FormatKind.PDF, price_pence=0, subscriber_price_pence=0)]
    )
    order = create_order(report=free, buyer=Buyer.from_user(buyer))

    page = client.get(f"/admin/orders/{order.reference}").get_data(as_text=True)

    assert _timeline(page) == [
        ["Paid", buyer.email, "Nothing to pay"],
        ["Paid → Complete", buyer.email, "PDF available to download"],
    ]


def test_a_note_keeps_the_state_and_names_the_administrator(client, admin, post_form, create_order):
    order = create_order(
        buyer=Buyer("bea@leeds.example", "Bea Buyer", "Leeds City Council"),  # no credit terms
        person=Person(signed_in=True, email_verified=True),
        method=PaymentMethod.INVOICE,
        invoice=InvoiceDetails("PO-7781", "Civic Hall", "", "Leeds", "LS1 1UR", ""),
    )
    path = f"/admin/orders/{order.reference}"

    post_form(f"{path}/approve-credit", {}, form_page=path)

    assert _timeline(client.get(path).get_data(as_text=True)) == [
        ["Waiting for invoice payment", "The portal", ""],
        [
            "Waiting for invoice payment",
            admin.email,
            "Credit approved: released before the invoice is paid",
        ],
    ]
