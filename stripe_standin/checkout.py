"""Validation of Checkout Session and refund parameters, with Stripe's error messages and params."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from .errors import invalid, missing_param, no_such

SESSION_LIFETIME_MIN = 30 * 60
SESSION_LIFETIME_MAX = 24 * 60 * 60
MINIMUM_CHARGE = {"gbp": 30, "usd": 50, "eur": 50}
#: The most one charge may be, in the smallest unit, as Stripe allows for these currencies.
MAXIMUM_CHARGE = 99_999_999

_USED = {
    "mode", "line_items", "success_url", "cancel_url", "client_reference_id", "customer_email",
    "metadata", "ui_mode", "expires_at", "payment_method_types", "payment_intent_data",
    "shipping_address_collection", "billing_address_collection", "locale", "submit_type", "expand",
}  # fmt: skip
# Accepted as Stripe accepts them, without changing what the stand-in does.
_ACCEPTED = {
    "allow_promotion_codes", "automatic_tax", "consent_collection", "currency", "custom_text",
    "customer_creation", "invoice_creation", "payment_method_options", "phone_number_collection",
}  # fmt: skip
_INTENT_DATA = {"metadata", "description", "receipt_email", "statement_descriptor",
                "statement_descriptor_suffix"}  # fmt: skip
_REFERENCE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


def reject_unknown(params: dict[str, Any], known: set[str], prefix: str = "") -> None:
    """Refuse parameters Stripe would not recognise, as Stripe does."""
    for key in params:
        if key not in known:
            name = f"{prefix}[{key}]" if prefix else key
            raise invalid(f"Received unknown parameter: {name}", name)


def integer(value: Any, param: str, *, minimum: int | None = None) -> int:
    """An integer parameter (form values arrive as strings)."""
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        number = int(value)
    else:
        raise invalid(f"Invalid integer: {value}", param)
    if minimum is not None and number < minimum:
        raise invalid(f"This value must be greater than or equal to {minimum}.", param)
    return number


def text(value: Any, param: str) -> str:
    """A string parameter (not an object or a list)."""
    if not isinstance(value, str):
        raise invalid(f"Invalid string: {value!r}", param)
    return value


def url(value: Any, param: str) -> str:
    """An absolute http(s) URL."""
    candidate = text(value, param)
    parts = urlsplit(candidate.replace("{CHECKOUT_SESSION_ID}", "x"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise invalid("Not a valid URL", param, "url_invalid")
    return candidate


def metadata(value: Any, param: str = "metadata") -> dict[str, str]:
    """Stripe metadata: at most 50 string keys of 40 characters, values of 500; '' unsets a key."""
    if value == "":
        return {}
    if not isinstance(value, dict):
        raise invalid("Invalid object", param)
    if len(value) > 50:
        raise invalid("You can specify up to 50 keys in metadata.", param)
    result = {}
    for key, item in value.items():
        if len(key) > 40:
            raise invalid("Metadata keys can have up to 40 characters.", f"{param}[{key}]")
        item = text(item, f"{param}[{key}]")
        if len(item) > 500:
            raise invalid("Metadata values can have up to 500 characters.", f"{param}[{key}]")
        if item != "":
            result[key] = item
    return result


def string_list(value: Any, param: str) -> list[str]:
    """A non-empty list of strings."""
    if not isinstance(value, list) or not value:
        raise invalid("Invalid array", param)
    return [text(item, f"{param}[{index}]") for index, item in enumerate(value)]


def _line_item(item: Any, index: int) -> dict[str, Any]:
    param = f"line_items[{index}]"
    if not isinstance(item, dict):
        raise invalid("Invalid object", param)
    reject_unknown(item, {"price", "price_data", "quantity", "adjustable_quantity"}, param)
    if "price" in item:
        raise no_such("price", str(item["price"]), f"{param}[price]")
    if "price_data" not in item:
        raise invalid("You must specify either `price` or `price_data` for each line item.", param)
    if "quantity" not in item:
        raise invalid(f"Quantity is required. Add `quantity` to `{param}`", f"{param}[quantity]")
    quantity = integer(item["quantity"], f"{param}[quantity]", minimum=1)
    data = item["price_data"]
    data_param = f"{param}[price_data]"
    if not isinstance(data, dict):
        raise invalid("Invalid object", data_param)
    reject_unknown(data, {"currency", "unit_amount", "product_data", "product", "tax_behavior"},
                   data_param)  # fmt: skip
    if "currency" not in data:
        raise missing_param(f"{data_param}[currency]")
    currency = text(data["currency"], f"{data_param}[currency]").lower()
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}", f"{data_param}[currency]")
    if "unit_amount" not in data:
        raise missing_param(f"{data_param}[unit_amount]")
    unit_amount = integer(data["unit_amount"], f"{data_param}[unit_amount]", minimum=0)
    if "product" in data:
        raise no_such("product", str(data["product"]), f"{data_param}[product]")
    product = data.get("product_data")
    if not isinstance(product, dict) or not product.get("name"):
        raise missing_param(f"{data_param}[product_data][name]")
    name = text(product["name"], f"{data_param}[product_data][name]")
    return {
        "price_data": {"currency": currency, "unit_amount": unit_amount,
                       "product_data": {"name": name}},
        "quantity": quantity,
    }  # fmt: skip


def session_params(params: dict[str, Any], now: int) -> dict[str, Any]:
    """Check ``POST /v1/checkout/sessions`` parameters; return them normalised."""
    reject_unknown(params, _USED | _ACCEPTED)
    if "mode" not in params:
        raise missing_param("mode")
    if params["mode"] != "payment":
        raise invalid("The stand-in offers only mode=payment.", "mode")
    ui_mode = params.get("ui_mode", "hosted_page")
    if ui_mode != "hosted_page":
        raise invalid(f"Invalid ui_mode: {ui_mode}; this stand-in offers only hosted_page.",
                      "ui_mode")  # fmt: skip
    result: dict[str, Any] = {"mode": "payment"}
    for name in ("success_url", "cancel_url"):
        if name in params:
            result[name] = url(params[name], name)
    items = params.get("line_items")
    if items is None:
        raise invalid("`line_items` is required in `payment` mode.", "line_items")
    if not isinstance(items, list) or not items or len(items) > 100:
        raise invalid("Invalid array", "line_items")
    result["line_items"] = [_line_item(item, index) for index, item in enumerate(items)]
    currencies = {item["price_data"]["currency"] for item in result["line_items"]}
    if len(currencies) > 1:
        raise invalid("Line items must all have the same currency.", "line_items")
    currency = currencies.pop()
    total = sum(i["price_data"]["unit_amount"] * i["quantity"] for i in result["line_items"])
    minimum = MINIMUM_CHARGE.get(currency, 50)
    if total < minimum:
        raise invalid(
            f"The Checkout Session's total amount due must add up to at least "
            f"{minimum} in the smallest unit of {currency}.",
            "line_items",
        )
    if total > MAXIMUM_CHARGE:
        raise invalid(
            f"The Checkout Session's total amount due must be no more than "
            f"{MAXIMUM_CHARGE} in the smallest unit of {currency}.",
            "line_items",
            "amount_too_large",
        )
    if "client_reference_id" in params:
        reference = text(params["client_reference_id"], "client_reference_id")
        if not _REFERENCE.match(reference):
            raise invalid(
                "client_reference_id can be composed of alphanumeric characters, dashes, "
                "or underscores, and be any value up to 200 characters.",
                "client_reference_id",
            )
        result["client_reference_id"] = reference
    if "customer_email" in params:
        email = text(params["customer_email"], "customer_email")
        if not _EMAIL.match(email):
            raise invalid(f"Invalid email address: {email}", "customer_email", "email_invalid")
        result["customer_email"] = email
    result["metadata"] = metadata(params.get("metadata", {}))
    expires_at = now + SESSION_LIFETIME_MAX
    if "expires_at" in params:
        expires_at = integer(params["expires_at"], "expires_at")
        if expires_at - now < SESSION_LIFETIME_MIN:
            raise invalid("The `expires_at` timestamp must be at least 30 minutes from "
                          "Checkout Session creation.", "expires_at")  # fmt: skip
        if expires_at - now > SESSION_LIFETIME_MAX:
            raise invalid("The `expires_at` timestamp must be less than 24 hours from "
                          "Checkout Session creation.", "expires_at")  # fmt: skip
    result["expires_at"] = expires_at
    if "payment_method_types" in params:
        result["payment_method_types"] = string_list(
            params["payment_method_types"], "payment_method_types"
        )
    intent_data = params.get("payment_intent_data", {})
    if not isinstance(intent_data, dict):
        raise invalid("Invalid object", "payment_intent_data")
    reject_unknown(intent_data, _INTENT_DATA, "payment_intent_data")
    result["payment_intent_data"] = {
        "metadata": metadata(intent_data.get("metadata", {}), "payment_intent_data[metadata]"),
        "description": intent_data.get("description"),
    }
    if "shipping_address_collection" in params:
        shipping = params["shipping_address_collection"]
        if not isinstance(shipping, dict) or "allowed_countries" not in shipping:
            raise missing_param("shipping_address_collection[allowed_countries]")
        countries = string_list(
            shipping["allowed_countries"], "shipping_address_collection[allowed_countries]"
        )
        result["shipping_address_collection"] = {"allowed_countries": countries}
    for name in ("billing_address_collection", "locale", "submit_type"):
        if name in params:
            result[name] = text(params[name], name)
    return result


def refund_params(params: dict[str, Any]) -> dict[str, Any]:
    """Check ``POST /v1/refunds`` parameters (the amount is checked against the charge later)."""
    reject_unknown(
        params,
        {"payment_intent", "charge", "amount", "reason", "metadata", "expand",
         "instructions_email", "refund_application_fee", "reverse_transfer"},
    )  # fmt: skip
    if "payment_intent" not in params and "charge" not in params:
        raise invalid("One of the following params should be provided for this request: "
                      "payment_intent or charge.")  # fmt: skip
    result: dict[str, Any] = {
        "payment_intent": params.get("payment_intent"),
        "charge": params.get("charge"),
        "amount": None,
        "reason": None,
        "metadata": metadata(params.get("metadata", {})),
    }
    if "amount" in params:
        result["amount"] = integer(params["amount"], "amount", minimum=1)
    if "reason" in params:
        if params["reason"] not in REFUND_REASONS:
            raise invalid(f"Invalid reason: must be one of {', '.join(sorted(REFUND_REASONS))}",
                          "reason")  # fmt: skip
        result["reason"] = params["reason"]
    return result
