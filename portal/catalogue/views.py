"""The public catalogue: the list of reports and one report's page (where formats go in the
basket)."""

import hashlib
from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal import pricing
from portal.basket import services as basket
from portal.basket.current import basket_items, current_or_new_basket
from portal.basket.forms import AddToBasketForm
from portal.catalogue import cache, kept_stock, search
from portal.catalogue.covers import COVER_WIDTHS, cover_size_key
from portal.clock import today_in_london
from portal.extensions import db
from portal.operations.security import (
    drawn_for_reuse,
    public_page,
    reused,
    searched_text,
    sees_shared_pages,
)
from portal.orders import services as orders
from portal.organisations import membership_cache
from portal.organisations.services import person_for
from portal.pricing import FormatKind
from portal.storage import get_storage

bp = Blueprint("catalogue", __name__)
bp.record_once(lambda state: cache.init_app(state.app))
bp.record_once(lambda state: membership_cache.init_app(state.app))
bp.record_once(lambda state: kept_stock.init_app(state.app))


@bp.route("/reports")
@public_page
@searched_text("q")
def report_list():
    """The catalogue: searched, filtered, sorted and paged as the URL asks (a GET form), so it
    works without JavaScript and every look at it can be bookmarked."""
    listings = cache.published_reports()
    choices = search.catalogue_choices()
    query = search.CatalogueQuery.from_args(request.args, choices)

    def draw() -> str:
        return render_template(
            "catalogue/report_list.html",
            found=search.find_reports(query, listings),
            query=query,
            choices=choices,
            sorts=search.SORTS,
            catalogue_size=len(listings),
        )

    # The catalogue's own pages (no words, no filters: a page per sort and number) are few and
    # kept; searched and filtered looks can be made in too many ways to keep, so they are drawn
    # afresh (from the cached catalogue).
    if query.is_filtered:
        return reused(drawn_for_reuse(draw)) if sees_shared_pages() else draw()
    return cache.page_for_visitor(f"report_list:{query.key}", draw)


@bp.route("/reports/<slug>", methods=["GET", "POST"])
@public_page
def report_detail(slug: str):
    report = cache.published_report(slug)
    if report is None:
        abort(404)
    # The form is made only for an answer: making it issues a CSRF token, which starts a session,
    # and a visitor without one is served the page drawn for all such visitors (below).
    form = AddToBasketForm() if request.method == "POST" else None
    error = None
    if form is not None:
        error = _add_to_basket(report, form)
        if error is None:
            return redirect(url_for("basket.show"))

    today = today_in_london()
    # The prices and stock shown: from the memberships and stock this process keeps; the basket
    # reads them afresh.
    person = person_for(current_user, today, membership_cache.kept_memberships)
    quotes, stock = orders.quotes_and_stock(person, report.formats, today, kept_stock.kept_stock)
    formats = [f.with_stock(stock.get(f.id)) for f in report.formats]
    pdf = next((f for f in formats if f.kind is FormatKind.PDF), None)
    shown = {
        "report": report,
        "formats": formats,
        "person": person,
        "quotes": quotes,
        "why_not_subscriber": pricing.subscription_reason(person, today),
        "lapsed": pricing.lapsed_membership(person, today),
        "one_click_pdf": pdf if pdf and pricing.may_take_free_pdf(person, pdf, today) else None,
    }
    entered = form.quantity.raw_data if error and form is not None else None

    def draw() -> str:
        return render_template(
            "catalogue/report_detail.html",
            **shown,
            subscriber_terms=pricing.subscriber_terms,
            error=error,
            entered_quantity=entered[0] if entered else None,
        )

    if error is not None:
        return draw(), 400
    # What a visitor without a session sees of this report depends on the day and on which of
    # its formats are in stock.
    in_stock = "".join("1" if f.in_stock else "0" for f in formats)
    name = f"report:{report.slug}:{today.isoformat()}:{in_stock}"
    if current_user.is_authenticated:
        return _page_for_signed_in(name, shown, draw)
    return cache.page_for_visitor(name, draw)


