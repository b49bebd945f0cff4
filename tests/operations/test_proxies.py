"""Behind PROXY_COUNT proxies the client's address and scheme come from X-Forwarded-*; with none,
those headers are ignored, so nobody can pretend to come from elsewhere. The path prefix is taken
from X-Forwarded-Prefix only where PROXY_TRUST_PREFIX says the proxy sets it, and absolute links
always come from PUBLIC_URL."""

import pytest
from flask import jsonify, request, url_for
from flask_limiter.util import get_remote_address

from portal.operations.limits import limiter
from portal.public_url import external_url

FORWARDED = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "insight.socitm.example",
}
PUBLIC = "https://insight.socitm.example"


@pytest.fixture
def proxied_app(make_app):
    """An app behind ``count`` proxies, with a page that shows what it sees and a limited one."""

    def make(count: int, **settings):
        app = make_app(
            PROXY_COUNT=count, SERVER_NAME=None, RATELIMIT_APPLY=True, PUBLIC_URL=PUBLIC, **settings
        )

        @app.route("/seen")
        def seen():
            return jsonify(
                limiter_key=get_remote_address(),  # the rate limits' key function
                remote_addr=request.remote_addr,  # what a download record stores
                external=external_url("operations.healthz"),
                relative=url_for("operations.healthz"),
                scheme=request.scheme,
            )

        @app.route("/limited")
        @limiter.limit("1 per minute")
        def limited():
            return "counted"

        return app

    return make


def test_one_proxy_gives_the_forwarded_client_and_scheme(proxied_app):
    seen = proxied_app(1).test_client().get("/seen", headers=FORWARDED).get_json()
    assert seen == {
        "limiter_key": "203.0.113.7",
        "remote_addr": "203.0.113.7",
        "external": f"{PUBLIC}/healthz",
        "relative": "/healthz",
        "scheme": "https",
    }


def test_only_the_address_our_proxy_added_is_believed(proxied_app):
    headers = {**FORWARDED, "X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    seen = proxied_app(1).test_client().get("/seen", headers=headers).get_json()
    assert seen["remote_addr"] == "203.0.113.7"


def test_without_proxies_the_headers_are_ignored(proxied_app):
    seen = proxied_app(0).test_client().get("/seen", headers=FORWARDED).get_json()
    assert seen == {
        "limiter_key": "127.0.0.1",
        "remote_addr": "127.0.0.1",
        "external": f"{PUBLIC}/healthz",
        "relative": "/healthz",
        "scheme": "http",
    }


@pytest.mark.parametrize(("count", "second_client_limited"), [(1, False), (0, True)])
def test_rate_limits_count_the_forwarded_address(proxied_app, count, second_client_limited):
    client = proxied_app(count).test_client()
    first = {"X-Forwarded-For": "203.0.113.7"}
    other = {"X-Forwarded-For": "203.0.113.8"}
    assert client.get("/limited", headers=first).status_code == 200
    assert client.get("/limited", headers=first).status_code == 429
    # Another client behind the proxy has its own count; without a proxy the header is a lie
    # and the request counts against the address it really came from.
    assert (client.get("/limited", headers=other).status_code == 429) is second_client_limited


def test_the_access_log_names_the_forwarded_client(proxied_app, caplog):
    caplog.set_level("INFO", logger="portal.access")
    proxied_app(1).test_client().get("/seen", headers=FORWARDED)
    (record,) = [r for r in caplog.records if r.name == "portal.access"]
    assert record.remote_addr == "203.0.113.7"


def test_a_forwarded_host_that_is_not_ours_is_refused(proxied_app):
    headers = {**FORWARDED, "X-Forwarded-Host": "evil.example"}
    assert proxied_app(1).test_client().get("/seen", headers=headers).status_code == 400


@pytest.mark.parametrize("prefix", ["/phish", "//evil.example"])
def test_a_forwarded_prefix_is_ignored_unless_configured(proxied_app, prefix):
    headers = {**FORWARDED, "X-Forwarded-Prefix": prefix}
    seen = proxied_app(1).test_client().get("/seen", headers=headers).get_json()
    assert seen["relative"] == "/healthz"
    assert seen["external"] == f"{PUBLIC}/healthz"


def test_a_forwarded_prefix_is_believed_where_the_proxy_sets_it(proxied_app):
    app = proxied_app(1, PROXY_TRUST_PREFIX=True)
    headers = {**FORWARDED, "X-Forwarded-Prefix": "/insight"}
    seen = app.test_client().get("/seen", headers=headers).get_json()
    assert seen["relative"] == "/insight/healthz"
    assert seen["external"] == f"{PUBLIC}/healthz"  # links come from PUBLIC_URL all the same
