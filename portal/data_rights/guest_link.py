"""The link a guest buyer is emailed to download their data: signed, for the address their
orders were placed with, and working for ``GUEST_DATA_LINK_MAX_AGE`` seconds."""

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.email import send_email
from portal.orders.models import Order
from portal.public_url import external_url

_SALT = "data_rights.guest_archive"


#: The answer each refusal gets.
_STATUS = {"invalid": 400, "expired": 410, "other_person": 403}


class LinkRefused(Exception):
    """The link is refused: ``why`` is ``invalid`` (not genuine), ``expired``, or ``other_person``
    (opened by someone signed in with another address)."""

    def __init__(self, why: str = "invalid"):
        super().__init__(why)
        self.why = why

    @property
    def status(self) -> int:
        return _STATUS[self.why]


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def send_link(order: Order) -> None:
    """Email the order's own address (never another) a link to the data held under it."""
    token = _serializer().dumps(order.email.strip().lower())
    send_email(
        "guest_data_link",
        order.email,
        order=order,
        link=external_url("data_rights.guest_archive", token=token),
        hours=current_app.config["GUEST_DATA_LINK_MAX_AGE"] // 3600,
    )


def address_in(token: str, signed_in_user=None) -> str:
    """The address the link was sent to; raises ``LinkRefused``. Someone signed in with another
    address is refused: the link is for the person who received it."""
    if len(token) > 400:
        raise LinkRefused()
    try:
        address = _serializer().loads(token, max_age=current_app.config["GUEST_DATA_LINK_MAX_AGE"])
    except SignatureExpired as error:
        raise LinkRefused("expired") from error
    except BadSignature as error:
        raise LinkRefused() from error
    if not isinstance(address, str):
        raise LinkRefused()
    if getattr(signed_in_user, "is_authenticated", False) and signed_in_user.email != address:
        raise LinkRefused("other_person")
    return address
