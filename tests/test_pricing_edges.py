"""A subscription's periods at their edges, asked of a membership directly: the day a period
starts and the day it ends are inside it, so it has neither ended nor yet to start then."""

from datetime import date

import pytest

from portal.pricing import (
    GUEST,
    FormatKind,
    Membership,
    Person,
    price_refusal,
    quote,
    subscription_reason,
    vat_on,
)

APRIL, MARCH = date(2026, 4, 1), date(2027, 3, 31)
NORTHMERE = Membership(7, "Northmere City Council", ((APRIL, MARCH),))
SUBSCRIBER = Person(signed_in=True, email_verified=True, membership=NORTHMERE)


class PRINT_WITH_ONE_FREE:
    """The terms of a printed format with one free copy per organisation, as pricing reads them."""

    kind = FormatKind.PRINT
    price_pence = 17_500
    subscriber_price_pence = 0
    vat_rate_basis_points = 0
    free_copies_per_organisation = 1


@pytest.mark.parametrize(
    ("today", "active", "until", "ended", "starts"),
    [
        (date(2026, 3, 31), False, None, None, APRIL),
        (APRIL, True, MARCH, None, None),
        (MARCH, True, MARCH, None, None),
        (date(2027, 4, 1), False, None, MARCH, None),
    ],
)
def test_a_period_on_its_first_and_last_day_and_the_days_either_side(
    today, active, until, ended, starts
):
    assert NORTHMERE.active_on(today) is active
    assert NORTHMERE.active_until(today) == until
    assert NORTHMERE.last_ended(today) == ended
    assert NORTHMERE.next_starts(today) == starts


def test_of_several_periods_the_latest_ended_and_the_soonest_to_start_are_named():
    periods = (
        (date(2023, 4, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2025, 3, 31)),
        (date(2028, 4, 1), date(2029, 3, 31)),
        (date(2027, 4, 1), date(2028, 3, 31)),
    )
    member = Membership(7, "Northmere City Council", periods)
    today = date(2026, 1, 1)
    assert member.last_ended(today) == date(2025, 3, 31)
    assert member.next_starts(today) == date(2027, 4, 1)


def test_overlapping_periods_are_active_until_the_later_end():
    member = Membership(7, "Northmere", ((APRIL, MARCH), (date(2026, 10, 1), date(2027, 9, 30))))
    assert member.active_until(date(2026, 12, 1)) == date(2027, 9, 30)


@pytest.mark.parametrize("quantity", [0, -3])
def test_a_quantity_below_one_is_refused_in_words(quantity):
    with pytest.raises(ValueError, match=r"^quantity must be at least 1$"):
        quote(SUBSCRIBER, PRINT_WITH_ONE_FREE, quantity, APRIL)


def test_without_a_count_of_copies_had_an_organisations_allowance_is_whole():
    result = quote(SUBSCRIBER, PRINT_WITH_ONE_FREE, 1, APRIL)
    assert (result.subscriber_quantity, result.total_pence) == (1, 0)


# A price's limits (Stripe's: at least 30p, at most £999,999.99, or nothing), VAT at the half
# penny, and the organisation a quote names.


@pytest.mark.parametrize(
    ("pence", "refusal"),
    [
        (0, None),
        (1, "must be £0.00 or at least £0.30, the least a card can be charged"),
        (29, "must be £0.00 or at least £0.30, the least a card can be charged"),
        (30, None),
        (99_999_999, None),
        (100_000_000, "must be no more than £999,999.99, the most a card can be charged"),
        (-1, "must be £0.00 or at least £0.30, the least a card can be charged"),
    ],
)
def test_a_price_is_nothing_or_what_a_card_can_pay(pence, refusal):
    assert price_refusal(pence) == refusal


@pytest.mark.parametrize(
    ("net", "rate", "vat"),
    [(4_999, 1, 0), (5_000, 1, 1), (14_999, 1, 1), (15_000, 1, 2), (14_500, 2_000, 2_900)],
)
def test_vat_is_rounded_to_the_nearest_penny_halves_up(net, rate, vat):
    assert vat_on(net, rate) == vat


def test_a_subscribers_quote_names_their_organisation_and_a_guests_none():
    mine = quote(SUBSCRIBER, PRINT_WITH_ONE_FREE, 1, APRIL)
    theirs = quote(GUEST, PRINT_WITH_ONE_FREE, 1, APRIL)
    assert (mine.organisation_id, mine.organisation_name) == (7, "Northmere City Council")
    assert (theirs.organisation_id, theirs.organisation_name) == (None, "")


def test_someone_not_signed_in_is_asked_to_sign_in():
    assert subscription_reason(GUEST, APRIL) == (
        "Sign in if your organisation subscribes to Insight"
    )
