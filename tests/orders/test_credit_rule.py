"""The credit-terms rule (pure), and the money/delivery standing of an order, table by table."""

from datetime import date

import pytest

from portal import pricing
from portal.pricing import CreditTerms, Membership, Person

LIST = pricing.PUBLIC_SECTOR_DOMAINS
MEMBER = Membership(organisation_id=7, organisation_name="Eastbridge Housing", periods=())
VERIFIED = Person(signed_in=True, email_verified=True)
UNVERIFIED = Person(signed_in=True, email_verified=False)


@pytest.mark.parametrize(
    ("email", "listed"),
    [
        ("x@leeds.gov.uk", True),
        ("x@adults.leeds.gov.uk", True),
        ("x@gov.uk", True),
        ("X@Leeds.GOV.UK", True),
        ("x@nhs.net", True),
        ("x@trust.nhs.uk", True),
        ("x@school.sch.uk", True),
        ("x@gov.scot", True),
        ("x@leeds.gov.uk.", True),  # the root's dot written out
        ('"jo@home"@gov.uk', True),  # the domain follows the last @
        ('"jo@gov.uk"@example.com', False),
        ("x@gov.uk.evil.com", False),
        ("x@notgov.uk", False),
        ("x@leeds-gov.uk", False),
        ("x@example.com", False),
        ("not-an-address", False),
        ("gov.uk", False),  # a domain alone is no address
        ("x@", False),
    ],
)
def test_public_sector_domains_match_by_suffix_at_label_boundaries(email, listed):
    assert pricing.on_domain(email, LIST) is listed


def test_the_list_of_domains_is_read_whatever_its_case_and_spacing():
    assert pricing.on_domain("x@leeds.gov.uk", [" Gov.UK "]) is True
    assert pricing.on_domain("x@leeds.gov.uk", ["nhs.net"]) is False


@pytest.mark.parametrize(
    ("person", "email", "on_stop", "domains", "expected"),
    [
        # Verified addresses of a known organisation (subscribing or not), or on a listed domain.
        (Person(True, True, MEMBER), "jo@housing.example.org", False, LIST, "organisation"),
        (VERIFIED, "jo@leeds.gov.uk", False, LIST, "public_sector"),
        (VERIFIED, "jo@trust.nhs.net", False, LIST, "public_sector"),
        # The list is data: without gov.uk on it, a council address is not recognised.
        (VERIFIED, "jo@leeds.gov.uk", False, ("nhs.net",), "unknown"),
        (VERIFIED, "jo@gov.uk.evil.com", False, LIST, "unknown"),
        (VERIFIED, "jo@example.com", False, LIST, "unknown"),
        # Guests and unverified addresses wait, whatever their domain or organisation.
        (pricing.GUEST, "jo@leeds.gov.uk", False, LIST, "unverified"),
        (UNVERIFIED, "jo@leeds.gov.uk", False, LIST, "unverified"),
        (Person(True, False, MEMBER), "jo@housing.example.org", False, LIST, "unverified"),
        # An organisation on stop waits, whether known by membership or on a listed domain.
        (Person(True, True, MEMBER), "jo@housing.example.org", True, LIST, "on_stop"),
        (VERIFIED, "jo@leeds.gov.uk", True, LIST, "on_stop"),
    ],
)
def test_who_gets_credit_terms(person, email, on_stop, domains, expected):
    decision = pricing.credit_terms(person, email, on_stop=on_stop, public_sector_domains=domains)
    assert decision is CreditTerms(expected)
    assert decision.released is (expected in ("organisation", "public_sector"))


def test_the_on_hold_wording_tells_nothing_of_the_reason():
    assert "on hold" in CreditTerms.ON_STOP.explanation
    assert not any("on hold" in c.explanation for c in CreditTerms if c is not CreditTerms.ON_STOP)


def test_a_membership_ending_does_not_end_credit_terms():
    lapsed = Membership(7, "Southvale", ((date(2024, 4, 1), date(2025, 3, 31)),))
    decision = pricing.credit_terms(
        Person(True, True, lapsed),
        "alex@southvale.example",
        on_stop=False,
        public_sector_domains=(),
    )
    assert decision is CreditTerms.ORGANISATION
