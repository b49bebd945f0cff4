"""Starting a card checkout and Stripe's webhook run a fixed number of SQL statements, whatever the
number of lines in the order.

SQLite inserts an order's lines one statement each (SQLAlchemy sends them as one statement on
PostgreSQL), so those inserts are counted apart.
"""

import pytest

from portal.extensions import db
from tests.helpers import ADDRESS, GUEST


@pytest.fixture
def basket_of(client, post_form, create_report):
    """A guest's basket with a PDF and a printed copy of each of ``n`` reports, details given
    and card chosen: what is left is to place the order."""

    def fill(n: int):
        for _ in range(n):
            report = create_report(with_pdf=False)
            for f in report.formats:
                data = {"format_id": str(f.id), "quantity": "1"}
                assert post_form(f"/reports/{report.slug}", data).status_code == 302
        post_form("/checkout", {**GUEST, **ADDRESS})
        post_form("/checkout/payment", {"method": "card"})

    return fill


def _place(client, post_form):
    from tests.helpers import csrf_token

    token = csrf_token(client, "/checkout/review")

    def run():
        response = client.post("/checkout/review", data={"csrf_token": token})
        assert response.status_code == 303, response.status
        run.location = response.headers["Location"]

    return run


def _counted(app, ran: list[str]) -> tuple[int, int]:
    """(statements other than inserting order lines, inserts of order lines)."""
    lines = [s for s in ran if s.lstrip().upper().startswith("INSERT INTO ORDER_LINES")]
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            assert len(lines) <= 1, "order lines are inserted in one statement"
    return len(ran) - len(lines), len(lines)


@pytest.mark.parametrize("reports", [1, 10])
def test_starting_a_card_checkout(app, client, post_form, basket_of, count_queries, reports):
    basket_of(reports)
    place = _place(client, post_form)
    with count_queries() as ran:
        place()
    others, _ = _counted(app, ran)
    # The basket, its lines, formats and reports; whether they are still for sale (checked by
    # the page, and again when placing), and the copies this address ordered today (one
    # statement each); the stock taken (one statement); the order, its history, lines and
    # reference; the basket emptied; the confirmation email queued, then sent after the commit
    # by the in-process job (6, with its check for emails still unsent); the order locked and
    # read back (a switch to invoice waits for it), its lines, its earlier attempts, and the new
    # attempt recorded with its key before Stripe is asked, then given Stripe's session (two
    # statements); the versions of the terms and licence in force, which the order
    # records (one statement; none are published here, so nothing is inserted).
    assert others == 26, ran


@pytest.mark.parametrize("reports", [1, 10])
def test_the_webhook(
    client, post_form, basket_of, held_completed_event, post_webhook, count_queries, reports
):
    basket_of(reports)
    place = _place(client, post_form)
    place()
    event = held_completed_event(place.location.rsplit("/", 1)[1])

    def deliver():
        assert post_webhook(event).status_code == 200

    with count_queries() as ran:
        deliver()
    numbering = [s for s in ran if "document_sequences" in s]
    # Taking the receipt's number is one statement, three when the first receipt ever is
    # numbered (its sequence is made then).
    assert len(numbering) in (1, 3)
    # The event recorded (1); the in-process job locking it (1), the order locked and its attempt
    # (2); the payment and the paid state (3); the lines; the receipt numbered and stored (4); the
    # email queued (2); the event marked handled (1), and the webhook's check that it was (1); the
    # email sent by the in-process job (6, with its check for emails still unsent); the stamping
    # job reading the order's PDF lines with their order, format and report in one statement.
    assert len(ran) - len(numbering) + 1 == 23, "\n".join(s[:100] for s in ran)
    with count_queries() as again:
        deliver()
    assert len(again) == 2  # a repeated event: the insert that does nothing, and a look-up
