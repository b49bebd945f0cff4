"""The administration home and the audit log."""

from datetime import date

from flask import redirect, render_template, request, url_for

from portal.admin import audit
from portal.admin.blueprint import bp


def page_number() -> int:
    """``?page=`` as a positive whole number (anything else is page 1)."""
    value = request.args.get("page", "1")
    return int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 7 else 1


def date_arg(name: str) -> date | None:
    """``?name=YYYY-MM-DD`` as a date, or None when missing or not a date."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.route("/")
def index():
    return redirect(url_for("admin.orders"))


@bp.route("/audit")
def audit_log():
    page = page_number()
    filters = {
        "action": request.args.get("action", "")[:60],
        "target_type": request.args.get("target_type", "")[:40],
        "target_id": request.args.get("target_id", "")[:60],
        "actor": request.args.get("actor", "")[:254],
        "since": date_arg("since"),
        "until": date_arg("until"),
    }
    rows, more = audit.entries(**filters, page=page)
    return render_template(
        "admin/audit.html",
        entries=rows,
        more=more,
        page=page,
        filters=filters,
        actions=audit.actions(),
    )
