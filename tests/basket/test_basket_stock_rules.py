"""The basket and the stock rules: the per-order cap of printed copies, and lines of reports
withdrawn from sale (shown with the reason, then removed)."""

import pytest
from sqlalchemy import func, select

from portal.basket.models import BasketLine
from portal.catalogue.models import Report, ReportFormat
from portal.extensions import db
from portal.pricing import FormatKind


@pytest.fixture
def report(create_report):
    return create_report(
        title="Channel shift",
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0),
            ReportFormat(kind=FormatKind.PRINT, price_pence=17_500, stock=100),
        ],
    )


def _add(post_form, report, kind=FormatKind.PRINT, quantity="2"):
    format_id = next(f.id for f in report.formats if f.kind is kind)
    return post_form(f"/reports/{report.slug}", {"format_id": str(format_id), "quantity": quantity})


def _lines(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(BasketLine))


@pytest.mark.parametrize(("quantity", "accepted"), [("20", True), ("21", False), ("500", False)])
def test_printed_copies_per_order_are_capped(app, post_form, report, quantity, accepted):
    response = _add(post_form, report, quantity=quantity)
    if accepted:
        assert response.status_code == 302 and _lines(app) == 1
    else:
        assert response.status_code == 400
        assert "up to 20 printed copies of this report in one order" in response.get_data(
            as_text=True
        )
        assert _lines(app) == 0


def test_the_cap_counts_what_is_in_the_basket_already(app, client, post_form, report):
    _add(post_form, report, quantity="15")
    response = _add(post_form, report, quantity="6")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(BasketLine.quantity)).all() == [15]


@pytest.mark.parametrize("kind", [FormatKind.PDF, FormatKind.PRINT])
def test_a_withdrawn_reports_line_says_why_and_is_removed(app, client, post_form, report, kind):
    _add(post_form, report, kind, "1")
    with app.app_context():
        db.session.get(Report, report.id).is_published = False
        db.session.commit()
    page = client.get("/basket").get_data(as_text=True)
    assert f"“Channel shift” ({kind.label}) is no longer for sale" in page
    assert "removed it from your basket" in page
    assert _lines(app) == 0
    again = client.get("/basket").get_data(as_text=True)
    assert "no longer for sale" not in again and "Your basket is empty" in again


def test_checkout_sends_a_basket_with_a_withdrawn_report_back(app, client, post_form, report):
    _add(post_form, report, FormatKind.PDF, "1")
    with app.app_context():
        db.session.get(Report, report.id).is_published = False
        db.session.commit()
    response = client.get("/checkout")
    assert response.status_code == 302 and response.headers["Location"] == "/basket"
    assert "is no longer for sale" in client.get("/basket").get_data(as_text=True)
    assert _lines(app) == 0
