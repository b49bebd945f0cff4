"""Checkout: contact details (and a delivery address for printed copies), a review, then the
order is placed and paid (by card through Stripe, or at once when it costs nothing)."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from portal import pricing
from portal.addresses import services as addresses
from portal.basket import services as baskets
from portal.basket.current import current_basket
from portal.checkout import services as checkout
from portal.checkout.forms import ContactForm, DeliveryForm, PaymentForm
from portal.clock import today_in_london
from portal.content import services as content
from portal.extensions import db
from portal.operations.limits import (
    PLACE_ORDER,
    emails_typed_address,
    post_limit,
    would_refuse,
)
from portal.orders import approval, thanks
from portal.orders import services as orders
from portal.orders.access import remember_placed
from portal.orders.models import PaymentMethod
from portal.organisations.services import person_for
from portal.payments import services as payments
from portal.payments.saved_order import saved_order_page
from portal.pricing import FormatKind

bp = Blueprint("checkout", __name__)

DETAILS_KEY = "checkout_details"
PAYMENT_KEY = "checkout_payment"
_PAYMENT_FIELDS = (
    "method",
    "po_number",
    "po_to_follow",
    "billing_organisation",
    "billing_line1",
    "billing_line2",
    "billing_town",
    "billing_postcode",
    "billing_phone",
    "finance_email",
    "billing_same_as_delivery",
)
_ADDRESS_FIELDS = (
    "address_organisation",
    "address_line1",
    "address_line2",
    "town",
    "postcode",
    "phone",
)


def _chosen_address():
    """The signed-in person's saved address named by ``?address=`` (None for none, or for
    anyone else's)."""
    chosen = request.args.get("address", type=int)
    if chosen is None or not current_user.is_authenticated or not 0 < chosen < 2**63:
        return None
    return addresses.saved_address(current_user.id, chosen)


def _saved_addresses() -> list:
    return addresses.saved_addresses(current_user.id) if current_user.is_authenticated else []


def _basket_or_redirect():
    basket = current_basket()
    withdrawn = baskets.remove_withdrawn(basket)
    if withdrawn:
        db.session.commit()
        for message in withdrawn:
            flash(message, "info")
        return None, redirect(url_for("basket.show"))
    if basket is None or not basket.lines:
        flash("Your basket is empty.", "info")
        return None, redirect(url_for("basket.show"))
    return basket, None


def _needs_address(basket) -> bool:
    return any(line.report_format.kind is FormatKind.PRINT for line in basket.lines)


@bp.route("/checkout", methods=["GET", "POST"])
def details():
    basket, away = _basket_or_redirect()
    if away:
        return away
    needs_address = _needs_address(basket)
    form = (DeliveryForm if needs_address else ContactForm)(data=session.get(DETAILS_KEY))
    if current_user.is_authenticated:
        del form.email  # an account's orders go to its own, verified, address
        if not form.is_submitted() and not session.get(DETAILS_KEY):
            form.name.data = current_user.name
            form.organisation.data = current_user.organisation_name
    elif needs_address:
        del form.save_address  # only an account keeps addresses
    chosen = _chosen_address() if needs_address else None
    if chosen is not None and not form.is_submitted():
        form.address_organisation.data = chosen.organisation
        form.address_line1.data, form.address_line2.data = chosen.line1, chosen.line2
        form.town.data, form.postcode.data, form.phone.data = (
            chosen.town,
            chosen.postcode,
            chosen.phone,
        )
    if form.validate_on_submit():
        session[DETAILS_KEY] = {
            name: getattr(form, name).data or ""
            for name in ("name", "email", "organisation", *_ADDRESS_FIELDS)
            if name in form
        }
        if "save_address" in form and form.save_address.data:
            _save_address(session[DETAILS_KEY])
        return redirect(url_for("checkout.payment"))
    return render_template(
        "checkout/details.html",
        form=form,
        needs_address=needs_address,
        saved=_saved_addresses() if needs_address else [],
    )


def _address(fields: dict, prefix: str = "") -> addresses.Address:
    """The address in a checkout step's fields (delivery's, or billing's with ``billing_``)."""
    names = ("organisation", "line1", "line2", "town", "postcode", "phone")
    if prefix:
        return addresses.Address(*(fields.get(f"{prefix}{name}", "") for name in names))
    delivery = ("address_organisation", "address_line1", "address_line2", "town", "postcode")
    return addresses.Address(*(fields.get(name, "") for name in (*delivery, "phone")))


