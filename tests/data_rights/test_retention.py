"""The retention job: personal data past its period is erased, as at the moment it is told."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from portal.accounts.models import SignedInSession
from portal.content.rendering import render_page
from portal.data_rights.retention import erase_expired, months_before
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import Order
from portal.orders.services import Buyer, Delivery

PLACED = datetime(2020, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "months", "expected"),
    [
        (datetime(2026, 12, 4, 9, tzinfo=UTC), 12, datetime(2025, 12, 4, 9, tzinfo=UTC)),
        (datetime(2026, 3, 31, tzinfo=UTC), 1, datetime(2026, 2, 28, tzinfo=UTC)),
        (datetime(2024, 3, 31, tzinfo=UTC), 1, datetime(2024, 2, 29, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 72, datetime(2020, 1, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 0, datetime(2026, 1, 15, tzinfo=UTC)),
    ],
)
def test_months_before(moment, months, expected):
    assert months_before(moment, months) == expected


@pytest.fixture
def logged(ctx, create_user, create_order):
    """A guest order placed at PLACED, downloaded then, and a sign-in last used then."""
    user = create_user()
    order = create_order(
        buyer=Buyer("guest@northmere.gov.uk", "Gwen Guest", "Northmere Council"),
        delivery=Delivery("Gwen Guest", "3 Mill Lane", "", "Northmere", "NM2 2AA", "", "0117 4960"),
        prints=1,
        created_at=PLACED,
    )
    db.session.add_all(
        [
            Download(
                order_line_id=order.lines[0].id,
                via="link",
                at=PLACED,
                ip_address="198.51.100.9",
                user_agent="Browser/1",
            ),
            SignedInSession(
                user_id=user.id,
                token_hash="b" * 64,
                created_at=PLACED,
                last_seen_at=PLACED,
                ip_address="198.51.100.9",
            ),
        ]
    )
    db.session.flush()
    return order


def _state(order_id: int):
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    download = db.session.scalar(select(Download))
    sign_ins = db.session.scalars(select(SignedInSession)).all()
    return order.email, order.delivery_line1, download.ip_address, len(sign_ins)


def test_nothing_is_erased_before_its_period_ends(logged):
    erased = erase_expired(datetime(2021, 3, 10, 11, 59, tzinfo=UTC))

    assert (erased.download_addresses, erased.sign_ins, erased.guest_orders) == (0, 0, 0)
    assert _state(logged.id) == ("guest@northmere.gov.uk", "3 Mill Lane", "198.51.100.9", 1)


def test_logs_go_after_twelve_months_and_the_guest_after_six_years(logged):
    erased = erase_expired(datetime(2021, 3, 10, 12, 1, tzinfo=UTC))

    assert (erased.download_addresses, erased.sign_ins, erased.guest_orders) == (1, 1, 0)
    assert _state(logged.id) == ("guest@northmere.gov.uk", "3 Mill Lane", "", 0)

    erased = erase_expired(datetime(2026, 3, 10, 12, 1, tzinfo=UTC))

    assert erased.guest_orders == 1
    email, street, _, _ = _state(logged.id)
    assert (email, street) == (f"erased-order-{logged.id}@erased.invalid", "")
    order = db.session.get(Order, logged.id)
    assert order.name == f"Erased guest {logged.id}" and order.erased_at is not None
    assert order.total_pence > 0 and order.lines  # the financial record stays


def test_running_twice_changes_nothing_more(logged):
    now = datetime(2026, 6, 1, tzinfo=UTC)
    erase_expired(now)
    first = _state(logged.id), db.session.get(Order, logged.id).erased_at

    again = erase_expired(now)

    assert (again.download_addresses, again.sign_ins, again.guest_orders) == (0, 0, 0)
    assert (_state(logged.id), db.session.get(Order, logged.id).erased_at) == first


def test_the_periods_come_from_configuration(app, logged, monkeypatch):
    monkeypatch.setitem(app.config, "RETENTION_GUEST_ORDER_YEARS", 1)
    monkeypatch.setitem(app.config, "RETENTION_DOWNLOAD_LOG_MONTHS", 24)

    erased = erase_expired(datetime(2021, 3, 11, tzinfo=UTC))

    assert (erased.download_addresses, erased.sign_ins, erased.guest_orders) == (0, 1, 1)


def test_the_command_erases_as_at_the_moment_given(app, runner, create_order):
    order = create_order(buyer=Buyer("guest@northmere.gov.uk", "Gwen Guest"), created_at=PLACED)

    result = runner.invoke(args=["erase-expired-data", "--now", "2026-03-11"])
    again = runner.invoke(args=["erase-expired-data", "--now", "2026-03-11"])

    assert "the details of 1 guest order(s)" in result.output
    assert "the details of 0 guest order(s)" in again.output
    with app.app_context():
        assert db.session.get(Order, order.id).email.endswith("@erased.invalid")


def test_the_privacy_notice_table_reads_the_same_settings(app):
    settings = {
        **app.config,
        "RETENTION_DOWNLOAD_LOG_MONTHS": 18,
        "RETENTION_SIGN_IN_MONTHS": 1,
        "RETENTION_GUEST_ORDER_YEARS": 7,
    }

    html = render_page("How long\n\n{retention-table}\n", settings)

    assert "18 months after the download" in html
    assert "1 month after the device was last used" in html
    assert "7 years after the order" in html
