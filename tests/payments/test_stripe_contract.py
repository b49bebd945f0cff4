"""The contract between the portal, the stand-in and Stripe: every request the portal sends to
the stand-in through the card, refund, expiry and delayed-payment journeys is checked against
stripe-python's generated parameter types, and every object and event the stand-in returns
against its resource classes, so that the portal and the stand-in cannot drift from Stripe
together. Planting an unknown parameter, or a value outside an enum, fails the check."""

import io
import json
from urllib.parse import parse_qsl

import pytest
import stripe.checkout._session_service as session_service

from stripe_standin.params import parse_params
from tests.payments.helpers import Office
from tests.payments.stripe_contract import Findings, object_problems, request_problems


class Recorder:
    """Wraps the stand-in's WSGI application: keeps each API request and its answer."""

    def __init__(self, app) -> None:
        self.inner = app.wsgi_app
        self.calls: list[tuple[str, str, dict, dict | None]] = []

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        chunks = list(self.inner(environ, start_response))
        path = environ["PATH_INFO"]
        if path.startswith("/v1/"):
            query = environ.get("QUERY_STRING", "")
            sent = body.decode() if environ["REQUEST_METHOD"] == "POST" else query
            params = parse_params(parse_qsl(sent, keep_blank_values=True))
            try:
                answer = json.loads(b"".join(chunks))
            except ValueError:
                answer = None
            self.calls.append((environ["REQUEST_METHOD"], path, params, answer))
        return chunks

    def findings(self, events: list[dict]) -> Findings:
        findings = Findings()
        for method, path, params, answer in self.calls:
            request_problems(method, path, params, findings)
            if isinstance(answer, dict) and "error" not in answer:
                object_problems(answer, findings, f"{method} {path} -> ")
        for event in events:
            object_problems(event, findings, f"event {event['type']} -> ")
        return findings


@pytest.fixture
def recorder(standin, monkeypatch):
    recording = Recorder(standin.app)
    monkeypatch.setattr(standin.app, "wsgi_app", recording)
    return recording


@pytest.fixture
def office(app, create_user):
    return Office.signed_in(app, create_user(is_admin=True, email="finance@socitm.net"))


def _session_of(response) -> str:
    return response.headers["Location"].rsplit("/", 1)[1]


def _journeys(app, checkout, standin, stored, office, post_form):
    """Card (a first page left to expire, then paid), a two-part refund and a refund that
    fails later, and delayed payments that fail and then succeed."""
    from portal.clock import utcnow
    from portal.extensions import db
    from portal.payments import services

    first = _session_of(checkout(pdf=True, printed=1))
    order = stored.order()
    standin.expire(first)
    post_form(f"/orders/{order.reference}/pay", {}, form_page=f"/orders/{order.reference}")
    paid = stored.attempts()[-1].stripe_session_id
    standin.pay(paid)
    office.refund(order.reference, {order.lines[0].id: None})
    office.refund(order.reference, {order.lines[1].id: None})
    standin.settle_refund(standin.events(type="refund.created")[-1]["object_id"], "failed")

    delayed = _session_of(checkout(pdf=True, printed=0))
    standin.complete_async(delayed)
    standin.settle_async(delayed, "failed")
    reference = stored.order().reference
    post_form(f"/orders/{reference}/pay", {}, form_page=f"/orders/{reference}")
    again = stored.attempts()[-1].stripe_session_id
    standin.complete_async(again)
    standin.settle_async(again, "succeeded")

    _session_of(checkout(pdf=True, printed=0))  # left to run out of time
    with app.app_context():
        services.expire_unpaid_card_orders(utcnow() + services.CHECKOUT_LIFETIME * 2)
        db.session.commit()


def test_every_call_and_answer_of_the_journeys_keeps_stripes_contract(
    app, checkout, standin, stored, office, post_form, recorder
):
    _journeys(app, checkout, standin, stored, office, post_form)

    findings = recorder.findings([entry["event"] for entry in standin.events()])

    assert findings.problems == []
    assert findings.checked > 30
    methods = {(method, path.split("/")[2]) for method, path, _, _ in recorder.calls}
    assert {("POST", "checkout"), ("GET", "checkout"), ("POST", "refunds")} <= methods


@pytest.fixture
def planted(monkeypatch):
    """Add ``extra`` to every Checkout Session the portal asks for."""

    def plant(**extra):
        real = session_service.SessionService.create

        def create(self, params=None, options=None):
            return real(self, {**(params or {}), **extra}, options)

        monkeypatch.setattr(session_service.SessionService, "create", create)

    return plant


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ({"colour_scheme": "dark"}, "unknown parameter 'colour_scheme'"),
        ({"locale": "en-XX"}, "'en-XX' is not one of"),
        ({"submit_type": "purchase"}, "'purchase' is not one of"),
    ],
    ids=["unknown parameter", "wrong enum", "wrong enum the stand-in accepts"],
)
def test_a_planted_parameter_is_caught(checkout, standin, recorder, planted, extra, problem):
    planted(**extra)

    checkout(pdf=True, printed=0)

    findings = recorder.findings([])
    assert any(problem in found for found in findings.problems), findings.problems


def test_a_planted_field_in_an_answer_is_caught(checkout, standin, recorder):
    checkout(pdf=True, printed=0)
    method, path, params, answer = recorder.calls[0]
    tax = {**answer["automatic_tax"], "shade": "grey"}
    planted = {**answer, "status": "halfway", "colour": "red", "automatic_tax": tax}
    recorder.calls[0] = (method, path, params, planted)

    problems = recorder.findings([]).problems

    assert any("unknown field 'colour'" in found for found in problems), problems
    assert any("'halfway' is not one of" in found for found in problems), problems
    assert any("automatic_tax: unknown field 'shade'" in found for found in problems), problems
