"""Closing an account: the person erased from every table, the financial record kept."""

import pyotp
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.clock import utcnow
from portal.data_rights import erasure
from portal.documents.models import Document
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import Order
from tests.data_rights.helpers import (
    EMAIL,
    IP_ADDRESS,
    NAME,
    PHONE,
    STREET,
    USER_AGENT,
    seed_person,
    where_found,
)
from tests.helpers import TEST_PASSWORD, current_code

CLOSE = "/account/close"


@pytest.fixture
def seeded(app, create_user, create_order, create_organisation, create_report):
    return seed_person(app, create_user, create_order, create_organisation, create_report)


def _pdfs(app, order_ids):
    with app.app_context():
        return {
            d.number: d.pdf
            for d in db.session.scalars(select(Document).where(Document.order_id.in_(order_ids)))
        }


def _snapshot(app):
    """Every row of every table, to prove a refused request changed nothing."""
    with app.app_context():
        return {
            table.name: sorted(map(repr, db.session.execute(select(table)).all()))
            for table in db.metadata.sorted_tables
        }


def test_closing_the_account_leaves_the_person_in_no_column(app, client, auth, post_form, seeded):
    pdfs = _pdfs(app, [*seeded.order_ids, seeded.other_order_id])
    assert pdfs  # invoices were issued, naming the person
    auth.sign_in(EMAIL)

    response = post_form(CLOSE, {"password": TEST_PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/account/closed"
    with app.app_context():
        assert where_found([EMAIL, NAME, STREET, PHONE, IP_ADDRESS, USER_AGENT]) == []
        # The financial record stays: every order, its figures and its documents as issued.
        orders = db.session.scalars(select(Order).where(Order.id.in_(seeded.order_ids))).all()
        assert len(orders) == 3
        assert all(o.erased_at is not None and o.total_pence > 0 for o in orders)
        assert {o.name for o in orders} == {
            erasure.pseudonym_name(db.session.get(User, seeded.user_id))
        }
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.erase"))
        assert entry.target_id == str(seeded.user_id)
    assert _pdfs(app, [*seeded.order_ids, seeded.other_order_id]) == pdfs


def test_after_closing_signing_in_fails_and_the_session_has_ended(
    app, client, auth, post_form, seeded
):
    auth.sign_in(EMAIL)
    post_form(CLOSE, {"password": TEST_PASSWORD})

    assert client.get("/account").status_code == 302  # sent to sign in
    response = auth.sign_in(EMAIL)
    assert response.status_code == 200  # the form again, with its error: not signed in
    assert client.get("/account").status_code == 302


def test_the_erased_buyers_order_is_for_administrators_only(
    app, client, auth, post_form, seeded, create_user
):
    with app.app_context():
        order = db.session.get(Order, seeded.order_ids[0])
        reference, token = order.reference, order_token(order)
        line_id = order.lines[0].id
    assert client.get(f"/orders/{reference}?token={token}").status_code == 200
    auth.sign_in(EMAIL)
    post_form(CLOSE, {"password": TEST_PASSWORD})

    assert client.get(f"/orders/{reference}?token={token}").status_code in (400, 404)
    assert client.get(f"/downloads/{line_id}?token={token}").status_code in (403, 404)
    admin = create_user(is_admin=True)
    auth.sign_in(admin.email)
    page = client.get(f"/admin/orders/{reference}")
    assert page.status_code == 200
    assert "Erased person" in page.get_data(as_text=True)


@pytest.mark.parametrize(
    "password",
    ["wrong password entirely", ""],
)
def test_a_wrong_password_is_refused_and_changes_nothing(app, auth, post_form, seeded, password):
    auth.sign_in(EMAIL)
    before = _snapshot(app)

    response = post_form(CLOSE, {"password": password})

    assert response.status_code == 200
    assert ("Password is not correct" if password else "Enter your password") in response.get_data(
        as_text=True
    )
    assert _snapshot(app) == before


def test_a_fault_halfway_leaves_everything_as_it_was(app, seeded, monkeypatch):
    def fail(*args):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(erasure, "_erase_insight_requests", fail)
    before = _snapshot(app)
    with app.app_context():
        user = db.session.get(User, seeded.user_id)
        with pytest.raises(RuntimeError):
            erasure.erase_person(user)
        db.session.commit()  # whatever the savepoint left would be kept now
    assert _snapshot(app) == before


def test_closing_twice_is_refused(app, seeded):
    with app.app_context():
        user = db.session.get(User, seeded.user_id)
        erasure.erase_person(user)
        db.session.commit()
    before = _snapshot(app)
    with app.app_context():
        user = db.session.get(User, seeded.user_id)
        with pytest.raises(erasure.AlreadyErased):
            erasure.erase_person(user)
        with pytest.raises(erasure.AlreadyErased):
            erasure.check_owner(user, TEST_PASSWORD, "")
    assert _snapshot(app) == before


def test_the_page_says_what_happens_to_open_orders(auth, client, seeded):
    auth.sign_in(EMAIL)

    page = client.get(CLOSE).get_data(as_text=True)

    assert "The invoice is still owed" in page
    assert "Printed copies not yet posted will not be sent" in page


def test_mail_waiting_for_the_person_is_forgotten(app, auth, post_form, seeded):
    auth.sign_in(EMAIL)
    post_form(CLOSE, {"password": TEST_PASSWORD})
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(OutboxEmail)
                .where(OutboxEmail.template == "verify_email")
            )
            == 0
        )


