"""Fixtures of the downloads tests."""

from datetime import date

import pytest

from portal.catalogue.models import FormatKind
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer, Item, place_order
from portal.pricing import GUEST


@pytest.fixture
def paid_line(app, create_report, create_user):
    """A paid PDF line of an order placed by ``owner`` (a signed-in customer)."""
    report = create_report(title="Channel shift", with_pdf=True)
    owner = create_user(name="Jo Evans", organisation_name="Eastbridge Borough Council")
    with app.app_context():
        pdf = db.session.get(type(report.formats[0]), report.formats[0].id)
        pdf = next(f for f in pdf.report.formats if f.kind is FormatKind.PDF)
        order = place_order(
            Buyer.from_user(owner), GUEST, [Item(pdf, 1)], date(2026, 11, 26), PaymentMethod.CARD
        )
        order.state = OrderState.FULFILLED
        db.session.commit()
        return {
            "line": order.lines[0].id,
            "order": order.id,
            "reference": order.reference,
            "token": order_token(order),
            "owner": owner,
        }
