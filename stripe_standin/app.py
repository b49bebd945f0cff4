"""The stand-in's WSGI application: its blueprints, shared state and error responses."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from . import api, controls, hosted, latency, refund_outcomes
from .errors import StripeAPIError
from .runtime import Runtime, StandInConfig, json_response, runtime
from .store import StateError


def create_app(config: StandInConfig | None = None) -> Flask:
    """Build a stand-in with its own empty account; each app has separate state."""
    app = Flask(__name__)
    app.extensions["stripe_standin"] = Runtime(config or StandInConfig())
    app.register_blueprint(api.bp)
    app.register_blueprint(hosted.bp)
    app.register_blueprint(controls.bp)
    settings = app.extensions["stripe_standin"].config
    latency.install(app, latency.Latency(settings.latency_ms, settings.latency_jitter_ms))

    @app.before_request
    def expire_due_sessions():
        # Sessions expire lazily: whichever request comes first after expires_at sees it.
        state = runtime()
        state.publish(state.store.expire_due() + refund_outcomes.settle_due(state.store))

    @app.errorhandler(StripeAPIError)
    def stripe_error(error: StripeAPIError):
        return json_response(error.body(), error.status, api.response_headers())

    @app.errorhandler(StateError)
    def state_error(error: StateError):
        return json_response({"error": {"type": "state_error", "message": str(error)}}, 409)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/v1/"):
            message = (
                f"Unrecognized request URL ({request.method}: {request.path}). The stand-in "
                "offers Checkout Sessions, PaymentIntents, charges, refunds and events."
            )
            body = StripeAPIError(error.code or 404, message).body()
            return json_response(body, 404 if error.code == 405 else error.code or 404)
        if request.path.startswith("/_standin/"):
            return json_response({"error": {"type": "not_found", "message": error.description}},
                                 error.code or 500)  # fmt: skip
        return error

    return app
