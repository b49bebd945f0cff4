"""London wall-clock time for exports of many rows agrees with the time zone database, across
the days the clocks change, whatever order the moments come in."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.clock import LONDON, LondonClock

# The clocks went forward at 01:00 UTC on 29 March 2026 and back at 01:00 UTC on 25 October.
CHANGES = [datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC)]


def _moments():
    for change in CHANGES:
        for minutes in range(-26 * 60, 26 * 60, 17):
            yield change + timedelta(minutes=minutes)
        yield change - timedelta(microseconds=1)
        yield change


@pytest.mark.parametrize("order", ["in order", "reversed", "back and forth"])
def test_london_clock_agrees_with_the_time_zone_database(order):
    moments = list(_moments())
    if order == "reversed":
        moments.reverse()
    elif order == "back and forth":
        moments = [m for pair in zip(moments, reversed(moments), strict=True) for m in pair]
    clock = LondonClock()
    for moment in moments:
        expected = moment.astimezone(LONDON).replace(tzinfo=None)
        assert clock(moment) == expected, moment  # aware
        assert clock(moment.replace(tzinfo=None)) == expected, moment  # naive, as stored


@pytest.mark.parametrize(
    ("moment", "wall_clock"),
    [
        (datetime(2026, 3, 29, 0, 59, 59), datetime(2026, 3, 29, 0, 59, 59)),
        (datetime(2026, 3, 29, 1, 0), datetime(2026, 3, 29, 2, 0)),
        (datetime(2026, 10, 25, 0, 59, 59), datetime(2026, 10, 25, 1, 59, 59)),
        (datetime(2026, 10, 25, 1, 0), datetime(2026, 10, 25, 1, 0)),
        (datetime(2026, 7, 1, 23, 30), datetime(2026, 7, 2, 0, 30)),
        (datetime(2026, 12, 31, 23, 30), datetime(2026, 12, 31, 23, 30)),
    ],
)
def test_london_clock_at_the_edges(moment, wall_clock):
    assert LondonClock()(moment) == wall_clock
