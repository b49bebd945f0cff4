"""A filled-in request form, and reading back the requests and emails the tests made."""

import re

from sqlalchemy import func, select

from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.insight.models import InsightRequest

SUBSCRIPTIONS = "subscriptions@socitm.example"  # the test configuration's default

FILLED_IN = {
    "topic": "join",
    "name": "Jo Evans",
    "organisation": "Eastbridge Borough Council",
    "email": "jo.evans@eastbridge.gov.uk",
    "role": "Head of digital",
    "message": "How much would a subscription cost us?",
}

_KEY = re.compile(r'name="request_key"[^>]*value="([^"]+)"')


def request_key(page: str) -> str:
    """The one-time key of the request form on ``page``."""
    found = _KEY.search(page)
    assert found, "the page has no request form"
    return found.group(1)


def stored_requests(app) -> list[InsightRequest]:
    with app.app_context():
        rows = list(db.session.scalars(select(InsightRequest).order_by(InsightRequest.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def emails_to(app, address: str) -> list[OutboxEmail]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxEmail).where(OutboxEmail.to_address == address).order_by("id")
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))
