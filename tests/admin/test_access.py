"""Only administrators reach /admin: every admin route, walked from the URL map, sends guests
to sign in and gives 403 to anyone else signed in. A new admin route is covered automatically."""

import re

from portal.audit import record
from portal.extensions import db


def _admin_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        # Placeholders filled with values of the right shape; access is refused before lookup.
        path = re.sub(
            r"<(?:int:)?(\w+)>", lambda m: "1" if "int:" in m.group(0) else "x", rule.rule
        )
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((method, path))
    return routes


def pytest_generate_tests(metafunc):
    if "admin_route" in metafunc.fixturenames:
        from config import TestingConfig
        from portal import create_app

        app = create_app(TestingConfig)
        metafunc.parametrize("admin_route", _admin_routes(app), ids=lambda r: f"{r[0]} {r[1]}")


def test_there_are_admin_routes(app):
    assert len(_admin_routes(app)) >= 2


def test_guests_are_sent_to_sign_in(client, admin_route):
    method, path = admin_route
    response = client.open(path, method=method)
    assert response.status_code in (302, 400)  # 400: a POST without a CSRF token never gets in
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/sign-in")


def test_non_administrators_get_403(app, client, auth, create_user, admin_route):
    auth.sign_in(create_user().email)
    method, path = admin_route
    from tests.helpers import csrf_token

    data = {"csrf_token": csrf_token(client, "/account")} if method == "POST" else None
    response = client.open(path, method=method, data=data)
    assert response.status_code == 403


def test_the_audit_log_lists_and_filters_changes(app, client, auth, create_user):
    admin = create_user(is_admin=True, email="boss@socitm.example")
    with app.app_context():
        record(
            admin,
            "report.update",
            "report",
            "channel-shift",
            before={"price": 100},
            after={"price": 200},
            note="new price",
        )
        record(admin, "order.cancel", "order", "INS-2026-000001")
        db.session.commit()
    auth.sign_in(admin.email)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Report changed" in page and "Order cancelled" in page and "new price" in page
    filtered = client.get("/admin/audit?action=order.cancel").get_data(as_text=True)
    assert "INS-2026-000001" in filtered and "channel-shift" not in filtered
    for bad in ("?page=abc", "?page=-1", "?since=yesterday", "?until=2026-13-45", "?page=999999"):
        assert client.get("/admin/audit" + bad).status_code == 200
