"""Exports: orders, downloads and the documents register for a date range, as CSV streamed row
by row.

Each export of personal data is written to the audit log before its first row leaves: who, which
export, its filters and how many rows it holds (``audit.record_export``)."""

from datetime import date

from flask import Response, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from portal import audit
from portal.admin import documents_register as register
from portal.admin import order_exports as export
from portal.admin.blueprint import bp
from portal.clock import today_in_london
from portal.extensions import db

FIELDS = (("from", "from date"), ("to", "to date"))


def _date_range() -> tuple[dict[str, str], tuple[date, date] | None, list[dict]]:
    """The ``from`` and ``to`` query-string dates as typed, the range when both are good, and
    the problems (each an error-summary entry linking to its field)."""
    typed = {name: request.args.get(name, "").strip()[:20] for name, _ in FIELDS}
    days, errors = {}, []
    for name, label in FIELDS:
        if not typed[name]:
            errors.append({"text": f"Enter a {label}", "href": f"#{name}"})
            continue
        try:
            days[name] = date.fromisoformat(typed[name])
        except ValueError:
            errors.append(
                {
                    "text": f"Enter the {label} as year-month-day, like 2026-04-01",
                    "href": f"#{name}",
                }
            )
    if not errors and days["to"] < days["from"]:
        errors.append(
            {"text": "The to date must be the same as or after the from date", "href": "#to"}
        )
    return typed, None if errors else (days["from"], days["to"]), errors


@bp.route("/exports")
def exports():
    if "from" not in request.args and "to" not in request.args:
        # A first visit: this month so far, London days.
        today = today_in_london()
        typed = {"from": today.replace(day=1).isoformat(), "to": today.isoformat()}
        return render_template("admin/exports/index.html", typed=typed, errors=[], chosen=True)
    typed, chosen, errors = _date_range()
    status = 400 if errors else 200
    return render_template(
        "admin/exports/index.html", typed=typed, errors=errors, chosen=chosen is not None
    ), status


def _csv(kind: str, rows, count):
    typed, chosen, errors = _date_range()
    if errors:
        # The exports page explains what is wrong with the dates, with the input kept.
        return redirect(url_for("admin.exports", **typed))
    first, last = chosen
    audit.record_export(current_user, kind, count(first, last), **{"from": first, "to": last})
    db.session.commit()  # on record before the first row leaves
    filename = f"{kind}-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(
        stream_with_context(rows(first, last)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",  # personal data: never kept by a cache
        },
    )


@bp.route("/exports/orders.csv")
def export_orders():
    return _csv("orders", export.order_lines_csv, export.order_line_count)


@bp.route("/exports/downloads.csv")
def export_downloads():
    return _csv("downloads", export.downloads_csv, export.download_count)


@bp.route("/exports/documents.csv")
def export_documents():
    return _csv("documents", register.documents_csv, register.document_count)
