"""Fixtures of the downloads tests."""

from datetime import date

import pytest

from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import OrderState, PaymentMethod
from portal.orders.services import Buyer
from portal.pricing import GUEST


@pytest.fixture
def paid_line(app, create_report, create_user, create_order):
    """A paid PDF line of an order placed by ``owner`` (a signed-in customer)."""
    report = create_report(title="Channel shift", with_pdf=True)
    owner = create_user(name="Jo Evans", organisation_name="Eastbridge Borough Council")
    with app.app_context():
        order = create_order(
            report=report,
            buyer=Buyer.from_user(owner),
            person=GUEST,
            on=date(2026, 11, 26),
            method=PaymentMethod.CARD,
            state=OrderState.FULFILLED,
        )
        db.session.commit()
        return {
            "line": order.lines[0].id,
            "order": order.id,
            "reference": order.reference,
            "token": order_token(order),
            "owner": owner,
        }