def _save_address(details: dict) -> None:
    try:
        addresses.save_address(current_user.id, _address(details))
    except addresses.TooManyAddresses:
        flash(
            f"You keep {addresses.MAX_SAVED} addresses already, so this one was not saved. "
            "Remove one from your account to make room.",
            "info",
        )
        return
    db.session.commit()


@bp.route("/checkout/payment", methods=["GET", "POST"])
def payment():
    basket, away = _basket_or_redirect()
    if away:
        return away
    details = session.get(DETAILS_KEY)
    if not details:
        return redirect(url_for("checkout.details"))
    today = today_in_london()
    priced = baskets.priced(basket, person_for(current_user, today), today)
    if priced.totals.total_pence == 0:
        session[PAYMENT_KEY] = {"method": "free"}
        return redirect(url_for("checkout.review"))
    form = PaymentForm(
        data=session.get(PAYMENT_KEY), delivery=details if _needs_address(basket) else None
    )
    chosen = _chosen_address()
    if chosen is not None and not form.is_submitted():
        form.method.data = "invoice"
        form.billing_organisation.data = chosen.organisation
        form.billing_line1.data, form.billing_line2.data = chosen.line1, chosen.line2
        form.billing_town.data, form.billing_postcode.data = chosen.town, chosen.postcode
        form.billing_phone.data = chosen.phone
    if form.validate_on_submit():
        if form.method.data == "invoice" and not details.get("organisation"):
            form.method.errors.append(
                "To pay by invoice, give the organisation you are ordering for in your details"
            )
        else:
            session[PAYMENT_KEY] = {
                name: form[name].data or "" for name in _PAYMENT_FIELDS if name in form
            }
            if form.method.data != "invoice" or form.po_to_follow.data:
                session[PAYMENT_KEY]["po_number"] = ""
            return redirect(url_for("checkout.review"))
    return render_template(
        "checkout/payment.html",
        form=form,
        total=priced.totals.total_pence,
        details=details,
        saved=_saved_addresses(),
    )


@bp.route("/checkout/review", methods=["GET", "POST"])
@post_limit(PLACE_ORDER)
@emails_typed_address
def review():
    basket, away = _basket_or_redirect()
    if away:
        return away
    details = session.get(DETAILS_KEY) or {}
    needs_address = _needs_address(basket)
    if not details or (needs_address and not details.get("postcode")):
        return redirect(url_for("checkout.details"))
    paying = session.get(PAYMENT_KEY) or {}
    if paying.get("method") not in ("card", "invoice", "free"):
        return redirect(url_for("checkout.payment"))
    today = today_in_london()
    person = person_for(current_user, today)
    priced = baskets.priced(basket, person, today)
    if (paying["method"] == "free") != (priced.totals.total_pence == 0):
        return redirect(url_for("checkout.payment"))  # the basket's price changed meanwhile
    form = FlaskForm()
    problem = problem_href = None
    if paying["method"] == "card" and (
        problem := pricing.card_total_refusal(priced.totals.total_pence)
    ):
        # Refused before any order or call to Stripe: a payment page Stripe would refuse.
        problem_href = url_for("checkout.payment")
    elif form.validate_on_submit() and (problem := _too_many_emails(details)) is None:
        on_invoice = paying["method"] == "invoice"
        try:
            placed = checkout.place_basket(
                basket,
                _buyer(details),
                person,
                today,
                PaymentMethod.INVOICE if on_invoice else PaymentMethod.CARD,
                delivery=_delivery(details) if needs_address else None,
                invoice=_invoice_details(paying) if on_invoice else None,
                accepted=content.accepted_at_checkout(request.form),
            )
        except content.TermsChanged as changed:
            db.session.rollback()
            problem, problem_href = str(changed), "#agreement"
        except orders.OutOfStock as out:
            db.session.rollback()
            problem = (
                f"There are not enough printed copies of “{out.report_format.report.title}” "
                "left. Change the number in your basket. You have not been charged."
            )
        except orders.CopyLimitReached as limit:
            db.session.rollback()
            problem = f"{limit} Change the number in your basket. You have not been charged."
        except orders.NotForSale as withdrawn:
            db.session.rollback()
            problem = (
                f"“{withdrawn.report_format.report.title}” is no longer for sale. Remove it "
                "from your basket. You have not been charged."
            )
        else:
            return _after_placing(placed)
    return render_template(
        "checkout/review.html",
        priced=priced,
        details=details,
        paying=paying,
        needs_address=needs_address,
        waits_for_approval=paying["method"] == "invoice"
        and approval.waits_for_approval(person, PaymentMethod.INVOICE, baskets.items(basket)),
        credit=approval.credit_for(
            person,
            _buyer(details).email,
            PaymentMethod.INVOICE if paying["method"] == "invoice" else PaymentMethod.CARD,
        ),
        payment_minutes=payments.CHECKOUT_LIFETIME.seconds // 60,
        form=form,
        problem=problem,
        problem_href=problem_href or url_for("basket.show"),
        agreement=content.versions_to_accept(),
        agreement_field=content.form_field,
    ), (409 if problem else 200)


