"""A finance contact someone typed at checkout gets at most a few emails a London day until a
person there opens a link from one of them; the rest wait in the outbox, held, and go once the
address is confirmed."""

from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal import pricing
from portal.audit.models import AuditEntry
from portal.catalogue.models import ReportFormat
from portal.email.models import OutboxEmail, OutboxStatus
from portal.extensions import db
from portal.orders.models import Order, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.payments import finance_contacts, invoices
from portal.payments.models import FinanceContact
from portal.pricing import FormatKind
from tests.helpers import csrf_token

FINANCE = "accounts.payable@eastbridge.gov.uk"
BUYER = "jo.evans@eastbridge.gov.uk"
MONDAY = date(2026, 11, 23)


@pytest.fixture
def invoice_orders(app, create_report, create_order):
    """Place ``count`` invoice orders on ``day`` naming ``finance`` as the finance contact, issue
    their invoices (emailing buyer and finance contact) and commit; returns their references."""
    pdf_id = next(f.id for f in create_report().formats if f.kind is FormatKind.PDF)

    def place(count: int, day: date = MONDAY, finance: str = FINANCE) -> list[str]:
        references = []
        with app.test_request_context():
            pdf = db.session.get(ReportFormat, pdf_id)
            for _ in range(count):
                order = create_order(
                    [(pdf, 1)],
                    buyer=Buyer(BUYER, "Jo Evans", "Eastbridge Council"),
                    person=pricing.GUEST,
                    on=day,
                    method=PaymentMethod.INVOICE,
                    invoice=InvoiceDetails(
                        "PO-1", "Town Hall", "", "Eastbridge", "EB1 2CD", finance
                    ),
                )
                invoices.issue_invoice_for(order, day)
                references.append(order.reference)
                db.session.commit()
        return references

    return place


def emails(app, to: str) -> list[OutboxEmail]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboxEmail)
                .where(OutboxEmail.to_address == to)
                .order_by(OutboxEmail.id)
                .options(selectinload(OutboxEmail.attachments))
            )
        )
        db.session.expunge_all()
        return rows


def statuses(app, to: str) -> list[str]:
    return [email.status.value for email in emails(app, to)]


def test_an_unconfirmed_finance_contact_gets_three_emails_a_day_and_the_rest_are_held(
    app, invoice_orders, outbox
):
    invoice_orders(5)

    assert statuses(app, FINANCE) == ["sent"] * 3 + ["held"] * 2
    assert statuses(app, BUYER) == ["sent"] * 5  # the buyer has every invoice meanwhile
    held = emails(app, FINANCE)[-1]
    assert "Finance contact not yet confirmed" in held.held_reason
    assert held.attachments  # kept whole, ready to go
    assert sorted(m.to[0] for m in outbox).count(FINANCE) == 3


@pytest.mark.parametrize(
    ("next_day", "sent_that_day"),
    [
        (MONDAY, 0),  # the same day: held
        (MONDAY + timedelta(days=1), 1),  # a new London day: counted afresh
    ],
)
def test_the_count_starts_again_each_london_day(app, invoice_orders, next_day, sent_that_day):
    invoice_orders(3)

    invoice_orders(1, day=next_day)

    assert emails(app, FINANCE)[-1].status is (
        OutboxStatus.SENT if sent_that_day else OutboxStatus.HELD
    )


def _finance_link(outbox) -> str:
    message = next(m for m in outbox if m.to == [FINANCE])
    return next(word for word in message.body.split() if "contact=" in word)


def test_opening_a_link_from_the_email_confirms_the_contact_and_releases_the_held_ones(
    app, client, invoice_orders, outbox
):
    invoice_orders(5)
    link = _finance_link(outbox)
    parts = urlsplit(link)

    page = client.get(f"{parts.path}?{parts.query}")

    assert page.status_code == 200
    assert statuses(app, FINANCE) == ["sent"] * 5
    with app.app_context():
        contact = db.session.scalar(select(FinanceContact).where(FinanceContact.email == FINANCE))
        assert contact.confirmed_at is not None
        assert finance_contacts.is_confirmed(FINANCE)
    invoice_orders(4)  # confirmed: no daily cap any more
    assert statuses(app, FINANCE) == ["sent"] * 9


