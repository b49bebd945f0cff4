"""The public content pages, each at its own address (``/privacy``, ``/terms``…)."""

from flask import Blueprint, current_app, render_template

from portal.content import services
from portal.content.pages import ContentPage
from portal.content.rendering import render_page
from portal.operations.security import public_page

bp = Blueprint("content", __name__)


def _show(page: ContentPage):
    shown = services.current_version(page)
    return render_template(
        "content/page.html",
        page=page,
        shown=shown,
        html=render_page(shown.body, current_app.config) if shown else None,
    )


def _page_view(page: ContentPage):
    def view():
        return _show(page)

    view.__name__ = page.value
    view.__doc__ = f"The {page.label.lower()}, as last published."
    return public_page(view)


for _page in ContentPage:
    bp.add_url_rule(_page.path, _page.value, _page_view(_page))