def _too_many_emails(details: dict) -> str | None:
    """Why the order cannot be placed now: its buyer's address has had as many emails as the
    limits allow (the finance contact has a daily cap of its own, which holds rather than
    refuses)."""
    address = _buyer(details).email
    if not would_refuse([address]):
        return None
    return (
        f"We have sent several emails to {address} recently, so we cannot place another order "
        "for it just now. Try again later. You have not been charged."
    )


def _buyer(details: dict) -> orders.Buyer:
    if current_user.is_authenticated:
        return orders.Buyer(
            current_user.email, details["name"], details.get("organisation", ""), current_user.id
        )
    return orders.Buyer(details["email"], details["name"], details.get("organisation", ""))


def _delivery(details: dict) -> orders.Delivery:
    address = _address(details)
    return orders.Delivery(
        name=details["name"],
        line1=address.line1,
        line2=address.line2,
        town=address.town,
        postcode=address.postcode,
        organisation=address.organisation,
        phone=address.phone,
    )


def _invoice_details(paying: dict) -> orders.InvoiceDetails:
    address = _address(paying, "billing_")
    return orders.InvoiceDetails(
        po_number=paying["po_number"],
        line1=address.line1,
        line2=address.line2,
        town=address.town,
        postcode=address.postcode,
        finance_email=paying["finance_email"],
        organisation=address.organisation,
        phone=address.phone,
    )


#: What the thank-you panel says when the order is placed and there is no card payment to start.
_PLACED_WORDS = {
    checkout.NextStep.AWAIT_APPROVAL: (
        "It is waiting for our approval. We will email the VAT invoice to {email} once it is "
        "approved."
    ),
    checkout.NextStep.PAY_INVOICE: (
        "We have emailed the VAT invoice to {email}. Your PDFs and printed copies are released "
        "once it is paid, or sooner if we approve credit."
    ),
    checkout.NextStep.RELEASED_ON_CREDIT: (
        "It is placed on credit terms. We have emailed the VAT invoice to {email}, to pay "
        "within {days} days. Your PDFs can be downloaded now, and any printed copies will be "
        "posted without waiting for payment."
    ),
    checkout.NextStep.NOTHING_TO_PAY: (
        "{state}. We have emailed your order confirmation to {email}."
    ),
}


def _after_placing(placed: checkout.Placed):
    order = placed.order
    db.session.commit()
    remember_placed(session, order.id)
    session.pop(DETAILS_KEY, None)
    session.pop(PAYMENT_KEY, None)
    placed_words = _PLACED_WORDS.get(placed.next_step)
    if placed_words is not None:
        thanks.thank_for(
            order,
            placed_words.format(
                email=order.email,
                days=current_app.config["INVOICE_PAYMENT_DAYS"],
                state=order.state_label,
            ),
        )
        return redirect(url_for("orders.show", reference=order.reference))
    try:
        stripe_page = payments.start_checkout(order)
    except payments.PaymentUnavailable:
        db.session.commit()  # the attempt and its key, to ask again with
        return saved_order_page(order)
    db.session.commit()
    return redirect(stripe_page or url_for("orders.show", reference=order.reference), 303)
