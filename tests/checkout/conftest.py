"""Checkout is tested with card payments going to the offline Stripe stand-in, and with the
public-sector domains the migration seeds."""

import pytest


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""


@pytest.fixture(autouse=True)
def _public_sector_domains(public_sector_domains):
    """Credit terms follow the list the migration seeds."""
