"""Browser journeys: the portal and the Stripe stand-in served on loopback, driven by Chromium.

These tests commit for real, to a temporary SQLite file loaded with the demo data, so they run in
their own pytest invocation (``make e2e``, with ``--confcutdir=tests/browser`` so the suite's
rolled-back-transaction fixtures are not loaded) and never as part of ``make test``.

Debian's Chromium (``/usr/bin/chromium``) is driven through Playwright's ``executable_path``:
no browser is ever downloaded.
"""

import os
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from playwright.sync_api import sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from config import TestingConfig
from portal import create_app
from portal.clock import today_in_london
from portal.demo.seed import seed_demo
from portal.extensions import db
from portal.storage import get_storage
from stripe_standin.testing import start
from tests.browser.helpers import Journey

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
# Every wait is bounded, so a broken page fails the run in seconds rather than hanging CI.
TIMEOUT_MS = 15_000
VIEWPORT = {"width": 1024, "height": 900}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args) -> None:
        pass


def _serve(wsgi_app) -> tuple[str, callable]:
    """Serve ``wsgi_app`` on a free loopback port in a daemon thread; returns (url, stop)."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="live-portal")
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return f"http://127.0.0.1:{server.server_port}", stop


@pytest.fixture(scope="session")
def portal_url(tmp_path_factory):
    """The portal with the demo data, served live, its card payments going to the stand-in."""
    folder = tmp_path_factory.mktemp("portal")

    class Config(TestingConfig):
        # A file, not memory: the server's threads and the stand-in's webhooks share it.
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{folder / 'portal.db'}"
        STORAGE_ROOT = str(folder / "storage")
        SERVER_NAME = None
        # The journeys sign the same people in from one address many times in a minute.
        RATELIMIT_ENABLED = False

    app = create_app(Config)
    with app.app_context():
        upgrade()
        seed_demo(get_storage(), today_in_london())
        db.session.commit()
    url, stop_portal = _serve(app)
    standin = start(webhook_url=f"{url}/stripe/webhook")
    app.config.update(
        # Links (Stripe's return addresses, emails) point at the live server, not "localhost".
        PUBLIC_URL=url,
        STRIPE_API_BASE=standin.url,
        STRIPE_SECRET_KEY=standin.secret_key,
        STRIPE_WEBHOOK_SECRET=standin.webhook_secret,
        PAYMENT_PAGE_ORIGIN=standin.url,
    )
    yield url
    standin.stop()
    stop_portal()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--disable-gpu", "--disable-quic", "--no-proxy-server"],
            timeout=TIMEOUT_MS * 2,
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def shared() -> dict:
    """What one journey leaves for a later one (order references, the admin's TOTP secret)."""
    return {}


@pytest.fixture(params=["js", "nojs"])
def mode(request) -> str:
    """Each journey runs with JavaScript enabled and again with it disabled."""
    return request.param


@pytest.fixture
def journey_factory(browser, portal_url, mode):
    """``journey_factory(name)`` opens a fresh browser context (no cookies) for one journey."""
    contexts = []

    def open_journey(name: str, *, javascript: bool | None = None) -> Journey:
        js = (mode == "js") if javascript is None else javascript
        context = browser.new_context(
            base_url=portal_url,
            java_script_enabled=js,
            accept_downloads=True,
            viewport=VIEWPORT,
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        auditor = None
        if not js:
            # axe needs JavaScript: it audits a copy of each page in a context that has it.
            audit_context = browser.new_context(base_url=portal_url, viewport=VIEWPORT)
            audit_context.set_default_timeout(TIMEOUT_MS)
            contexts.append(audit_context)
            auditor = audit_context.new_page()
        return Journey(
            context.new_page(), f"{name}-{'js' if js else 'nojs'}", ARTIFACTS, auditor=auditor
        )

    yield open_journey
    for context in contexts:
        context.close()
