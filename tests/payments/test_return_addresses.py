"""The addresses Stripe sends people back to are the portal's configured address, whatever host
the request that placed the order named."""

import pytest

from portal.payments import gateway

PUBLIC = "https://reports.socitm.example"


@pytest.fixture
def sessions_created(monkeypatch):
    """The arguments of every Checkout Session the portal asks for (still created for real)."""
    made = []
    create = gateway.create_checkout_session

    def recording(**arguments):
        made.append(arguments)
        return create(**arguments)

    monkeypatch.setattr(gateway, "create_checkout_session", recording)
    return made


def test_stripe_return_pages_are_on_the_public_address(
    app, monkeypatch, checkout, sessions_created
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC)
    checkout()
    (arguments,) = sessions_created
    assert (
        arguments["success_url"] == f"{PUBLIC}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert arguments["cancel_url"].startswith(f"{PUBLIC}/orders/INS-")
    # With the order's signed link, for a browser that has lost the session that placed it.
    assert arguments["cancel_url"].split("?")[0].endswith("/payment-cancelled")
    assert "?token=" in arguments["cancel_url"]
