"""What the payments tests share outside fixtures: an administrator's browser that refunds
lines, and reading refunds, credit notes and emails back."""

import re

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from portal import pricing
from portal.catalogue.models import ReportFormat
from portal.documents.models import Document, DocumentKind
from portal.extensions import db
from portal.orders.models import Order
from portal.payments.models import AttemptStatus, CheckoutAttempt, Refund
from tests.helpers import TEST_PASSWORD, complete_two_factor, csrf_token

#: The buyer and the finance contact of the ``invoice_order`` fixture's orders.
BUYER = "jo.evans@eastbridge.gov.uk"
FINANCE = "payables@eastbridge.gov.uk"
VERIFIED = pricing.Person(signed_in=True, email_verified=True)

_KEY = re.compile(r'name="request_key"[^>]*value="([^"]+)"')


class Office:
    """An administrator's browser, apart from the buyer's (who keeps their own session)."""

    def __init__(self, client):
        self.client = client

    @classmethod
    def signed_in(cls, app, admin) -> "Office":
        browser = app.test_client()
        token = csrf_token(browser, "/sign-in")
        browser.post(
            "/sign-in", data={"csrf_token": token, "email": admin.email, "password": TEST_PASSWORD}
        )
        complete_two_factor(browser, admin.email)
        return cls(browser)

    def page(self, reference: str):
        return self.client.get(f"/admin/orders/{reference}/refund")

    def order_page(self, reference: str) -> str:
        return self.client.get(f"/admin/orders/{reference}").get_data(as_text=True)

    def form_key(self, reference: str) -> str:
        match = _KEY.search(self.page(reference).get_data(as_text=True))
        assert match, "no refund form on the page"
        return match.group(1)

    def choose(
        self,
        reference: str,
        lines: dict[int, int | str | None],
        reason: str = "Ordered twice",
        *,
        key: str | None = None,
        confirm: bool = False,
        **fields,
    ):
        """Post the refund form: ``lines`` maps line ids to copies (None: leave the box empty).
        Without ``confirm`` this is the first step, answered by the confirmation page."""
        data: list[tuple[str, str]] = [
            ("csrf_token", csrf_token(self.client, "/")),
            ("reason", reason),
            ("request_key", key or self.form_key(reference)),
        ]
        for line_id, copies in lines.items():
            data.append(("lines", str(line_id)))
            if copies is not None:
                data.append((f"quantity-{line_id}", str(copies)))
        data += [(name, str(value)) for name, value in fields.items()]
        if confirm:
            data.append(("confirm", "yes"))
        return self.client.post(f"/admin/orders/{reference}/refund", data=MultiDict(data))

    def refund(self, reference: str, lines: dict, reason: str = "Ordered twice", **kwargs):
        """Choose, check and confirm in one go (the confirmation step's form, as sent)."""
        return self.choose(reference, lines, reason, confirm=True, **kwargs)


def refunds_made(app) -> list[Refund]:
    with app.app_context():
        rows = db.session.scalars(
            select(Refund).options(selectinload(Refund.lines)).order_by(Refund.id)
        ).all()
        db.session.expunge_all()
        return rows


def credit_notes(app) -> list[Document]:
    with app.app_context():
        return db.session.scalars(
            select(Document).where(Document.kind == DocumentKind.CREDIT_NOTE).order_by(Document.id)
        ).all()


def order_now(app, order_id: int) -> Order:
    """The order as the requests left it, lines loaded, detached."""
    with app.app_context():
        order = db.session.scalar(
            select(Order).options(selectinload(Order.lines)).where(Order.id == order_id)
        )
        db.session.expunge_all()
        return order


def stock_of(app, format_id: int) -> int:
    with app.app_context():
        return db.session.get(ReportFormat, format_id).stock


def record_card_payment(order: Order) -> CheckoutAttempt:
    """Record that Stripe took ``order``'s total through the payment ``pi_paid_<id>``."""
    attempt = CheckoutAttempt(
        order_id=order.id,
        number=1,
        stripe_session_id=f"cs_{order.id}",
        stripe_payment_intent_id=f"pi_paid_{order.id}",
        status=AttemptStatus.PAID,
        amount_pence=order.total_pence,
        amount_paid_pence=order.total_pence,
        currency="gbp",
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt
