"""The administration home and the audit log."""

from flask import redirect, render_template, url_for

from portal import audit
from portal.admin.audit_wording import action_words, audit_rows
from portal.admin.blueprint import bp
from portal.admin.params import date_arg, page_number, text_arg


@bp.route("/")
def index():
    return redirect(url_for("admin.orders"))


@bp.route("/audit")
def audit_log():
    page = page_number()
    filters = {
        "action": text_arg("action", 60),
        "target_type": text_arg("target_type", 40),
        "target_id": text_arg("target_id", 60),
        "actor": text_arg("actor", 254),
        "since": date_arg("since"),
        "until": date_arg("until"),
    }
    rows, more = audit.entries(**filters, page=page)
    return render_template(
        "admin/audit.html",
        entries=audit_rows(rows),
        more=more,
        page=page,
        filters=filters,
        actions=[(name, action_words(name)) for name in audit.actions()],
    )