def test_the_buyers_link_does_not_confirm_the_finance_contact(app, client, invoice_orders, outbox):
    invoice_orders(4)
    message = next(m for m in outbox if m.to == [BUYER])
    link = next(word for word in message.body.split() if "token=" in word)
    assert "contact=" not in link

    client.get(urlsplit(link).path + "?" + urlsplit(link).query)

    assert statuses(app, FINANCE) == ["sent"] * 3 + ["held"]


@pytest.mark.parametrize(
    "contact",
    ["forged", "x" * 5000, "", "IkFQQGV4YW1wbGUuZ292LnVrIg.forged-signature"],
)
def test_a_forged_contact_token_confirms_nothing(app, client, invoice_orders, outbox, contact):
    invoice_orders(4)
    link = urlsplit(_finance_link(outbox))
    token = parse_qs(link.query)["token"][0]

    page = client.get(link.path, query_string={"token": token, "contact": contact})

    assert page.status_code == 200
    assert statuses(app, FINANCE) == ["sent"] * 3 + ["held"]


def test_a_contact_token_for_another_address_releases_only_that_address(
    app, client, invoice_orders, outbox
):
    other = "ap@northmere.gov.uk"
    invoice_orders(4)
    invoice_orders(4, finance=other)
    link = urlsplit(_finance_link(outbox))

    client.get(f"{link.path}?{link.query}")

    assert statuses(app, FINANCE) == ["sent"] * 4
    assert statuses(app, other) == ["sent"] * 3 + ["held"]


def test_administrators_see_held_emails_and_why(app, client, admin, invoice_orders):
    invoice_orders(4)

    page = client.get("/admin/emails?status=held").get_data(as_text=True)

    assert FINANCE in page
    assert 'govuk-tag--orange">Held' in page
    assert "Finance contact not yet confirmed" in page
    assert page.count(">Send now<") == 1  # one held email, one button


def test_the_buyer_as_their_own_finance_contact_is_not_capped(app, invoice_orders):
    invoice_orders(5, finance=BUYER.upper())

    assert statuses(app, BUYER) == ["sent"] * 5
    with app.app_context():
        assert db.session.scalar(select(FinanceContact)) is None


def test_a_held_email_is_never_sent_by_the_outbox_sweep(app, invoice_orders, runner):
    invoice_orders(4)

    runner.invoke(args=["send-outbox"])

    assert statuses(app, FINANCE)[-1] == "held"
    with app.app_context():
        assert db.session.scalar(select(Order.id).limit(1)) is not None


def test_an_administrator_can_send_a_held_email_now(app, client, admin, invoice_orders, outbox):
    invoice_orders(4)
    held = emails(app, FINANCE)[-1]

    response = client.post(
        f"/admin/emails/{held.id}/send",
        data={"csrf_token": csrf_token(client, "/admin/emails")},
    )

    assert response.status_code == 302
    assert statuses(app, FINANCE) == ["sent"] * 4
    assert [m.to for m in outbox].count([FINANCE]) == 4
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "outbox.send_held"))
        assert (entry.actor_user_id, entry.target_id) == (admin.id, str(held.id))
        assert not finance_contacts.is_confirmed(FINANCE)  # one email sent, nothing trusted


@pytest.mark.parametrize("which", ["sent", "missing"])
def test_only_a_held_email_can_be_sent_by_hand(app, client, admin, invoice_orders, which):
    invoice_orders(1)
    email_id = emails(app, FINANCE)[0].id if which == "sent" else 999_999

    response = client.post(
        f"/admin/emails/{email_id}/send",
        data={"csrf_token": csrf_token(client, "/admin/emails")},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "That email is not held" in response.get_data(as_text=True)
    assert statuses(app, FINANCE) == ["sent"]
