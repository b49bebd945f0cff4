"""Checkout is tested with card payments going to the offline Stripe stand-in."""

import pytest


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""
