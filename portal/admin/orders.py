"""Administrators' order lists: every order (filtered, searched, sorted), the printed copies
waiting to be posted, and a packing slip per order. The order page and its actions are in
``order_actions``."""

from flask import abort, render_template, request
from markupsafe import Markup

from portal.admin import (
    order_actions,  # noqa: F401  (the order page and its actions)
    order_queries,
)
from portal.admin.blueprint import bp
from portal.admin.params import date_arg, text_arg
from portal.catalogue import cache as catalogue_cache
from portal.orders.models import OrderState, PaymentMethod
from portal.pricing import FormatKind


def _enum_arg(name: str, enum_type):
    try:
        return enum_type(request.args.get(name, ""))
    except ValueError:
        return None


def _report_arg() -> int | None:
    value = request.args.get("report", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _filters() -> order_queries.OrderFilters:
    """The list's filters from the query string; a value that makes no sense is ignored."""
    return order_queries.OrderFilters(
        state=_enum_arg("state", OrderState),
        payment_method=_enum_arg("method", PaymentMethod),
        placed_from=date_arg("from"),
        placed_to=date_arg("to"),
        report_id=_report_arg(),
        organisation=text_arg("organisation", 200),
        subscriber={"subscriber": True, "paying": False}.get(request.args.get("who", "")),
        q=text_arg("q", 255),
    )


@bp.route("/orders")
def orders():
    filters = _filters()
    sort = request.args.get("sort", "newest")
    sort = sort if sort in order_queries.SORTS else "newest"
    after = order_queries.Place.parse(request.args.get("after", ""))
    before = order_queries.Place.parse(request.args.get("before", "")) if not after else None
    found = order_queries.find_orders(filters, sort, after, before)
    return render_template(
        "admin/orders/list.html",
        orders=found.orders,
        previous=found.previous,
        following=found.following,
        filters=filters,
        sort=sort,
        report_options=_report_options(filters.report_id),
        states=list(OrderState),
        methods=list(PaymentMethod),
    )


def _report_options(chosen: int | None) -> Markup:
    """The report filter's options, every report by title with the chosen one selected: drawn
    once and kept with the catalogue (a thousand reports made every view of the list slow)."""
    options = catalogue_cache.page(
        "admin-report-options",
        lambda: Markup("").join(
            Markup('<option value="{}">{}</option>').format(report_id, title)
            for report_id, title in catalogue_cache.report_titles()
        ),
    )
    if chosen is None:
        return options
    return options.replace(
        Markup('<option value="{}">').format(chosen),
        Markup('<option value="{}" selected>').format(chosen),
        1,
    )


@bp.route("/dispatch")
def dispatch_queue():
    return render_template("admin/orders/dispatch.html", orders=order_queries.dispatch_queue())


@bp.route("/orders/<reference>/packing-slip")
def packing_slip(reference: str):
    order = order_queries.find_order(reference)
    if order is None or not order.has_printed_copies:
        abort(404)
    lines = [
        line
        for line in order.lines
        if line.format_kind == FormatKind.PRINT and line.refunded_at is None
    ]
    return render_template("admin/orders/packing_slip.html", order=order, lines=lines)
