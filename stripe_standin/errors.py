"""Errors answered as Stripe's API answers them, so the SDK raises its real exception classes."""

from __future__ import annotations

from typing import Any


class StripeAPIError(Exception):
    """An error response: HTTP status plus Stripe's ``{"error": {...}}`` body.

    The SDK picks its exception class from the status and ``type``: 400 and 404 give
    ``InvalidRequestError`` (``IdempotencyError`` when ``type`` is ``idempotency_error``), 401 gives
    ``AuthenticationError``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> dict[str, Any]:
        """The JSON body Stripe would send for this error."""
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, param: str | None = None, code: str | None = None) -> StripeAPIError:
    """A 400 ``invalid_request_error`` naming the offending parameter."""
    return StripeAPIError(400, message, param=param, code=code)


def missing_param(param: str) -> StripeAPIError:
    """Stripe's answer when a required parameter is absent."""
    return invalid(f"Missing required param: {param}.", param, "parameter_missing")


def no_such(kind: str, object_id: str, param: str = "id") -> StripeAPIError:
    """Stripe's answer for an id it does not know: 404 in the URL, 400 in a parameter."""
    status = 404 if param == "id" else 400
    return StripeAPIError(
        status, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )
