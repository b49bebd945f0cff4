"""Card payments: opening a Stripe Checkout Session for an order, and the one idempotent function
that decides, from what Stripe says, whether an order is paid.

``confirm_checkout_session`` is called by the webhook and by the success page alike. It locks the
order row, re-reads the session from Stripe (an event or a browser arriving is only a trigger),
and moves the order along its state machine once, however often and in whatever order it runs.
Services flush; the caller commits.
"""

import enum
import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select

from portal import pricing
from portal.clock import today_in_london, utcnow
from portal.extensions import db
from portal.money import format_pence
from portal.orders import services as orders
from portal.orders import states
from portal.orders.access import order_token
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.payments import event_alerts, gateway, refunds, settlement
from portal.payments.models import AttemptStatus, CheckoutAttempt, StripeEvent
from portal.pricing import FormatKind
from portal.public_url import external_url

log = logging.getLogger(__name__)

HANDLED_EVENTS = frozenset(
    {
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
    }
)


#: How long a card order holds its printed copies unpaid: the life of its Checkout Session, the
#: shortest Stripe allows (its default, 24 hours, would let anyone hold every copy for a day).
CHECKOUT_LIFETIME = timedelta(minutes=30)
#: Added to the lifetime asked of Stripe, so that the two sides' clocks never make it fall short
#: of Stripe's minimum; the sweep waits this much longer too before it asks Stripe.
CLOCK_MARGIN = timedelta(minutes=1)
#: Payment pages one card order may open: each holds its printed copies for CHECKOUT_LIFETIME
#: again, so this bounds how long an unpaid order can keep them (2½ hours).
MAX_CHECKOUT_ATTEMPTS = 5
#: The note of an order cancelled because its card payment ran out of time.
NOT_PAID_IN_TIME = "Card payment was not completed in time"


class PaymentUnavailable(Exception):
    """Stripe could not be reached or refused the request; the order is kept to pay later."""


class NotPayable(Exception):
    """The order is not waiting for a card payment (already paid, cancelled, or on invoice)."""


class OutsideCardLimits(NotPayable):
    """The order's total is outside what a card can be charged; ``str(error)`` says so and
    offers paying by invoice. Stripe was not asked."""


class TooManyAttempts(NotPayable):
    """The order has opened as many payment pages as it may; it is cancelled when the last one
    expires unpaid."""


def checkout_lines(order: Order) -> list[gateway.CheckoutLine]:
    """The order as Stripe line items: one per order line (its total, VAT included) and one for
    postage, so that Stripe's total is exactly the order's, penny for penny."""
    lines = [
        gateway.CheckoutLine(
            name=_line_name(line),
            unit_amount_pence=line.total_pence,
            quantity=1,
        )
        for line in order.lines
        if line.total_pence > 0
    ]
    if order.postage_pence:
        lines.append(gateway.CheckoutLine("Postage", order.postage_pence, 1))
    return lines


def _line_name(line) -> str:
    if line.format_kind == FormatKind.PDF:
        return f"{line.report_title}: PDF"
    copies = "1 printed copy" if line.quantity == 1 else f"{line.quantity} printed copies"
    return f"{line.report_title}: {copies}"


def start_checkout(order: Order) -> str | None:
    """Open a new Checkout Session for ``order`` and return the address of Stripe's page.

    Any earlier open session for the order is expired first, so two tabs can never both pay. If an
    earlier session turns out to be paid already, that payment is recorded and None is returned.
    Raises NotPayable (OutsideCardLimits, before any call, for a total a card cannot be
    charged; TooManyAttempts after MAX_CHECKOUT_ATTEMPTS pages, so that reopening
    them cannot hold printed copies for ever), or PaymentUnavailable when Stripe cannot be
    reached (nothing is lost: the order stays waiting for payment).

    The attempt and its random idempotency key are saved before Stripe is asked, and kept when
    Stripe does not answer (the caller commits them even then): asking again soon after sends
    the same request with the same key, so a session Stripe made before its answer was lost is
    the one the buyer gets, never a second.
    """
    states.lock_order(order)  # a switch to invoice, or another tab, waits its turn
    if order.state is not OrderState.PENDING_PAYMENT:
        raise NotPayable()
    if refused := pricing.card_total_refusal(order.total_pence):
        raise OutsideCardLimits(refused)
    try:
        earlier = _attempts(order)
        attempt = _unanswered(earlier) or _new_attempt(order, earlier)
        if attempt is None:
            return None  # an earlier page turned out to be paid: the payment is recorded
        session = _create_session(order, attempt)
    except gateway.StripeError as error:
        log.warning("Stripe refused or could not be reached for %s: %s", order.reference, error)
        raise PaymentUnavailable() from error
    attempt.stripe_session_id = session.id
    attempt.status = AttemptStatus.OPEN
    db.session.flush()
    return session.url