@bp.route("/reports/<slug>/sample.pdf")
@public_page
def report_sample(slug: str):
    """The report's free sample, for anyone: no account, and no download is counted."""
    report = cache.published_report(slug)
    if report is None or not report.sample_file_key:
        abort(404)
    response = get_storage().send(
        report.sample_file_key,
        download_name=f"{report.slug}-sample.pdf",
        mimetype="application/pdf",
    )
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/reports/<slug>/cover-<int:width>.jpg")
@public_page
def report_cover(slug: str, width: int):
    """The report's cover, drawn ``width`` pixels wide (one of ``COVER_WIDTHS``)."""
    report = cache.published_report(slug)
    if report is None or not report.cover_image_key or width not in COVER_WIDTHS:
        abort(404)
    storage = get_storage()
    key = cover_size_key(report.cover_image_key, width)
    if not storage.exists(key):
        abort(404)
    # A few kilobytes: read whole rather than streamed.
    with storage.open(key) as image:
        response = Response(image.read(), mimetype="image/jpeg")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


#: Pages drawn for signed-in people that a process keeps at most (each a few tens of KB).
SIGNED_IN_PAGES_KEPT = 500


def _page_for_signed_in(name: str, shown: dict, draw: Callable[[], str]) -> str:
    """``draw()`` for a signed-in person, kept and shared with everyone it would be drawn the same
    for: a page depends on what it shows them (the report, stock, their prices and why, the
    renewal, the free download: ``shown``) and on what the header shows (administration, the
    basket's count), never on who they are, so people of one organisation on one day share one.
    Each response gets its own nonce and its person's own form token; a message waiting for them
    (``flash``) has it drawn afresh."""
    if session.get("_flashes"):
        return draw()
    # The report itself is named (and a change to it replaces every kept page).
    state = repr(
        (
            [v for k, v in sorted(shown.items()) if k != "report"],
            current_user.is_admin,
            basket_items(),
        )
    )
    digest = hashlib.blake2b(state.encode(), digest_size=16).hexdigest()
    kept = cache.page(
        f"{name}:signed-in:{digest}",
        lambda: drawn_for_reuse(draw),
        kept_at_most=SIGNED_IN_PAGES_KEPT,
        kind="signed-in",
    )
    return reused(kept)


def _add_to_basket(
    report: cache.ReportListing, form: AddToBasketForm
) -> tuple[int | None, str] | None:
    """Put the chosen format in the asker's basket; the problem (format id, message) if not.

    The report's listing may come from the cache; the format is read afresh (stock decides)."""
    chosen_id = form.chosen_format_id()
    listed = any(f.id == chosen_id for f in report.formats)
    chosen = basket.format_for_sale(chosen_id) if listed else None
    if chosen is None or chosen.report_id != report.id:
        return None, "Choose a format of this report"
    quantity = 1
    if chosen.kind is FormatKind.PRINT:
        if not form.validate():
            return chosen.id, (form.quantity.errors or ["Enter the number of copies"])[0]
        quantity = form.quantity.data
    added = f"{chosen.kind.label} of “{report.title}” added to your basket."
    chosen_id = chosen.id
    try:
        _put_in_basket(chosen, quantity)
    except basket.BasketRefused as refused:
        db.session.rollback()
        return chosen_id, str(refused)
    flash(added, "success")
    return None


def _put_in_basket(chosen, quantity: int) -> None:
    """Add ``quantity`` of ``chosen`` to the asker's basket and commit. Two adds at once from one
    person (two tabs, a double click) may both make their first basket, or the same line: the
    database keeps the first and refuses the second, which is then added to what the first
    made, as if it had come a moment later."""
    for last_try in (False, True):
        try:
            basket.add(current_or_new_basket(), chosen, quantity)
            db.session.commit()
            return
        except IntegrityError:
            db.session.rollback()
            if last_try:
                raise
