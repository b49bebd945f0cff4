"""Checkout is tested with card payments going to the offline Stripe stand-in, and with the
public-sector domains the migration seeds."""

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.organisations.models import PublicSectorDomain
from portal.pricing import PUBLIC_SECTOR_DOMAINS


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""


@pytest.fixture(autouse=True)
def _public_sector_domains(app):
    """The list the migration seeds, put back when tests that empty every table took it."""
    with app.app_context():
        if db.session.scalar(select(PublicSectorDomain.id).limit(1)) is None:
            db.session.add_all(PublicSectorDomain(domain=d) for d in PUBLIC_SECTOR_DOMAINS)
            db.session.commit()
