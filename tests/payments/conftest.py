"""Card payments are tested against the offline Stripe stand-in, with the real SDK (its fixtures
are the suite's: ``standin``, ``post_webhook``, ``held_completed_event``, ``stored``,
``checkout``)."""

import pytest


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift", with_pdf=True)
