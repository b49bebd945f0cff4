"""``/pay/<session id>``: the hosted payment page, plain HTML forms that work without JavaScript.

It offers what a tester needs from Stripe Checkout: pay, be declined, or cancel. Paying completes
the session and delivers ``checkout.session.completed`` *before* redirecting to ``success_url``,
as Stripe usually does; a declined card changes nothing.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template_string, request

from .errors import StripeAPIError
from .objects import format_amount
from .runtime import runtime
from .store import StateError

bp = Blueprint("hosted", __name__, url_prefix="/pay")

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ heading }}: test payment page</title>
<style>
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; margin: 0; color: #0b0c0c;
       line-height: 1.4; }
main { max-width: 40rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
.test-mode { background: #fff7bf; border-left: 5px solid #ffdd00; padding: .5rem .75rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0 1.5rem; }
caption { text-align: left; font-weight: bold; font-size: 1.2rem; margin-bottom: .5rem; }
th, td { text-align: left; padding: .5rem .25rem; border-bottom: 1px solid #b1b4b6; }
.num { text-align: right; }
label { display: block; font-weight: bold; margin: .75rem 0 .25rem; }
input { font: inherit; padding: .35rem; width: 100%; max-width: 24rem; border: 2px solid #0b0c0c; }
form { margin: 1rem 0; }
button { font: inherit; padding: .5rem 1.25rem; border: 0; cursor: pointer; }
.pay { background: #00703c; color: #fff; font-weight: bold; margin-top: 1rem; }
.secondary { background: #f3f2f1; color: #0b0c0c; box-shadow: 0 2px 0 #929191; }
button:focus, input:focus, a:focus { outline: 3px solid #ffdd00; outline-offset: 0; }
.alert { border: 5px solid #d4351c; padding: .75rem 1rem; margin: 1rem 0; }
.hint { color: #505a5f; margin: .25rem 0 0; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); white-space: nowrap; }
</style>
</head>
<body>
<main>
<p class="test-mode"><strong>Test payment page.</strong> It stands in for Stripe Checkout; no card
is charged.</p>
<h1>{{ heading }}</h1>
{% if session is none %}
<p>There is no payment with this address. Go back to the site you came from and start again.</p>
{% elif session.status == "open" %}
{% if declined %}
<div class="alert" role="alert">
<h2>Your card was declined</h2>
<p>Your bank declined the payment and nothing was taken. Try again, or use another card.</p>
</div>
{% endif %}
<table>
<caption>What you are paying for</caption>
<thead><tr><th scope="col">Item</th><th scope="col" class="num">Quantity</th>
<th scope="col" class="num">Price each</th><th scope="col" class="num">Amount</th></tr></thead>
<tbody>
{% for item in items %}
<tr><td>{{ item.description }}</td><td class="num">{{ item.quantity }}</td>
<td class="num">{{ money(item.price.unit_amount) }}</td>
<td class="num">{{ money(item.amount_total) }}</td></tr>
{% endfor %}
</tbody>
<tfoot><tr><th scope="row" colspan="3">Total</th>
<td class="num"><strong>{{ money(session.amount_total) }}</strong></td></tr></tfoot>
</table>
<form method="post" action="{{ url_for('hosted.pay', session_id=session.id) }}">
{% if session.customer_email %}
<p>Paying as {{ session.customer_email }}</p>
{% else %}
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="email" spellcheck="false">
{% endif %}
<label for="name">Name on card</label>
<input id="name" name="name" type="text" autocomplete="cc-name">
<button type="submit" class="pay">Pay</button>
</form>
<form method="post" action="{{ url_for('hosted.decline', session_id=session.id) }}">
<button type="submit" class="secondary" aria-describedby="decline-hint">Card declined</button>
<p class="hint" id="decline-hint">Try a card that the bank refuses.</p>
</form>
{% if session.cancel_url %}
<form method="post" action="{{ url_for('hosted.cancel', session_id=session.id) }}">
<button type="submit" class="secondary">Cancel</button>
</form>
{% endif %}
{% elif session.status == "complete" %}
<p>This payment is complete. You do not need to pay again.</p>
{% if session.success_url %}<p><a href="{{ back(session.success_url) }}">Return to the site</a></p>
{% endif %}
{% if refunds %}
<table>
<caption>Refunds of this payment (test controls)</caption>
<thead><tr><th scope="col">Refund</th><th scope="col" class="num">Amount</th>
<th scope="col">Status</th><th scope="col">Make it</th></tr></thead>
<tbody>
{% for refund in refunds %}
<tr><td>{{ refund.id }}</td><td class="num">{{ money(refund.amount) }}</td>
<td>{{ refund.status }}{% if refund.failure_reason %} ({{ refund.failure_reason }}){% endif %}</td>
<td>{% if refund.status in ("pending", "succeeded") %}
{% for outcome, after, label in controls if outcome == "failed" or refund.status == "pending" %}
<form method="post" action="{{ url_for('controls.settle_refund', refund_id=refund.id) }}">
<input type="hidden" name="session" value="{{ session.id }}">
<input type="hidden" name="outcome" value="{{ outcome }}">
<input type="hidden" name="after" value="{{ after }}">
<button type="submit" class="secondary">{{ label }}<span class="visually-hidden">
{{ refund.id }}</span></button>
</form>
{% endfor %}{% endif %}</td></tr>
{% endfor %}
</tbody>
</table>
<p class="hint">A refund made to fail in an hour fails when the account's clock passes that
hour: <code>POST /_standin/clock</code> with <code>advance=3600</code> moves it.</p>
{% endif %}
{% else %}
<p>This payment page has expired and no payment was taken. Go back to the site and start again.</p>
{% if session.cancel_url %}<p><a href="{{ session.cancel_url }}">Return to the site</a></p>
{% endif %}
{% endif %}
</main>
</body>
</html>
"""


