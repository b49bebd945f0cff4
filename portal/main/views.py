"""The home page."""

from flask import Blueprint, render_template

from portal.catalogue import cache as catalogue
from portal.operations.security import public_page

bp = Blueprint("main", __name__)


@bp.route("/")
@public_page
def index():
    """The home page: drawn once per catalogue for visitors whose page is not their own."""
    return catalogue.page_for_visitor(
        "home",
        lambda: render_template("main/index.html", reports=catalogue.published_reports()[:3]),
    )
