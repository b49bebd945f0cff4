"""The home page, the accessibility statement and the health check."""

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from portal.catalogue import cache as catalogue
from portal.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("main/index.html", reports=catalogue.published_reports()[:3])


@bp.route("/accessibility")
def accessibility():
    """The accessibility statement: what we aim for, how it is tested, how to report a problem."""
    return render_template("main/accessibility.html")


@bp.route("/healthz")
def healthz():
    """200 while the database answers, 503 when it does not (for load balancers and monitors)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
