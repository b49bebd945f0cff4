"""Who may see an order: its owner, an administrator, the browser that placed it, or the holder
of the signed link from the order's emails."""

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import or_, select

from portal.accounts.second_factor import is_verified_administrator
from portal.extensions import db
from portal.orders.models import Order
from portal.public_url import external_url

_SALT = "orders.view"


def _serializer(signer: type[TimestampSigner] = TimestampSigner) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT, signer=signer)


def order_token(order: Order, signed_at: datetime | None = None) -> str:
    """The signed token that shows ``order`` to whoever holds it. ``signed_at`` dates it (it
    lasts from then), so that the same request made again carries the same token: Stripe
    replays a request sent again with its idempotency key only when nothing in it changed."""
    if signed_at is None:
        return _serializer().dumps(order.id)
    then = int(signed_at.timestamp())

    class SignedThen(TimestampSigner):
        def get_timestamp(self) -> int:
            return then

    return _serializer(SignedThen).dumps(order.id)


def order_link(order: Order) -> str:
    """The order page's address with a signed token, for emails (works without signing in)."""
    return external_url("orders.show", reference=order.reference, token=order_token(order))


def token_state(order: Order, token: str | None) -> str:
    """``valid``, ``expired`` (a genuine link for this order, too old) or ``invalid``; every
    link is invalid once the buyer was erased."""
    if not token or len(token) > 200 or order.erased_at is not None:
        return "invalid"
    serializer = _serializer()
    try:
        opened = serializer.loads(token, max_age=current_app.config["DOWNLOAD_LINK_MAX_AGE"])
    except SignatureExpired as expired:
        # The signature is genuine; only its age fails. Which order was it for?
        try:
            opened = serializer.load_payload(expired.payload)
        except BadSignature:
            return "invalid"
        return "expired" if opened == order.id else "invalid"
    except BadSignature:
        return "invalid"
    return "valid" if opened == order.id else "invalid"


def token_opens(order: Order, token: str | None) -> bool:
    return token_state(order, token) == "valid"


def owns(order: Order, user) -> bool:
    """The order is the person's: placed while signed in, or as a guest with the address they
    have since verified on their account."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if order.erased_at is not None:
        return False
    if order.user_id is not None:
        return order.user_id == user.id
    return bool(user.email_verified) and order.email == user.email


#: Where a browser's session keeps the orders placed in it (the last ``_PLACED_KEPT``), so a guest
#: sees their order without a link.
_PLACED_KEY = "placed_orders"
_PLACED_KEPT = 20


def placed_here(browser_session) -> list[int]:
    """The ids of the orders placed in this browser, as its session remembers them."""
    return browser_session.get(_PLACED_KEY, [])


def remember_placed(browser_session, order_id: int) -> None:
    """Have this browser's session remember an order placed (or paid) in it."""
    placed = placed_here(browser_session)
    if order_id not in placed:
        browser_session[_PLACED_KEY] = [*placed[-(_PLACED_KEPT - 1) :], order_id]


def placed_in_browser(order: Order, placed_here) -> bool:
    """The browser asking placed the order (its session remembers it), and the buyer was not
    erased since."""
    return order.id in placed_here and order.erased_at is None


def may_view(order: Order, user, placed_here: list[int], token: str | None) -> bool:
    """Administrators always (an erased buyer's order included); otherwise its buyer."""
    if is_verified_administrator(user):
        return True
    return owns(order, user) or placed_in_browser(order, placed_here) or token_opens(order, token)


def find_order(reference: str) -> Order | None:
    if len(reference) > 20:
        return None
    return db.session.scalar(select(Order).where(Order.reference == reference))


def orders_of(user) -> list[Order]:
    """A person's orders, newest first, including those placed as a guest with the address
    they have verified."""
    mine = Order.user_id == user.id
    if user.email_verified:
        mine = or_(mine, (Order.user_id.is_(None)) & (Order.email == user.email))
    return list(db.session.scalars(select(Order).where(mine).order_by(Order.id.desc())))
