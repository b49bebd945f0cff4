"""The home page."""

from flask import Blueprint, render_template

from portal.catalogue import cache as catalogue
from portal.operations.security import public_page

bp = Blueprint("main", __name__)


@bp.route("/")
@public_page
def index():
    return render_template("main/index.html", reports=catalogue.published_reports()[:3])