def _unanswered(earlier: list[CheckoutAttempt]) -> CheckoutAttempt | None:
    """The order's attempt whose request Stripe never answered (a timeout, perhaps after Stripe
    made the session), still young enough that its session would be open: asked again with the
    same key, Stripe gives back the session it made, or makes it now. An older one is given up
    (its session, if any, was never shown to anyone and expires by itself)."""
    attempt = next((a for a in earlier if a.status is AttemptStatus.STARTING), None)
    if attempt is None:
        return None
    if utcnow() - attempt.created_at < CLOCK_MARGIN:
        return attempt
    attempt.status = AttemptStatus.EXPIRED
    db.session.flush()
    return None


def _new_attempt(order: Order, earlier: list[CheckoutAttempt]) -> CheckoutAttempt | None:
    """A new attempt, saved with its own random key before Stripe is asked, once every
    ``earlier`` page is closed; None when one of them turns out to be paid."""
    if len(earlier) >= MAX_CHECKOUT_ATTEMPTS:
        raise TooManyAttempts()
    for attempt in earlier:
        if attempt.status in (AttemptStatus.OPEN, AttemptStatus.PROCESSING):
            _close(attempt)
    if order.state is not OrderState.PENDING_PAYMENT:
        return None
    attempt = CheckoutAttempt(
        order_id=order.id,
        number=max((attempt.number for attempt in earlier), default=0) + 1,
        # Random, never derived from our ids: another database on the same Stripe account (a
        # copy restored from backup, a test system) has orders with the same ids.
        idempotency_key=gateway.new_idempotency_key("checkout"),
        status=AttemptStatus.STARTING,
        amount_pence=order.total_pence,
        currency="gbp",
        created_at=utcnow(),
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _create_session(order: Order, attempt: CheckoutAttempt) -> gateway.CheckoutSession:
    """Ask Stripe for ``attempt``'s session: the same parameters (its lifetime counted from
    when the attempt was made) and key each time it is asked, so that Stripe replays one
    session rather than refusing the key or making a second."""
    expires_at = attempt.created_at + CHECKOUT_LIFETIME + CLOCK_MARGIN
    return gateway.create_checkout_session(
        order_id=order.id,
        reference=order.reference,
        email=order.email,
        lines=checkout_lines(order),
        success_url=external_url("payments.success") + "?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=external_url(
            "payments.cancelled",
            reference=order.reference,
            token=order_token(order, signed_at=attempt.created_at),
        ),
        idempotency_key=attempt.idempotency_key,
        expires_at=int(expires_at.timestamp()),
    )


def order_of_session(session_id: str) -> Order | None:
    """The order a Checkout Session was opened for, as recorded here (without asking Stripe)."""
    return db.session.scalar(
        select(Order)
        .join(CheckoutAttempt, CheckoutAttempt.order_id == Order.id)
        .where(CheckoutAttempt.stripe_session_id == session_id)
    )


def _attempts(order: Order, *statuses: AttemptStatus) -> list[CheckoutAttempt]:
    """The order's checkout attempts (those in ``statuses``, if given), oldest first."""
    query = select(CheckoutAttempt).where(CheckoutAttempt.order_id == order.id)
    if statuses:
        query = query.where(CheckoutAttempt.status.in_(statuses))
    return list(db.session.scalars(query.order_by(CheckoutAttempt.id)))


class StopReason(enum.Enum):
    """Why a card payment could not be stopped."""

    UNREACHABLE = "unreachable"  # Stripe could not be reached: the pages stay as they were
    PAID = "paid"  # a page was paid meanwhile: the payment is recorded (commit it)
    PROCESSING = "processing"  # a delayed payment is under way: it will settle by itself


class CardPaymentNotStopped(Exception):
    """The order's card payment could not be stopped; ``reason`` says why."""

    def __init__(self, reason: StopReason):
        super().__init__(reason.value)
        self.reason = reason


