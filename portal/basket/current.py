"""The basket of whoever is making the request: an account's, or a guest's named in the session."""

from flask import session
from flask_login import current_user

from portal.basket import services
from portal.basket.models import Basket

SESSION_KEY = "basket_id"


def current_basket(*, with_formats: bool = True) -> Basket | None:
    """The basket of whoever is asking (None if they have none yet), its lines' formats and
    reports loaded unless told otherwise."""
    user_id = current_user.id if current_user.is_authenticated else None
    return services.find_basket(user_id, session.get(SESSION_KEY), with_formats=with_formats)


def current_or_new_basket() -> Basket:
    """The asker's basket, made now if they have none (a guest's is remembered in the session)."""
    if current_user.is_authenticated:
        return services.basket_for_user(current_user.id)
    basket = current_basket(with_formats=False)
    if basket is None:
        basket = services.new_guest_basket()
        session[SESSION_KEY] = basket.id
    return basket
