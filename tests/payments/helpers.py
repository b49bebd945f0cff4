"""A guest's checkout details and signed webhooks, shared by the payments tests."""

import json

import stripe

GUEST = {"name": "Jo Evans", "email": "jo.evans@eastbridge.gov.uk", "organisation": "Eastbridge"}


ADDRESS = {
    "address_line1": "Town Hall",
    "address_line2": "",
    "town": "Eastbridge",
    "postcode": "EB1 2CD",
}


def signed_webhook(payload: dict, secret: str) -> tuple[str, dict[str, str]]:
    """The body of ``payload`` and the headers Stripe would send it with, signed with ``secret``."""
    body = json.dumps(payload)
    signature = stripe.WebhookSignature.generate_signature_header(body, secret)
    return body, {"Stripe-Signature": signature, "Content-Type": "application/json"}