#: The buttons beside a refund: (outcome, seconds later on the account's clock, label).
REFUND_CONTROLS = (
    ("succeeded", 0, "Succeed now"),
    ("failed", 0, "Fail now"),
    ("failed", 3600, "Fail in an hour"),
)


def _refunds_of(store, session: dict) -> list[dict]:
    """The refunds of the session's payment, oldest first."""
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    with store.lock:
        return [dict(r) for r in store.refunds.values() if intent and r["payment_intent"] == intent]


def _page(session_id: str, *, declined: bool = False, status: int = 200):
    store = runtime().store
    try:
        with store.lock:
            session = store.render(store.get("checkout.session", session_id))
            items = store.page_of_line_items(session_id, 100, None)["data"]
    except StripeAPIError:
        return render_template_string(PAGE, heading="Payment not found", session=None), 404
    heading = {
        "open": f"Pay {format_amount(session['amount_total'], session['currency'])}",
        "complete": "Payment complete",
        "expired": "This payment page has expired",
    }[session["status"]]
    html = render_template_string(
        PAGE, heading=heading, session=session, items=items, declined=declined,
        refunds=_refunds_of(store, session), controls=REFUND_CONTROLS,
        money=lambda amount: format_amount(amount, session["currency"]),
        back=lambda url: url.replace("{CHECKOUT_SESSION_ID}", session_id),
    )  # fmt: skip
    return html, status


@bp.get("/<session_id>")
def show(session_id: str):
    """The payment page, or a clear message when the session is complete or expired."""
    return _page(session_id)


@bp.post("/<session_id>/pay")
def pay(session_id: str):
    """Pay with a card that works: complete the session, deliver the event, go to success_url."""
    state = runtime()
    email = request.form.get("email", "").strip() or None
    name = request.form.get("name", "").strip() or None
    try:
        events = state.store.complete_session(session_id, paid=True, email=email, name=name)
    except (StateError, StripeAPIError):
        return _page(session_id, status=409)
    state.publish(events)
    session = state.store.get("checkout.session", session_id)
    if not session["success_url"]:
        return _page(session_id)
    return redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id), 303)


@bp.post("/<session_id>/decline")
def decline(session_id: str):
    """Try a card the bank refuses: say so; the session stays open and payable, with no event."""
    store = runtime().store
    try:
        is_open = store.get("checkout.session", session_id)["status"] == "open"
    except StripeAPIError:
        is_open = False
    return _page(session_id, declined=is_open, status=200 if is_open else 409)


@bp.post("/<session_id>/cancel")
def cancel(session_id: str):
    """Go back to cancel_url; the session stays as it was (open until it expires)."""
    store = runtime().store
    try:
        cancel_url = store.get("checkout.session", session_id)["cancel_url"]
    except StripeAPIError:
        cancel_url = None
    if not cancel_url:
        return _page(session_id)
    return redirect(cancel_url, 303)
