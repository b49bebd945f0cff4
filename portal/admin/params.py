"""Reading query-string parameters on admin pages: bad values fall back, never fail."""

from datetime import date

from flask import request


def page_number() -> int:
    """``?page=`` as a positive whole number (anything else is page 1)."""
    value = request.args.get("page", "1")
    number = int(value) if value.isascii() and value.isdigit() and 0 < len(value) < 7 else 1
    return max(number, 1)  # page 0 would be a negative OFFSET, which PostgreSQL refuses


def date_arg(name: str) -> date | None:
    """``?name=YYYY-MM-DD`` as a date, or None when missing or not a date."""
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def text_arg(name: str, limit: int = 200) -> str:
    """``?name=`` as trimmed text of at most ``limit`` characters (empty when missing)."""
    # PostgreSQL text cannot hold NUL, and no search term needs one.
    return request.args.get(name, "").replace("\x00", "").strip()[:limit]
