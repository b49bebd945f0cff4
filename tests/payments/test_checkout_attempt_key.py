"""A checkout attempt is saved with its random idempotency key before Stripe is asked, and the
key is sent again only when asking again for that same attempt: a session Stripe made before
its answer was lost (a timeout) is the one the buyer gets when they try again, never a second."""

from datetime import timedelta

import pytest
import stripe

from portal.clock import utcnow
from portal.payments import gateway, services
from portal.payments.models import AttemptStatus

REAL_CREATE = gateway.create_checkout_session


@pytest.fixture
def asked(monkeypatch):
    """Every request for a session, as (idempotency key, session id or None when it never
    reached Stripe); ``asked.answer_lost`` / ``asked.unreachable`` make the next one time out
    after Stripe made the session, or before it reached Stripe."""

    class Asked(list):
        failure: str | None = None

        def answer_lost(self):
            self.failure = "after"

        def unreachable(self):
            self.failure = "before"

    requests = Asked()

    def create(**params):
        failure, requests.failure = requests.failure, None
        if failure == "before":
            requests.append((params["idempotency_key"], None))
            raise stripe.APIConnectionError("Could not connect to Stripe")
        session = REAL_CREATE(**params)
        requests.append((params["idempotency_key"], session.id))
        if failure == "after":
            raise stripe.APIConnectionError("Read timed out")
        return session

    monkeypatch.setattr(gateway, "create_checkout_session", create)
    return requests


def _pay_again(post_form, reference: str):
    return post_form(f"/orders/{reference}/pay", {}, form_page=f"/orders/{reference}")


def test_the_attempt_and_its_key_are_saved_though_stripes_answer_was_lost(checkout, asked, stored):
    asked.answer_lost()

    response = checkout(pdf=True, printed=0)

    assert response.status_code == 503  # the order is saved; the buyer may try again
    (attempt,) = stored.attempts()
    assert attempt.status is AttemptStatus.STARTING
    assert attempt.stripe_session_id is None
    [(key, made)] = asked
    assert attempt.idempotency_key == key and made is not None


def test_asking_again_after_a_timeout_gets_the_session_stripe_made(
    checkout, asked, stored, standin, post_form
):
    asked.answer_lost()
    checkout(pdf=True, printed=0)
    [(key, made)] = asked
    order = stored.order()

    again = _pay_again(post_form, order.reference)

    assert again.status_code == 303
    assert again.headers["Location"].endswith(f"/{made}")
    assert asked[1] == (key, made)  # the same key, and Stripe replayed the same session
    (attempt,) = stored.attempts()
    assert (attempt.number, attempt.status) == (1, AttemptStatus.OPEN)
    assert (attempt.idempotency_key, attempt.stripe_session_id) == (key, made)
    standin.pay(made)
    assert stored.order().state.value in ("paid", "fulfilled")


def test_asking_again_after_stripe_was_unreachable_makes_the_session_with_the_same_key(
    checkout, asked, stored, post_form
):
    asked.unreachable()
    checkout(pdf=True, printed=0)
    order = stored.order()

    again = _pay_again(post_form, order.reference)

    assert again.status_code == 303
    [(key, never), (same, made)] = asked
    assert never is None and same == key and made is not None
    (attempt,) = stored.attempts()
    assert (attempt.idempotency_key, attempt.stripe_session_id) == (key, made)


def test_a_new_attempt_gets_a_new_key(checkout, asked, stored, post_form):
    checkout(pdf=True, printed=0)
    order = stored.order()

    _pay_again(post_form, order.reference)

    first, second = stored.attempts()
    assert (first.status, second.status) == (AttemptStatus.EXPIRED, AttemptStatus.OPEN)
    assert second.number == 2
    assert first.idempotency_key != second.idempotency_key
    assert [key for key, _ in asked] == [first.idempotency_key, second.idempotency_key]


def test_an_unanswered_attempt_too_old_to_ask_again_is_given_up(
    checkout, asked, stored, post_form, monkeypatch
):
    """Asked again with its first lifetime, a request that never reached Stripe would ask for a
    session already too short for Stripe: a new attempt, with a new key, is made instead."""
    asked.unreachable()
    checkout(pdf=True, printed=0)
    order = stored.order()
    later = utcnow() + services.CLOCK_MARGIN + timedelta(seconds=1)
    monkeypatch.setattr(services, "utcnow", lambda: later)

    again = _pay_again(post_form, order.reference)

    assert again.status_code == 303
    first, second = stored.attempts()
    assert (first.status, first.stripe_session_id) == (AttemptStatus.EXPIRED, None)
    assert (second.number, second.status) == (2, AttemptStatus.OPEN)
    assert second.idempotency_key != first.idempotency_key
