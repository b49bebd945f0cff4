"""Card payments are tested against the offline Stripe stand-in, with the real SDK (its fixtures
are the suite's: ``standin``, ``post_webhook``, ``held_completed_event``, ``stored``)."""

import pytest

from portal.catalogue.models import FormatKind
from tests.helpers import ADDRESS, GUEST


@pytest.fixture(autouse=True)
def _stripe_is_the_standin(stripe_is_the_standin):
    """Every payment here goes through the offline Stripe stand-in."""


@pytest.fixture
def report(create_report):
    return create_report(title="Channel shift", with_pdf=True)


@pytest.fixture
def checkout(post_form, report):
    """Put the given formats in the basket as a guest and place the order; returns the response
    of placing it (a redirect to Stripe's page)."""

    def place(pdf: bool = True, printed: int = 2, details: dict | None = None):
        for kind, quantity in ((FormatKind.PDF, 1 if pdf else 0), (FormatKind.PRINT, printed)):
            if quantity:
                format_id = next(f.id for f in report.formats if f.kind is kind)
                post_form(
                    f"/reports/{report.slug}",
                    {"format_id": str(format_id), "quantity": str(quantity)},
                )
        post_form("/checkout", {**GUEST, **(ADDRESS if printed else {}), **(details or {})})
        post_form("/checkout/payment", {"method": "card"})
        return post_form("/checkout/review", {})

    return place
