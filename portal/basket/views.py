"""The basket page: change quantities, remove lines, empty it."""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from portal import pricing
from portal.basket import services
from portal.basket.current import basket_items, current_basket, note_basket_items
from portal.basket.forms import QuantityForm
from portal.clock import today_in_london
from portal.extensions import db
from portal.organisations.services import person_for

bp = Blueprint("basket", __name__)
bp.add_app_template_global(basket_items)


def render_basket(errors: dict[int, str] | None = None, status: int = 200):
    today = today_in_london()
    basket = current_basket()
    withdrawn = services.remove_withdrawn(basket)
    if withdrawn:
        db.session.commit()
    person = person_for(current_user, today)
    priced = services.priced(basket, person, today)
    lines = basket.lines if basket else []
    note_basket_items(len(lines))
    return render_template(
        "basket/basket.html",
        lines=lines,
        priced=priced,
        errors=errors or {},
        withdrawn=withdrawn,
        lapsed=pricing.lapsed_membership(person, today),
        price_hint=_price_hint(person, today),
    ), status


def _price_hint(person: pricing.Person, today) -> str | None:
    """Why the person sees no subscriber prices, when they could do something about it (sign
    in, confirm their address, wait for their subscription to start): a hint of its own, since
    each line's reason only says what it costs. None for subscribers and for people whose
    organisation does not subscribe (the lines already say "Standard price")."""
    why = pricing.subscription_reason(person, today)
    return None if why == pricing.STANDARD_PRICE else why


@bp.route("/basket")
def show():
    return render_basket()


@bp.route("/basket/lines/<int:line_id>/quantity", methods=["POST"])
def change_quantity(line_id: int):
    basket = current_basket()
    if basket is None:
        return redirect(url_for("basket.show"))
    form = QuantityForm()
    try:
        if not form.validate_on_submit():
            raise services.BasketRefused(form.quantity.errors[0])
        services.set_quantity(basket, line_id, form.quantity.data)
    except services.BasketRefused as refused:
        db.session.rollback()
        return render_basket({line_id: str(refused)}, 400)
    db.session.commit()
    flash("Your basket has been updated.", "success")
    return redirect(url_for("basket.show"))


@bp.route("/basket/lines/<int:line_id>/remove", methods=["POST"])
def remove_line(line_id: int):
    basket = current_basket()
    if basket is not None:
        try:
            services.remove(basket, line_id)
        except services.BasketRefused as refused:
            flash(str(refused), "info")
        db.session.commit()
    return redirect(url_for("basket.show"))


@bp.route("/basket/empty", methods=["POST"])
def empty():
    basket = current_basket()
    if basket is not None:
        services.empty(basket)
        db.session.commit()
        flash("Your basket is empty.", "success")
    return redirect(url_for("basket.show"))
