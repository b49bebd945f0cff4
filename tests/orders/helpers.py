"""Orders placed at known moments, for the dashboard's figures and its page."""

from datetime import UTC, date, datetime

from portal.catalogue.models import ReportFormat
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery
from portal.pricing import GUEST, FormatKind, Membership, Person

TODAY = date(2026, 7, 15)  # the dashboard's window is August 2025 to July 2026


def order_placer(create_report, create_order):
    """A function placing an order of ``pdf`` and ``printed`` copies of one of two reports at a
    UTC moment, returning its reference."""
    reports = {
        name: create_report(
            title=name,
            formats=[
                ReportFormat(kind=FormatKind.PDF, price_pence=10_000, subscriber_price_pence=0),
                ReportFormat(kind=FormatKind.PRINT, price_pence=5_000, stock=50),
            ],
        )
        for name in ("Challenge of transformation", "Transformation in practice")
    }

    def place(
        report,
        at,
        *,
        pdf=1,
        printed=0,
        organisation="Eastbridge Council",
        state=OrderState.PAID,
        person=GUEST,
        method=PaymentMethod.CARD,
    ):
        # state None: as placed (a subscriber's free order is complete)
        order = create_order(
            report=reports[report],
            pdf=pdf,
            prints=printed,
            buyer=Buyer("jo@example.gov.uk", "Jo Evans", organisation),
            person=person,
            on=at.date(),
            method=method,
            delivery=Delivery("Jo", "1 High St", "", "Town", "AB1 2CD"),
            created_at=at,
            state=state,
        )
        return order.reference

    return place


def place_known_orders(place, create_organisation) -> dict[str, str]:
    """Seven orders around the dashboard's window (see ``TODAY``), by what each is there to show."""
    council = create_organisation(name="Northshire County Council")
    subscriber = Person(
        True, True, Membership(council.id, council.name, ((date(2025, 1, 1), date(2027, 1, 1)),))
    )
    a, b = "Challenge of transformation", "Transformation in practice"
    return {
        "june_invoice": place(
            a,
            datetime(2026, 6, 10, 9, tzinfo=UTC),
            state=OrderState.AWAITING_INVOICE_PAYMENT,
            method=PaymentMethod.INVOICE,
            organisation="Westshire Council",
        ),
        # 00:30 on 1 July in London: a July order.
        "boundary": place(a, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), printed=2),
        "july_both": place(
            b, datetime(2026, 7, 2, 9, tzinfo=UTC), pdf=1, printed=1, state=OrderState.FULFILLED
        ),
        "subscriber": place(
            b,
            datetime(2026, 7, 3, 9, tzinfo=UTC),
            person=subscriber,
            organisation="Northshire County Council",
            state=None,
        ),
        "cancelled": place(a, datetime(2026, 7, 4, 9, tzinfo=UTC), state=OrderState.CANCELLED),
        "unpaid_card": place(
            a, datetime(2026, 7, 5, 9, tzinfo=UTC), state=OrderState.PENDING_PAYMENT
        ),
        # Before the window, and still waiting for its invoice to be paid.
        "old_invoice": place(
            b,
            datetime(2025, 7, 31, 9, tzinfo=UTC),
            state=OrderState.AWAITING_INVOICE_PAYMENT,
            method=PaymentMethod.INVOICE,
            organisation="Old Council",
        ),
    }