def stop_card_payment(order: Order) -> None:
    """Stop ``order``, waiting for a card payment, from being paid by card: expire every payment
    page still open, so that nobody pays an order that is being cancelled or paid another way.

    Raises CardPaymentNotStopped when it cannot: Stripe cannot be reached (nothing is lost), a
    page turns out to have been paid (the payment is recorded and the order is paid), or a
    delayed payment is already under way.
    """
    try:
        for attempt in _attempts(order, AttemptStatus.OPEN, AttemptStatus.PROCESSING):
            _close(attempt)
    except gateway.StripeError as error:
        log.warning("could not close the payment pages of %s: %s", order.reference, error)
        raise CardPaymentNotStopped(StopReason.UNREACHABLE) from error
    if order.state is not OrderState.PENDING_PAYMENT:
        raise CardPaymentNotStopped(StopReason.PAID)
    if _attempts(order, AttemptStatus.PROCESSING):
        raise CardPaymentNotStopped(StopReason.PROCESSING)


def _close(attempt: CheckoutAttempt) -> None:
    """Expire an earlier session; if it can no longer be expired, find out what happened to it."""
    try:
        gateway.expire_checkout_session(attempt.stripe_session_id)
        attempt.status = AttemptStatus.EXPIRED
        db.session.flush()
    except gateway.InvalidRequestError:
        _apply(attempt.order, attempt, gateway.retrieve_checkout_session(attempt.stripe_session_id))


def confirm_checkout_session(session_id: str, event: gateway.Event | None = None) -> Order | None:
    """Bring the order paid through ``session_id`` up to date with Stripe. Idempotent.

    ``event`` is the webhook event that prompted it, if any. Returns the order, or None when the
    session is not one of ours.
    """
    # The lock makes concurrent confirmations (webhook and success page, duplicate events) run
    # one after the other; the second then sees the first's work.
    order = db.session.scalar(
        select(Order)
        .join(CheckoutAttempt, CheckoutAttempt.order_id == Order.id)
        .where(CheckoutAttempt.stripe_session_id == session_id)
    )
    if order is None:
        return None
    order = states.lock_order(order)
    attempt = db.session.scalar(
        select(CheckoutAttempt)
        .where(CheckoutAttempt.stripe_session_id == session_id)
        .execution_options(populate_existing=True)
    )
    session = gateway.retrieve_checkout_session(session_id)
    if not session.is_ours or session.order_id != order.id:
        log.warning("checkout session %s does not belong to order %s", session_id, order.id)
        return None
    _apply(order, attempt, session, event)
    return order


def _apply(
    order: Order,
    attempt: CheckoutAttempt,
    session: gateway.CheckoutSession,
    event: gateway.Event | None = None,
) -> None:
    if session.status == "complete" and session.payment_status == "paid":
        _record_payment(order, attempt, session)
    elif session.status == "complete":
        if event is not None and event.type == "checkout.session.async_payment_failed":
            if attempt.status is not AttemptStatus.PAID:
                attempt.status = AttemptStatus.FAILED  # the order can be paid again
        elif attempt.status is AttemptStatus.OPEN:
            attempt.status = AttemptStatus.PROCESSING
    elif session.status == "expired":
        if attempt.status is AttemptStatus.OPEN:
            attempt.status = AttemptStatus.EXPIRED
        if _abandoned(order, attempt, session, event):
            orders.cancel_order(order, None, NOT_PAID_IN_TIME)
    db.session.flush()


def _abandoned(
    order: Order,
    attempt: CheckoutAttempt,
    session: gateway.CheckoutSession,
    event: gateway.Event | None,
) -> bool:
    """Whether the order's payment was abandoned: its latest session ran out of time.

    A session the portal expired early, to open a newer one, does not count: Stripe's own clock
    tells them apart (the event comes before the session's ``expires_at``), even when the event
    arrives before the newer attempt is committed.
    """
    if order.state is not OrderState.PENDING_PAYMENT or event is None:
        return False
    if session.expires_at is None or event.created is None or event.created < session.expires_at:
        return False
    latest = db.session.scalar(
        select(func.max(CheckoutAttempt.number)).where(CheckoutAttempt.order_id == order.id)
    )
    return attempt.number == latest


def _past_payment_time(now: datetime):
    """Card orders still waiting for payment although every Checkout Session made for them (or
    the order itself, if Stripe was never reached) is older than a session lives (a query)."""
    cutoff = now - CHECKOUT_LIFETIME - CLOCK_MARGIN
    recent_attempt = exists().where(
        CheckoutAttempt.order_id == Order.id, CheckoutAttempt.created_at >= cutoff
    )
    return select(Order.id).where(
        Order.state == OrderState.PENDING_PAYMENT,
        Order.payment_method == PaymentMethod.CARD,
        Order.created_at < cutoff,
        ~recent_attempt,
    )


