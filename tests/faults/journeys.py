"""Journeys and waits shared by the fault tests: every wait bounded."""

import re

import requests

from tests.faults.buyer import Buyer, pay_on_stripe
from tests.scaleout.processes import REQUEST_SECONDS, wait_for

#: Long enough for a retry, a sweep or a restart to happen on a busy machine.
RECOVERY_SECONDS = 90
_REFERENCE = re.compile(r"INS-\d{4}-\d{6}")


def order_state(stack, reference: str) -> str | None:
    with stack.database() as connection:
        row = connection.execute(
            "SELECT state FROM orders WHERE reference = %s", (reference,)
        ).fetchone()
    return row[0] if row else None


def reference_in(text: str) -> str:
    found = _REFERENCE.search(text)
    assert found, "no order reference on the page"
    return found.group(0)


def place_and_pay(stack, buyer: Buyer | None = None) -> tuple[Buyer, str, str]:
    """A guest buys one PDF by card: the buyer, the order's reference and the address Stripe sent
    them back to. Returns once the portal has been told (the webhook was answered)."""
    buyer = buyer or Buyer(stack.portal)
    to_stripe = buyer.place_card_order()
    assert to_stripe.status_code == 303, to_stripe.text[:500]
    payment_page = to_stripe.headers["Location"]
    session_id = payment_page.rsplit("/", 1)[1]
    back = pay_on_stripe(payment_page)
    reference = reference_of_session(stack, session_id)
    return buyer, reference, back


def reference_of_session(stack, session_id: str) -> str:
    with stack.database() as connection:
        return connection.execute(
            "SELECT o.reference FROM orders o JOIN checkout_attempts a ON a.order_id = o.id "
            "WHERE a.stripe_session_id = %s",
            (session_id,),
        ).fetchone()[0]


def wait_until_paid(stack, reference: str) -> None:
    wait_for(
        lambda: order_state(stack, reference) in ("paid", "fulfilled"),
        f"order {reference} to be paid",
        seconds=RECOVERY_SECONDS,
    )


def webhook_deliveries(stack, session_id: str) -> list[dict]:
    events = requests.get(
        f"{stack.standin}/_standin/events",
        params={"type": "checkout.session.completed"},
        timeout=REQUEST_SECONDS,
    ).json()["data"]
    return [e["delivery"] for e in events if e["object_id"] == session_id]
