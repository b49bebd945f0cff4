"""Time rules: timestamps are UTC; calendar dates are Europe/London."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def london_date(moment: datetime) -> date:
    """The calendar date in Europe/London at a UTC moment."""
    return moment.astimezone(LONDON).date()


class LondonClock:
    """London wall-clock time (naive) at UTC moments, for exports of many rows: what
    ``moment.astimezone(LONDON)`` shows, at a fraction of its cost when the moments come
    roughly in order. It remembers the last span of time over which London's offset from UTC
    held (a whole UTC day, or an hour on the day the clocks change) and reuses it."""

    def __init__(self) -> None:
        self._start = self._end = datetime.min
        self._offset = timedelta(0)

    def __call__(self, moment: datetime) -> datetime:
        """``moment``: naive UTC, as stored, or aware."""
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC).replace(tzinfo=None)
        if not self._start <= moment < self._end:
            self._start, self._end, self._offset = _steady_span(moment)
        return moment + self._offset


def _steady_span(moment: datetime) -> tuple[datetime, datetime, timedelta]:
    """A span of naive UTC time around ``moment`` over which London's offset does not change."""
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    starts, ends = _offset_at(day), _offset_at(day + timedelta(days=1, microseconds=-1))
    if starts == ends:  # the clocks change on the hour, so a day with one offset is steady
        return day, day + timedelta(days=1), starts
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour, hour + timedelta(hours=1), _offset_at(hour)


def _offset_at(naive_utc: datetime) -> timedelta:
    return naive_utc.replace(tzinfo=UTC).astimezone(LONDON).utcoffset()


def today_in_london() -> date:
    """Today's date in Europe/London (read at the edge, then passed into pure rules)."""
    return london_date(utcnow())


def long_date(day: date) -> str:
    """A date as people in the UK write it: ``14 February 2006``."""
    return f"{day.day} {day:%B %Y}"


def london_datetime(moment: datetime) -> str:
    """A moment as UK readers expect it, in London time: ``26 November 2026, 2:05pm``."""
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return (
        f"{long_date(local.date())}, {hour}:{local.minute:02d}{'am' if local.hour < 12 else 'pm'}"
    )