def expire_if_unpaid(order_id: int, now: datetime) -> bool:
    """Cancel a card order whose payment time has run out, putting its printed copies back in
    stock; True when it was cancelled. For when Stripe's ``checkout.session.expired`` event was
    lost (or no session could be opened): the row lock that confirmation takes makes this and a
    late event or payment run one after the other, so the copies come back exactly once.

    Each session still open or processing in the portal's records is first brought up to date
    from Stripe: a payment whose event was lost is recorded (never cancelled); a session Stripe
    still calls open, or a delayed payment still processing, leaves the order alone.
    """
    order = db.session.get(Order, order_id)
    if order is not None:
        order = states.lock_order(order)
    past = db.session.scalar(_past_payment_time(now).where(Order.id == order_id))
    if order is None or past is None:
        return False
    for attempt in _attempts(order, AttemptStatus.OPEN, AttemptStatus.PROCESSING):
        _apply(order, attempt, gateway.retrieve_checkout_session(attempt.stripe_session_id))
    if order.state is not OrderState.PENDING_PAYMENT or _attempts(
        order, AttemptStatus.OPEN, AttemptStatus.PROCESSING
    ):
        return False
    orders.cancel_order(order, None, NOT_PAID_IN_TIME)
    return True


def expire_unpaid_card_orders(now: datetime) -> list[str]:
    """Cancel every card order whose payment time has run out (``expire_if_unpaid``); returns
    their references. Stripe being unreachable for one order leaves it for the next run.
    Flushes; the caller commits."""
    cancelled = []
    for order_id in db.session.scalars(_past_payment_time(now).order_by(Order.id)).all():
        try:
            with db.session.begin_nested():
                if expire_if_unpaid(order_id, now):
                    cancelled.append(db.session.get(Order, order_id).reference)
        except gateway.StripeError as error:
            log.warning("could not ask Stripe about order %s: %s", order_id, error)
    return cancelled


def _record_payment(order: Order, attempt: CheckoutAttempt, session: gateway.CheckoutSession):
    if attempt.status is AttemptStatus.PAID:
        return  # already recorded: a repeated event, or the success page after the webhook
    attempt.status = AttemptStatus.PAID
    attempt.paid_at = utcnow()
    attempt.stripe_payment_intent_id = session.payment_intent
    attempt.amount_paid_pence = session.amount_total
    paid = f"{format_pence(session.amount_total or 0)} {(session.currency or '').upper()}"
    if session.amount_total != order.total_pence or (session.currency or "").lower() != "gbp":
        order.attention = (
            f"Stripe reports {paid} paid (payment {session.payment_intent}) but the order "
            f"comes to {format_pence(order.total_pence)} GBP. Check it before releasing anything."
        )
    elif order.state is OrderState.PENDING_PAYMENT:
        settlement.settle(order, f"Card payment {session.payment_intent}", None, today_in_london())
    else:
        order.attention = (
            f"A card payment of {paid} (payment {session.payment_intent}) arrived when the "
            f"order was already {order.state.label.lower()}. Refund it."
        )
    db.session.flush()


def card_payments(order: Order) -> list[CheckoutAttempt]:
    """The card payments received for an order, oldest first."""
    return _attempts(order, AttemptStatus.PAID)


def record_event(event: gateway.Event) -> bool:
    """Remember a webhook event; False when it was seen before (a repeat delivery)."""
    seen = db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event.id))
    if seen is not None:
        return False
    db.session.add(StripeEvent(event_id=event.id, type=event.type))
    db.session.flush()  # a concurrent delivery of the same id fails here, on the unique id
    return True


def handle_event(event: gateway.Event) -> None:
    """Act on a verified webhook event once: unknown types and other sessions are ignored."""
    if not record_event(event):
        return
    dispatch_event(event)


def dispatch_event(event: gateway.Event) -> None:
    """Act on a verified event, recorded already: the one place an event meets its handler.
    Unknown types and other sessions are ignored.

    When Stripe says for good that the event's object cannot be read (it does not exist, or the
    key may not read it), the event is acknowledged: the reason is logged and staff are told
    (``event_alerts``), as asking again would fail again for days. Any other Stripe error
    (a timeout, a rate limit, a 5xx) propagates, so that the event is tried again."""
    try:
        # Each handler asks Stripe before it changes anything, so a refusal leaves nothing to
        # undo. (No savepoint: its release would run the after-commit side effects early.)
        _act_on(event)
    except gateway.StripeError as error:
        if not gateway.is_permanent(error):
            raise
        event_alerts.unreadable_event(event, error)


def _act_on(event: gateway.Event) -> None:
    if event.type in HANDLED_EVENTS and event.object_type == "checkout.session":
        confirm_checkout_session(event.object_id, event)
    elif event.type in refunds.REFUND_EVENTS:
        refunds.handle_refund_event(event)
