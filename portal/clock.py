"""Time rules: timestamps are UTC; calendar dates are Europe/London."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def london_date(moment: datetime) -> date:
    """The calendar date in Europe/London at a UTC moment."""
    return moment.astimezone(LONDON).date()


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
