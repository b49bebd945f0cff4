"""No cache keeps a private page: every response carries ``Cache-Control: no-store``, except the
public pages as a visitor without a session sees them, which keep their own headers, and the
static files. Every rule of the URL map is walked, so a new page cannot be left out."""

import pytest
from flask import Flask
from sqlalchemy import select

from config import TestingConfig
from portal import create_app
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import Order
from tests.security.helpers import session_csrf
from tests.security.test_authorisation_matrix import _cases, _path

#: The pages every visitor without a session is shown alike (the catalogue cache's pages).
PUBLIC_PAGES = (
    "main.index",
    "catalogue.report_list",
    *(f"content.{page}" for page in ("privacy", "terms", "licence", "cookies", "accessibility")),
)


def pytest_generate_tests(metafunc):
    if "route_case" in metafunc.fixturenames:
        cases = [c for c in _cases(create_app(TestingConfig)) if c[0] != "static"]
        metafunc.parametrize("route_case", cases, ids=[f"{m} {e}" for e, m in cases])


def _kept_from_caches(response) -> bool:
    return bool(response.cache_control.no_store)


def test_no_page_shown_to_someone_with_a_session_is_stored(app, world, persona_client, route_case):
    endpoint, method = route_case
    path = _path(app, world, endpoint)
    wrong = []
    for persona in ("anonymous", "customer", "admin"):
        client = persona_client(persona)
        token = session_csrf(client)  # a session, as any visitor who has used a form has
        data = {"csrf_token": token} if method == "POST" else None
        with client.open(path, method=method, data=data) as response:
            if not _kept_from_caches(response):
                got = response.headers.get("Cache-Control")
                wrong.append(f"{persona}: {response.status_code}, Cache-Control {got!r}")
    assert not wrong, f"{method} {path}: " + "; ".join(wrong)


def _emailed_links(app, world) -> list[str]:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == world.reference))
        token = order_token(order)
    return [
        _path(app, world, "accounts.reset_password"),
        _path(app, world, "accounts.verify_email"),
        f"/orders/{world.reference}?token={token}",
        f"/orders/{world.reference}/documents/{world.document_number}.pdf?token={token}",
    ]


def test_pages_opened_from_emailed_links_are_never_stored(app, world):
    for path in _emailed_links(app, world):
        response = app.test_client().get(path)  # a browser with nothing but the link
        assert response.cache_control.no_store, (path, response.status_code)


@pytest.mark.parametrize("endpoint", [*PUBLIC_PAGES, "catalogue.report_detail"])
def test_public_pages_keep_their_headers_for_visitors_without_a_session(app, world, endpoint):
    response = app.test_client().get(_path(app, world, endpoint))
    assert response.status_code == 200
    assert "Cache-Control" not in response.headers or response.headers.get("Set-Cookie")
    if response.headers.get("Set-Cookie"):  # a form's token started a session: theirs alone
        assert _kept_from_caches(response)


@pytest.mark.parametrize("endpoint", PUBLIC_PAGES)
def test_a_public_page_drawn_for_a_signed_in_person_is_not_stored(
    app, world, persona_client, endpoint
):
    response = persona_client("subscriber").get(_path(app, world, endpoint))
    assert response.cache_control.no_store


def test_a_page_added_without_a_word_about_caching_is_not_stored():
    fresh: Flask = create_app(TestingConfig)
    fresh.add_url_rule("/internal/everything", "internal_dump", lambda: "every order")
    assert fresh.test_client().get("/internal/everything").cache_control.no_store


def test_a_view_that_chose_its_own_caching_is_not_stored_either():
    fresh: Flask = create_app(TestingConfig)

    def revalidated():
        return "a file", 200, {"Cache-Control": "no-cache"}

    fresh.add_url_rule("/internal/file", "internal_file", revalidated)
    response = fresh.test_client().get("/internal/file")
    assert response.cache_control.no_store and response.cache_control.no_cache