@pytest.fixture
def with_second_factor(create_user):
    return create_user(totp_secret=pyotp.random_base32(), totp_enabled_at=utcnow())


def test_with_two_factor_on_a_wrong_code_is_refused_and_changes_nothing(
    app, auth, post_form, with_second_factor
):
    auth.sign_in(with_second_factor.email)
    before = _snapshot(app)

    response = post_form(CLOSE, {"password": TEST_PASSWORD, "code": "000000"})

    assert "Enter your correct password and a current code" in response.get_data(as_text=True)
    with app.app_context():
        user = db.session.get(User, with_second_factor.id)
        assert user.erased_at is None and user.email == with_second_factor.email
        assert user.failed_second_factors == 1  # counted towards the lockout, nothing else
    assert {k: v for k, v in _snapshot(app).items() if k != "users"} == {
        k: v for k, v in before.items() if k != "users"
    }


def test_with_two_factor_on_the_password_and_a_current_code_close_it(
    app, auth, post_form, with_second_factor
):
    auth.sign_in(with_second_factor.email)

    response = post_form(
        CLOSE,
        {"password": TEST_PASSWORD, "code": current_code(app, with_second_factor.email)},
    )

    assert response.headers["Location"] == "/account/closed"
    with app.app_context():
        assert db.session.get(User, with_second_factor.id).erased_at is not None


def test_an_administrator_closes_an_account_on_request_and_the_reason_is_audited(
    app, client, admin, post_form, seeded
):
    path = f"/admin/users/{seeded.user_id}/close"
    assert "The invoice is still owed" in client.get(path).get_data(as_text=True)

    response = post_form(path, {"reason": "Asked by letter of 1 December"})

    assert response.status_code == 302
    with app.app_context():
        assert where_found([EMAIL, NAME, STREET, PHONE, IP_ADDRESS, USER_AGENT]) == []
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.erase"))
        assert (entry.actor_user_id, entry.note) == (admin.id, "Asked by letter of 1 December")
    before = _snapshot(app)
    again = post_form(path, {"reason": "Asked again"})
    assert "There is nothing more to erase" in again.get_data(as_text=True)
    assert _snapshot(app) == before


def test_an_administrator_must_give_the_reason(app, client, admin, post_form, seeded):
    before = _snapshot(app)

    response = post_form(f"/admin/users/{seeded.user_id}/close", {"reason": ""})

    assert "Say whose request this is" in response.get_data(as_text=True)
    assert _snapshot(app) == before
