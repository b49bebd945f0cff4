"""Builders for Stripe-shaped objects: ids, sessions, PaymentIntents, charges, refunds, events.

Shapes follow Stripe's API reference for version ``2026-10-28``; fields the stand-in never sets are
present with Stripe's empty values, so code that reads them behaves as it would against Stripe.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

#: Stripe's form since 2024: the date of the version, then the name of its major release.
API_VERSION = "2026-10-28.endive"

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    """A random id shaped like Stripe's, e.g. ``pi_3Q…`` (24 characters after the prefix)."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def session_id() -> str:
    """A Checkout Session id: ``cs_test_a1`` and 58 more characters, as in test mode."""
    return new_id("cs_test_a1", 58)


def checkout_session(
    *,
    object_id: str,
    created: int,
    params: dict[str, Any],
    line_items: list[dict[str, Any]],
    url: str,
) -> dict[str, Any]:
    """A new, open ``checkout.session`` from validated creation parameters."""
    amount_total = sum(item["amount_total"] for item in line_items)
    return {
        "id": object_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": amount_total,
        "amount_total": amount_total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": params.get("billing_address_collection"),
        "cancel_url": params.get("cancel_url"),
        "client_reference_id": params.get("client_reference_id"),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": created,
        "currency": line_items[0]["currency"],
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": "if_required",
        "customer_details": None,
        "customer_email": params.get("customer_email"),
        "discounts": [],
        "expires_at": params["expires_at"],
        "invoice": None,
        "invoice_creation": None,
        "livemode": False,
        "locale": params.get("locale"),
        "metadata": params.get("metadata", {}),
        "mode": "payment",
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types", ["card"]),
        "payment_status": "unpaid",
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": params.get("shipping_address_collection"),
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": params.get("submit_type"),
        "subscription": None,
        "success_url": params.get("success_url"),
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted_page",
        "url": url,
    }


def line_item(*, created: int, spec: dict[str, Any]) -> dict[str, Any]:
    """An ``item`` of a session's line items, with its ad-hoc ``price`` made from ``price_data``."""
    price_data = spec["price_data"]
    unit_amount = price_data["unit_amount"]
    amount = unit_amount * spec["quantity"]
    currency = price_data["currency"]
    return {
        "id": new_id("li_1"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": amount,
        "amount_tax": 0,
        "amount_total": amount,
        "currency": currency,
        "description": price_data["product_data"]["name"],
        "price": {
            "id": new_id("price_1"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": new_id("prod_", 14),
            "recurring": None,
            "tax_behavior": "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": spec["quantity"],
    }


def payment_intent(
    *, created: int, amount: int, currency: str, metadata: dict[str, str], description: str | None
) -> dict[str, Any]:
    """A card ``payment_intent`` for a Checkout payment, still being processed."""
    object_id = new_id("pi_3")
    return {
        "id": object_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{object_id}_secret_{new_id('', 25)}",
        "confirmation_method": "automatic",
        "created": created,
        "currency": currency,
        "customer": None,
        "description": description,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": new_id("pm_1"),
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "processing",
        "transfer_data": None,
        "transfer_group": None,
    }


def charge(*, created: int, intent: dict[str, Any], billing_email: str | None) -> dict[str, Any]:
    """The successful ``charge`` of a PaymentIntent (``refunds`` appears only when expanded)."""
    object_id = new_id("ch_3")
    return {
        "id": object_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"],
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn_3"),
        "billing_details": {"address": None, "email": billing_email, "name": None, "phone": None},
        "calculated_statement_descriptor": "SOCITM",
        "captured": True,
        "created": created,
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": intent["id"],
        "payment_method": intent["payment_method"],
        "payment_method_details": {
            "card": {"brand": "visa", "country": "GB", "exp_month": 12, "exp_year": 2034,
                     "funding": "credit", "last4": "4242"},
            "type": "card",
        },
        "receipt_email": None,
        "receipt_url": None,
        "refunded": False,
        "status": "succeeded",
    }  # fmt: skip


def refund(
    *, created: int, charge_obj: dict[str, Any], amount: int, reason: str | None, metadata: dict
) -> dict[str, Any]:
    """A ``refund`` that has already succeeded, as card refunds in test mode do."""
    return {
        "id": new_id("re_3"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": new_id("txn_3"),
        "charge": charge_obj["id"],
        "created": created,
        "currency": charge_obj["currency"],
        "destination_details": {
            "card": {"reference_status": "pending", "reference_type": "acquirer_reference_number",
                     "type": "refund"},
            "type": "card",
        },
        "metadata": metadata,
        "payment_intent": charge_obj["payment_intent"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }  # fmt: skip


def event(*, created: int, event_type: str, data_object: dict[str, Any]) -> dict[str, Any]:
    """An ``event`` carrying a snapshot of the object at the moment it happened."""
    return {
        "id": new_id("evt_1"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": data_object},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def list_object(url: str, data: list[dict[str, Any]], has_more: bool = False) -> dict[str, Any]:
    """Stripe's ``list`` envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def format_amount(amount: int, currency: str) -> str:
    """An amount for people: ``£1,234.50`` for GBP, ``12.00 EUR`` otherwise."""
    major = f"{amount // 100:,}.{amount % 100:02d}"
    return f"£{major}" if currency == "gbp" else f"{major} {currency.upper()}"
