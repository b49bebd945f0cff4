"""The dead letters page, ``/admin/jobs``: background jobs that failed every try, to try again or
remove. The queue itself is the jobs package's (``portal.jobs.services``)."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin.blueprint import bp
from portal.extensions import db
from portal.jobs import services

_UNAVAILABLE = "The job queue cannot be reached at the moment. Nothing was changed."
_GONE = "That job is no longer in the list: it was tried again or removed meanwhile."


@bp.route("/jobs")
def jobs():
    if not services.is_configured():
        return render_template("admin/jobs/dead_letters.html", configured=False, state=None)
    try:
        state = services.queue_state()
    except services.QueueUnavailable:
        return render_template(
            "admin/jobs/dead_letters.html", configured=True, state=None, unreachable=True
        )
    return render_template("admin/jobs/dead_letters.html", configured=True, state=state)


@bp.route("/jobs/<job_id>/retry", methods=["POST"])
def retry_job(job_id: str):
    return _act(services.retry, job_id, "is queued to be tried again")


@bp.route("/jobs/<job_id>/remove", methods=["POST"])
def remove_job(job_id: str):
    return _act(services.remove, job_id, "was removed")


def _act(action, job_id: str, done: str):
    try:
        letter = action(job_id, current_user)
    except services.QueueUnavailable:
        db.session.rollback()
        flash(_UNAVAILABLE, "error")
    except services.JobGone:
        db.session.rollback()
        flash(_GONE, "error")
    else:
        db.session.commit()
        flash(f"“{letter.what}” ({letter.arguments}) {done}.", "success")
    return redirect(url_for("admin.jobs"))
