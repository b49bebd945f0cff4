"""A signed-in person's saved addresses: the list in their account, adding and removing one.
They are chosen at checkout (``views``)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from portal.addresses import services as addresses
from portal.checkout.forms import SavedAddressForm
from portal.checkout.views import bp
from portal.extensions import db


@bp.route("/account/addresses", methods=["GET", "POST"])
@login_required
def saved_addresses():
    form = SavedAddressForm()
    status = 200
    if form.validate_on_submit():
        address = addresses.Address(
            form.address_organisation.data or "",
            form.address_line1.data,
            form.address_line2.data or "",
            form.town.data,
            form.postcode.data,
            form.phone.data or "",
        )
        try:
            addresses.save_address(current_user.id, address)
        except addresses.TooManyAddresses:
            form.address_line1.errors.append(
                f"You keep {addresses.MAX_SAVED} addresses already: remove one to make room"
            )
        else:
            db.session.commit()
            flash("The address is saved. You can choose it at checkout.", "success")
            return redirect(url_for("checkout.saved_addresses"))
    if form.errors:
        status = 422
    return render_template(
        "checkout/saved_addresses.html",
        form=form,
        saved=addresses.saved_addresses(current_user.id),
    ), status


@bp.route("/account/addresses/<int:address_id>/remove", methods=["POST"])
@login_required
def remove_saved_address(address_id: int):
    saved = addresses.saved_address(current_user.id, address_id) or abort(404)
    addresses.remove_address(saved)
    db.session.commit()
    flash("The address is removed.", "success")
    return redirect(url_for("checkout.saved_addresses"))
