"""Optional error reporting through Sentry (or a service that speaks its protocol), switched on
by ``SENTRY_DSN``.

What is sent is the error and where it happened, tagged with the request id a person sees on the
error page. Nothing that identifies or authenticates anyone goes with it: no cookies, no
Authorization or Stripe-Signature headers, no query string (order links carry a token there), no
form fields (passwords) and no local variables from the stack.
"""

from flask import Flask, has_request_context

from portal.operations.request_ids import request_id

#: Request headers never sent, whatever the SDK's own filtering does.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "stripe-signature"}
)


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Remove what may carry a secret from an event, and tag it with the request id."""
    details = event.get("request")
    if isinstance(details, dict):
        for name in ("cookies", "data", "query_string", "env"):
            details.pop(name, None)
        headers = details.get("headers")
        if isinstance(headers, dict):
            details["headers"] = {
                name: value for name, value in headers.items() if name.lower() not in SECRET_HEADERS
            }
    if has_request_context():
        event.setdefault("tags", {})["request_id"] = request_id()
    return event


def init_app(app: Flask) -> bool:
    """Start reporting errors when ``SENTRY_DSN`` is set; True when it was started."""
    dsn = app.config.get("SENTRY_DSN")
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=dsn,
        integrations=[FlaskIntegration()],
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=scrub_event,
    )
    return True
