"""The "Thank you — order INS-… is placed" panel a buyer lands on once their order is placed: on
coming back from paying by card, or straight after placing an order with no card payment.

The page that places the order (or that Stripe sends the buyer back to) says what to thank them
for; the order page shows it once, and only on that order's page. Kept in the person's session,
so a reload or a shared link shows no panel.
"""

from dataclasses import dataclass

from flask import session

from portal import pricing
from portal.money import format_pence
from portal.orders.models import Order

SESSION_KEY = "thank_you"


@dataclass(frozen=True)
class Thanks:
    reference: str
    words: str  # what happens next, a sentence or two

    @property
    def title(self) -> str:
        return f"Thank you — order {self.reference} is placed"


def thank_for(order: Order, words: str) -> None:
    """Show the thank-you panel, with ``words``, on ``order``'s page when the buyer lands on it."""
    session[SESSION_KEY] = {"reference": order.reference, "words": words}


def thank_for_card_payment(order: Order) -> None:
    """The panel for a buyer back from paying by card: paid, or waiting for the card processor
    to say so (the order page shows it as soon as it arrives)."""
    if order.state in pricing.PAID_STATES:
        words = (
            f"We have received your payment of {format_pence(order.total_pence)} and emailed "
            f"your receipt to {order.email}."
        )
    else:
        words = (
            "We are waiting for our card processor to confirm your payment: this page shows it "
            f"as soon as it arrives, and we will email your receipt to {order.email}."
        )
    thank_for(order, words)


def thanks_on(order: Order) -> Thanks | None:
    """The thank-you panel to show on ``order``'s page, once; None when there is none for it."""
    waiting = session.get(SESSION_KEY)
    if not isinstance(waiting, dict) or waiting.get("reference") != order.reference:
        return None
    session.pop(SESSION_KEY)
    return Thanks(order.reference, str(waiting.get("words", "")))
