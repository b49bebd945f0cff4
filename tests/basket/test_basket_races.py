"""Two adds to the basket at once from one person (two tabs, a double click), on PostgreSQL where
both requests really run together: each lands, and neither is answered with a server error."""

import threading

import pytest
from sqlalchemy import select

from portal.basket import services as basket_services
from portal.basket.models import Basket, BasketLine
from portal.extensions import db
from portal.pricing import FormatKind
from tests.helpers import csrf_token, sign_in_without_a_code


@pytest.mark.postgres_only
@pytest.mark.real_transactions
def test_two_first_adds_at_once_both_land_in_one_basket(
    app, create_user, create_report, monkeypatch
):
    person = create_user(email="two.tabs@eastbridge.gov.uk")
    report = create_report(title="Channel shift")
    printed = next(f.id for f in report.formats if f.kind is FormatKind.PRINT)
    path = f"/reports/{report.slug}"
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        sign_in_without_a_code(app, tab, person)
    tokens = [csrf_token(tab, path) for tab in tabs]

    # Both requests look for the account's basket, find none, and only then make it together.
    barrier = threading.Barrier(2)
    find_basket = basket_services.find_basket

    def find_then_wait(user_id, basket_id, **kwargs):
        found = find_basket(user_id, basket_id, **kwargs)
        if found is None and not kwargs:
            barrier.wait(timeout=10)
        return found

    monkeypatch.setattr(basket_services, "find_basket", find_then_wait)
    answers = []

    def add(tab, token):
        data = {"csrf_token": token, "format_id": str(printed), "quantity": "1"}
        answers.append(tab.post(path, data=data).status_code)

    threads = [threading.Thread(target=add, args=pair) for pair in zip(tabs, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert answers == [302, 302]
    with app.app_context():
        baskets = db.session.scalars(select(Basket).where(Basket.user_id == person.id)).all()
        assert len(baskets) == 1
        lines = db.session.scalars(select(BasketLine)).all()
        assert [(line.report_format_id, line.quantity) for line in lines] == [(printed, 2)]
