"""A subscription's periods at their edges, asked of a membership directly: the day a period
starts and the day it ends are inside it, so it has neither ended nor yet to start then."""

from datetime import date

import pytest

from portal.pricing import FormatKind, Membership, Person, quote

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
