"""Personas, CSRF tokens of a session, row counts and authenticator codes for the security tests."""

import re

import pyotp
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.clock import utcnow
from portal.extensions import db

PERSONAS = ("anonymous", "customer", "subscriber", "another", "admin")


# The tables a rejected request must leave alone (checked by the fuzz tests).
WATCHED_TABLES = (
    "users",
    "orders",
    "order_lines",
    "baskets",
    "basket_lines",
    "reports",
    "report_formats",
    "organisations",
    "organisation_domains",
    "insight_subscriptions",
    "named_members",
    "organisation_managers",
    "saved_addresses",
    "documents",
    "downloads",
    "outbox_emails",
    "audit_entries",
)


_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def session_csrf(client) -> str:
    """A valid CSRF token for this client's session, read from a page with a form."""
    for page in ("/sign-in", "/basket", "/account", "/"):
        match = _TOKEN.search(client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page offered a CSRF token")


def count_rows(app) -> dict[str, int]:
    """Row counts of the main tables, to show a rejected request wrote nothing."""
    with app.app_context():
        return {
            name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
            for name in WATCHED_TABLES
            if name in db.metadata.tables
        }


TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def stored_secret(app, user_id: int) -> str | None:
    """The person's TOTP secret as the portal reads it back from the database."""
    with app.app_context():
        return db.session.get(User, user_id).totp_secret


def app_code(step_offset: int = 0, secret: str = TOTP_SECRET) -> str:
    """What the authenticator app shows, ``step_offset`` steps of 30 seconds from now."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(utcnow()) + step_offset)
