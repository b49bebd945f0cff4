"""SQL statements per request for the pages the targets name, counted on the loaded database.

One request per page through the Flask test client (after one to warm up), with a SQLAlchemy
``before_cursor_execute`` listener counting what reaches the database. Signed-in pages use a
session made directly (as the tests' helpers do), so no password or code is needed here.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from dataset import BenchData
from scenarios import SEARCH_PAGES


def count_statements(app, data: BenchData) -> dict[str, int]:
    """Statements each page sends to the database, by page."""
    from sqlalchemy import event, select

    from portal.accounts import signed_in
    from portal.accounts.models import User
    from portal.extensions import db

    with app.app_context():
        # A signed-in session for each person, as the sign-in page would start.
        tokens = {
            user.email: signed_in.start(user, "bench", "127.0.0.1")
            for user in db.session.scalars(
                select(User).where(User.email.in_([data.subscriber_email, data.admin_email]))
            )
        }
        db.session.commit()
        engine = db.engine
    report = f"/reports/{data.report_slug}"
    organisation = urlencode({"state": "paid", "organisation": data.organisations[6]})
    pages = {
        "1. Catalogue list, anonymous": (None, "/reports"),
        "2. Report page, anonymous": (None, report),
        "2. Report page, signed-in subscriber": (data.subscriber_email, report),
        **{name: (None, "/reports?" + urlencode(args)) for name, args, *_ in SEARCH_PAGES},
        "6. Admin orders, state + organisation": (
            data.admin_email,
            "/admin/orders?" + organisation,
        ),
    }
    seen: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    counts = {}
    try:
        for name, (email, path) in pages.items():
            client = app.test_client()
            if email:
                with client.session_transaction() as session:
                    session["_user_id"] = tokens[email]
                    session["_fresh"] = True
                    session["second_factor_at"] = int(time.time())  # as if signed in with a code
            client.get(path)
            seen.clear()
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            counts[name] = len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return counts
