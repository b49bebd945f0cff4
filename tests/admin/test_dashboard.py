"""The dashboard page: who may see it, the charts and their tables (its figures are tested in
tests/orders/test_figures.py)."""

import re

import pytest
from flask import url_for

from tests.orders.helpers import TODAY, order_placer, place_known_orders


@pytest.fixture
def known_orders(create_report, create_order, create_organisation):
    """The orders the figures are tested with (tests/orders/test_figures.py)."""
    return place_known_orders(order_placer(create_report, create_order), create_organisation)


def test_guests_are_sent_to_sign_in(client):
    response = client.get("/admin/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_non_administrators_get_403(client, auth, create_user):
    auth.sign_in(create_user().email)
    assert client.get("/admin/dashboard").status_code == 403


def test_the_dashboard_page_shows_charts_and_tables(client, admin, known_orders, monkeypatch):
    monkeypatch.setattr("portal.admin.dashboard.today_in_london", lambda: TODAY)
    response = client.get("/admin/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    charts = re.findall(
        r"<svg viewBox[^>]*role=\"img\"[^>]*>\s*<title id=\"([\w-]+)\">([^<]*)", page
    )
    assert [chart_id for chart_id, _ in charts] == ["revenue-chart-title", "orders-chart-title"]
    assert "most in July 2026 (£350)" in charts[0][1]
    assert "Subscriber orders: 1 in all" in charts[1][1]
    # Bars: June and July revenue; June paying, July paying and subscriber.
    assert page.count("<rect x=") == 2 + 3
    assert "<title>July 2026, Revenue: £350</title>" in page
    assert " style=" not in page.split("<main", 1)[1]
    months = page.split('id="months-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"July 2026</th>\s*<td[^>]*>£350.00</td>\s*<td[^>]*>2</td>\s*<td[^>]*>1</td>", months
    )
    reports = page.split('id="reports-table"', 1)[1].split("</table>", 1)[0]
    assert re.search(
        r"Transformation in practice</th>\s*<td[^>]*>July 2026</td>\s*"
        r"<td[^>]*>2</td>\s*<td[^>]*>£150.00</td>",
        reports,
    )
    assert 'id="invoices-awaiting">2 (£200.00)' in page
    assert 'id="lines-to-dispatch">1 (2 copies)' in page
    assert known_orders["old_invoice"] in page
    with client.application.test_request_context():
        href = url_for("admin.order", reference=known_orders["old_invoice"])
    assert f'href="{href}"' in page


def test_an_empty_dashboard(client, admin):
    page = client.get("/admin/dashboard").get_data(as_text=True)
    assert "No orders in the last 12 months." in page
    assert 'id="invoices-awaiting">0 (£0.00)' in page
    assert page.count('role="img"') == 2 and page.count("<rect x=") == 0
