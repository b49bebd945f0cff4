"""The basket of whoever is making the request: an account's, or a guest's named in the session."""

from flask import g, has_request_context, session
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


def basket_items() -> int:
    """How many items (lines) are in the asker's basket, for the header's "Basket (2)".

    A signed-in person's count is read with them (``portal.accounts.signed_in``), so it costs no
    query of its own; a guest's is counted once per request, and only if their session names a
    basket. A page that has just changed the basket says the new count (``note_basket_items``).
    """
    if not has_request_context():
        return 0
    if "basket_items" not in g:
        g.basket_items = 0  # an error page drawn because the database is away shows none
        if current_user.is_authenticated:
            g.basket_items = getattr(current_user, "basket_items", 0)
        else:
            g.basket_items = services.count_lines(session.get(SESSION_KEY))
    return g.basket_items


def note_basket_items(count: int) -> None:
    """The basket now holds ``count`` items: the header of this request says so."""
    g.basket_items = count
