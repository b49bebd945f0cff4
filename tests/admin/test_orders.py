"""Administrators' order screens: the list, an order's page, its actions, the dispatch queue and
packing slips."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from portal import pricing
from portal.admin import order_queries
from portal.audit.models import AuditEntry
from portal.catalogue.models import FormatKind
from portal.clock import today_in_london, utcnow
from portal.documents.models import Document, DocumentKind
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders import states
from portal.orders.models import Order, OrderState, PaymentMethod
from portal.orders.services import Buyer, Delivery, InvoiceDetails
from portal.payments import invoices
from portal.payments.models import AttemptStatus, CheckoutAttempt, InvoicePayment

TODAY = date(2026, 3, 2)
DELIVERY = Delivery("Post Room", "1 Civic Square", "", "Leeds", "LS1 1UR")
INVOICE = InvoiceDetails(
    "PO-7781", "Finance, Civic Hall", "", "Leeds", "LS1 1UR", "ap@leeds.gov.uk"
)
#: A buyer whose address is verified: their invoice orders take stock when placed.
VERIFIED = pricing.Person(signed_in=True, email_verified=True)


@pytest.fixture
def make_order(app, create_report, create_order):
    """Place an order and commit it; returns its reference.

    ``pdf`` and ``prints`` are how many reports to order as PDF and as printed copies (one line
    each); ``paid`` marks it paid (as Stripe or the bank would have)."""

    def make(
        method=PaymentMethod.INVOICE,
        *,
        pdf=1,
        prints=0,
        paid=False,
        attention="",
        email="bea@leeds.example",  # no credit terms: released only once paid
        organisation="Leeds City Council",
    ) -> str:
        kinds = [FormatKind.PDF] * pdf + [FormatKind.PRINT] * prints
        lines = [
            (
                next(f for f in create_report().formats if f.kind is kind),
                2 if kind is FormatKind.PRINT else 1,
            )
            for kind in kinds
        ]
        with app.app_context():
            order = create_order(
                lines,
                buyer=Buyer(email, "Bea Buyer", organisation),
                person=VERIFIED,
                on=TODAY,
                method=method,
                delivery=DELIVERY if prints else None,
                invoice=INVOICE if method is PaymentMethod.INVOICE else None,
            )
            if paid:
                states.mark_paid(order, None, "Paid")
            order.attention = attention
            db.session.commit()
            return order.reference

    return make


def load(app, reference: str):
    """The order as it is in the database now (detached, lines loaded)."""
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        order.lines  # noqa: B018  (load them before the session goes)
        db.session.expunge(order)
        return order


def audit_entries(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def act(post_form, reference: str, action: str, data: dict | None = None):
    return post_form(
        f"/admin/orders/{reference}/{action}", data or {}, form_page=f"/admin/orders/{reference}"
    )


# ------------------------------------------------------------------------------------------------
# Access

ROUTES = [
    ("GET", "/admin/orders"),
    ("GET", "/admin/orders/{ref}"),
    ("GET", "/admin/dispatch"),
    ("GET", "/admin/orders/{ref}/packing-slip"),
    ("POST", "/admin/orders/{ref}/approve-credit"),
    ("POST", "/admin/orders/{ref}/mark-paid"),
    ("POST", "/admin/orders/{ref}/dispatch"),
    ("POST", "/admin/orders/{ref}/cancel"),
    ("POST", "/admin/orders/{ref}/resend-email"),
    ("POST", "/admin/orders/{ref}/lines/{line}/reset-downloads"),
    ("POST", "/admin/orders/{ref}/clear-attention"),
]


def _request(client, post_form, method, path, form_page="/sign-in"):
    if method == "GET":
        return client.get(path)
    return post_form(path, {"cancel_note": "x"}, form_page=form_page)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_guests_are_sent_to_sign_in(app, client, post_form, make_order, method, path):
    reference = make_order(prints=1)
    line = load(app, reference).lines[0].id
    response = _request(client, post_form, method, path.format(ref=reference, line=line))
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]
    assert load(app, reference).state is OrderState.AWAITING_INVOICE_PAYMENT


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_people_who_are_not_administrators_are_refused(
    app, client, post_form, auth, create_user, make_order, method, path
):
    reference = make_order(prints=1)
    line = load(app, reference).lines[0].id
    auth.sign_in(create_user().email)
    response = _request(client, post_form, method, path.format(ref=reference, line=line), "/")
    assert response.status_code == 403
    assert load(app, reference).state is OrderState.AWAITING_INVOICE_PAYMENT


@pytest.mark.parametrize(
    ("method", "path"),
    [(m, p) for m, p in ROUTES if "{ref}" in p],
)
def test_an_unknown_order_is_not_found(client, post_form, admin, method, path):
    path = path.format(ref="INS-2026-999999", line=1)
    if method == "GET":
        response = client.get(path)
    else:
        response = post_form(path, {}, form_page="/admin/orders")
    assert response.status_code == 404


# ------------------------------------------------------------------------------------------------
# The list


def test_the_list_shows_each_order(client, admin, make_order):
    reference = make_order(attention="Amount paid does not match")
    page = client.get("/admin/orders").get_data(as_text=True)
    assert reference in page
    assert "Bea Buyer" in page and "Leeds City Council" in page
    assert "Waiting for invoice payment" in page
    assert "Needs attention" in page


@pytest.mark.parametrize(
    ("query", "matches"),
    [
        ({"state": "paid"}, {"card_paid"}),
        ({"state": "awaiting_invoice_payment"}, {"invoice"}),
        ({"method": "card"}, {"card", "card_paid"}),
        ({"q": "PO-7781"}, {"invoice"}),
        ({"q": "SOMEONE@harrogate"}, {"card_paid"}),
        ({"q": "cs_test_findme"}, {"card"}),
        ({"q": "pi_test_findme"}, {"card"}),
        ({"q": "cs_test_nothing"}, set()),
        ({"organisation": "harrogate"}, {"card_paid"}),
        ({"who": "paying"}, {"card", "card_paid", "invoice"}),
        ({"who": "subscriber"}, set()),
        # Days from today, made dates when the test runs (a run may pass midnight).
        ({"from": 1}, set()),
        ({"to": -1}, set()),
        ({"from": 0, "to": 0}, "all"),
        ({"state": "nonsense", "method": "x", "from": "soon", "who": "?", "sort": "x"}, "all"),
    ],
)
def test_filters_and_search(app, client, admin, make_order, query, matches):
    made = {
        "invoice": make_order(),
        "card": make_order(PaymentMethod.CARD),
        "card_paid": make_order(
            PaymentMethod.CARD,
            paid=True,
            email="someone@harrogate.gov.uk",
            organisation="Harrogate",
        ),
    }
    with app.app_context():
        card = db.session.scalar(select(Order).where(Order.reference == made["card"]))
        db.session.add(
            CheckoutAttempt(
                order_id=card.id,
                number=1,
                stripe_session_id="cs_test_findme",
                stripe_payment_intent_id="pi_test_findme",
                status=AttemptStatus.OPEN,
                amount_pence=card.total_pence,
                currency="gbp",
            )
        )
        db.session.commit()
    expected = set(made) if matches == "all" else matches
    today = today_in_london()
    query = {
        name: (today + timedelta(days=value)).isoformat() if isinstance(value, int) else value
        for name, value in query.items()
    }
    page = client.get("/admin/orders", query_string=query)
    assert page.status_code == 200
    shown = {name for name, ref in made.items() if ref in page.get_data(as_text=True)}
    assert shown == expected


def test_the_report_filter(app, client, admin, make_order):
    wanted, other = make_order(), make_order()
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == wanted))
        report_id = order.lines[0].report_format.report_id
    page = client.get("/admin/orders", query_string={"report": report_id}).get_data(as_text=True)
    assert wanted in page and other not in page


@pytest.mark.parametrize(("sort", "first"), [("newest", 2), ("oldest", 0), ("total", 1)])
def test_sorting(client, admin, make_order, sort, first):
    references = [make_order(), make_order(pdf=2), make_order()]
    page = client.get("/admin/orders", query_string={"sort": sort}).get_data(as_text=True)
    positions = sorted(references, key=page.index)
    assert positions[0] == references[first]


def test_pages_of_orders(client, admin, make_order, monkeypatch):
    monkeypatch.setattr(order_queries, "PAGE_SIZE", 2)
    references = [make_order() for _ in range(3)]
    first = client.get("/admin/orders?sort=oldest").get_data(as_text=True)
    assert references[0] in first and references[2] not in first
    assert "Next page" in first
    following = re.search(r'href="([^"]+)" rel="next"', first).group(1)
    second = client.get(unescape(following)).get_data(as_text=True)
    assert references[2] in second and references[0] not in second
    assert "Next page" not in second and "Previous page" in second


# ------------------------------------------------------------------------------------------------
# A fixed number of queries


def _queries_for(count_queries, client, path) -> int:
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    return len(statements)


def test_the_list_runs_the_same_queries_for_5_or_40_orders(
    count_queries, client, admin, make_order
):
    for _ in range(5):
        make_order(PaymentMethod.CARD, prints=1, paid=True)
    few = _queries_for(count_queries, client, "/admin/orders?q=bea")
    for _ in range(35):
        make_order(PaymentMethod.CARD, prints=1, paid=True)
    many = _queries_for(count_queries, client, "/admin/orders?q=bea")
    assert 0 < few == many
    dispatch = [_queries_for(count_queries, client, "/admin/dispatch") for _ in range(2)]
    assert dispatch[0] == dispatch[1]


def _with_downloads(app, reference):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        for line in order.lines:
            db.session.add(Download(order_line_id=line.id, via="account"))
        db.session.commit()


def test_the_order_page_runs_the_same_queries_for_1_or_6_lines(
    app, count_queries, client, admin, make_order
):
    one = make_order(PaymentMethod.CARD, pdf=1, paid=True)
    six = make_order(PaymentMethod.CARD, pdf=4, prints=2, paid=True)
    for reference in (one, six):
        _with_downloads(app, reference)
    few = _queries_for(count_queries, client, f"/admin/orders/{one}")
    assert 0 < few == _queries_for(count_queries, client, f"/admin/orders/{six}")


# ------------------------------------------------------------------------------------------------
# The order page


def test_the_order_page_shows_everything(app, client, admin, make_order, post_form):
    reference = make_order(prints=1, attention="Paid twice: refund one")
    _with_downloads(app, reference)
    act(post_form, reference, "resend-email")
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    for expected in (
        "Paid twice: refund one",  # the attention banner
        "Not dispatched",
        "1 of 10 downloads",
        "Post Room",
        "PO-7781",
        "INV-",  # the invoice, linked
        "/documents/INV-",
        "VAT invoice INV-",  # the email sent
        "Mark the invoice paid",
        "Cancel the order",
        "Approve credit",
    ):
        assert expected in page, expected
    assert "Mark printed copies dispatched" not in page  # not paid yet


def test_actions_not_allowed_are_not_offered(client, admin, make_order):
    reference = make_order(PaymentMethod.CARD, paid=True)
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Mark the invoice paid" not in page
    assert "Approve credit" not in page
    assert "Re-send the order confirmation" in page


# ------------------------------------------------------------------------------------------------
# Marking an invoice paid


@pytest.mark.parametrize("paid_on", [{"paid_on": ["27", "2", "2026"]}, {"paid_on": "2026-02-27"}])
def test_marking_an_invoice_paid(app, post_form, admin, make_order, outbox, paid_on):
    reference = make_order()
    response = act(post_form, reference, "mark-paid", {**paid_on, "payment_reference": "BACS 4471"})
    assert response.status_code == 302
    assert load(app, reference).state is OrderState.FULFILLED  # PDF only
    with app.app_context():
        payment = db.session.scalar(select(InvoicePayment))
        assert (payment.paid_on, payment.reference) == (date(2026, 2, 27), "BACS 4471")
    (entry,) = audit_entries(app, "order.mark_invoice_paid")
    assert entry.target_id == reference and entry.actor_email == admin.email
    assert entry.before == {"state": "awaiting_invoice_payment"}
    assert entry.after["state"] == "fulfilled" and entry.after["reference"] == "BACS 4471"
    assert any("Receipt" in m.subject for m in outbox)


@pytest.mark.parametrize(
    ("kwargs", "twice"),
    [({"method": PaymentMethod.CARD}, False), ({}, True)],
)
def test_marking_paid_is_refused_from_the_wrong_state(
    app, client, post_form, admin, make_order, kwargs, twice
):
    reference = make_order(**kwargs)
    data = {"paid_on": "2026-02-27", "payment_reference": "BACS 1"}
    if twice:
        act(post_form, reference, "mark-paid", data)
    state = load(app, reference).state
    response = act(post_form, reference, "mark-paid", data)
    assert response.status_code == 302
    assert load(app, reference).state is state
    assert len(audit_entries(app, "order.mark_invoice_paid")) == (1 if twice else 0)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "can be marked paid" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"paid_on": ["27", "2", "2026"]}, "Enter the payment reference"),
        ({"payment_reference": "B1"}, "Enter the date the money arrived"),
        ({"paid_on": ["31", "2", "2026"], "payment_reference": "B1"}, "must be a real date"),
        ({"paid_on": ["x", "2", "2026"], "payment_reference": "B1"}, "must be a real date"),
        ({"paid_on": "2999-01-01", "payment_reference": "B1"}, "today or in the past"),
        ({"paid_on": "2026-02-27", "payment_reference": "B" * 101}, "100 characters"),
    ],
)
def test_marking_paid_checks_its_input(app, post_form, admin, make_order, data, message):
    reference = make_order()
    response = act(post_form, reference, "mark-paid", data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page and message in page
    assert load(app, reference).state is OrderState.AWAITING_INVOICE_PAYMENT
    assert audit_entries(app, "order.mark_invoice_paid") == []


# ------------------------------------------------------------------------------------------------
# Dispatch


def test_dispatching_printed_copies(app, post_form, admin, make_order, outbox):
    reference = make_order(PaymentMethod.CARD, prints=1, paid=True)
    response = act(
        post_form,
        reference,
        "dispatch",
        {"dispatched_on": ["1", "3", "2026"], "dispatch_note": "Royal Mail AB123456789GB"},
    )
    assert response.status_code == 302
    order = load(app, reference)
    assert order.state is OrderState.FULFILLED
    (printed,) = [line for line in order.lines if line.format_kind == "print"]
    assert printed.dispatched_at is not None
    assert printed.dispatch_note == "Royal Mail AB123456789GB"
    (entry,) = audit_entries(app, "order.mark_dispatched")
    assert entry.after["state"] == "fulfilled" and entry.note == "Royal Mail AB123456789GB"
    (email,) = [m for m in outbox if "on their way" in m.subject]
    assert email.to == ["bea@leeds.example"] and "AB123456789GB" in email.body


@pytest.mark.parametrize(
    ("kwargs", "twice", "message"),
    [
        ({"prints": 1}, False, "Only a paid order"),  # invoice not paid yet
        ({"method": PaymentMethod.CARD, "paid": True}, False, "no printed copies"),
        ({"method": PaymentMethod.CARD, "prints": 1, "paid": True}, True, "no printed"),
    ],
)
def test_dispatch_is_refused_from_the_wrong_state(
    app, client, post_form, admin, make_order, outbox, kwargs, twice, message
):
    reference = make_order(**kwargs)
    data = {"dispatched_on": "2026-03-01"}
    if twice:
        act(post_form, reference, "dispatch", data)
    before = load(app, reference)
    outbox.clear()
    response = act(post_form, reference, "dispatch", data)
    after = load(app, reference)
    assert after.state is before.state
    assert [x.dispatched_at for x in after.lines] == [x.dispatched_at for x in before.lines]
    assert len(audit_entries(app, "order.mark_dispatched")) == (1 if twice else 0)
    assert outbox == []
    assert message in client.get(response.headers["Location"]).get_data(as_text=True)


def test_dispatch_needs_a_date(app, post_form, admin, make_order):
    reference = make_order(PaymentMethod.CARD, prints=1, paid=True)
    response = act(post_form, reference, "dispatch", {"dispatch_note": "x"})
    assert response.status_code == 400
    assert "Enter the date the copies were posted" in response.get_data(as_text=True)
    assert load(app, reference).state is OrderState.PAID


# ------------------------------------------------------------------------------------------------
# Cancelling


def _stock(app, reference) -> int:
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        return sum(line.report_format.stock for line in order.lines if line.format_kind == "print")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": PaymentMethod.CARD},
        {"method": PaymentMethod.INVOICE},
        {"method": PaymentMethod.CARD, "paid": True},
    ],
)
def test_cancelling_releases_stock(app, post_form, admin, make_order, kwargs):
    reference = make_order(prints=1, **kwargs)
    stock = _stock(app, reference)
    before = load(app, reference).state
    response = act(post_form, reference, "cancel", {"cancel_note": "Ordered by mistake"})
    assert response.status_code == 302
    assert load(app, reference).state is OrderState.CANCELLED
    assert _stock(app, reference) == stock + 2
    (entry,) = audit_entries(app, "order.cancel")
    assert entry.before == {"state": before.value} and entry.after == {"state": "cancelled"}
    assert entry.note == "Ordered by mistake"


def _dispatch_one_line_only(app, reference):
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.reference == reference))
        order.lines[-1].dispatched_at = utcnow()
        db.session.commit()


@pytest.mark.parametrize("situation", ["fulfilled", "cancelled", "partly_dispatched"])
def test_cancelling_is_refused_from_the_wrong_state(
    app, client, post_form, admin, make_order, situation
):
    reference = make_order(PaymentMethod.CARD, prints=1, paid=True)
    if situation == "fulfilled":
        act(post_form, reference, "dispatch", {"dispatched_on": "2026-03-01"})
    elif situation == "cancelled":
        act(post_form, reference, "cancel", {"cancel_note": "first"})
    else:
        _dispatch_one_line_only(app, reference)
    state, stock = load(app, reference).state, _stock(app, reference)
    audits = len(audit_entries(app, "order.cancel"))
    response = act(post_form, reference, "cancel", {"cancel_note": "again"})
    assert load(app, reference).state is state
    assert _stock(app, reference) == stock
    assert len(audit_entries(app, "order.cancel")) == audits
    assert "cannot be cancelled" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_cancelling_needs_a_reason(app, post_form, admin, make_order):
    reference = make_order()
    response = act(post_form, reference, "cancel", {"cancel_note": "   "})
    assert response.status_code == 400
    assert "Enter why the order is being cancelled" in response.get_data(as_text=True)
    assert load(app, reference).state is OrderState.AWAITING_INVOICE_PAYMENT


# ------------------------------------------------------------------------------------------------
# Releasing downloads, emails, download counts, attention


def test_approving_credit_releases_an_invoice_order_before_payment(
    app, client, post_form, admin, make_order
):
    reference = make_order()
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert page.count("Approve credit</button>") == 1  # one action, one button
    response = act(post_form, reference, "approve-credit")
    assert response.status_code == 302
    assert load(app, reference).downloads_released_at is not None
    flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Credit approved for {reference}" in flashed
    assert "Its VAT invoice has been emailed" not in flashed
    (entry,) = audit_entries(app, "order.approve_credit")
    assert entry.before == {"state": "awaiting_invoice_payment", "downloads_released_at": None}
    assert entry.after["downloads_released_at"] and entry.after["invoiced"] is False
    assert "Approve credit</button>" not in client.get(f"/admin/orders/{reference}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("situation", ["card", "already_released", "paid"])
def test_approving_credit_is_refused_from_the_wrong_state(
    app, post_form, admin, make_order, situation
):
    reference = make_order(PaymentMethod.CARD if situation == "card" else PaymentMethod.INVOICE)
    if situation == "already_released":
        act(post_form, reference, "approve-credit")
    elif situation == "paid":
        act(post_form, reference, "mark-paid", {"paid_on": "2026-03-01", "payment_reference": "x"})
    released = load(app, reference).downloads_released_at
    act(post_form, reference, "approve-credit")
    assert load(app, reference).downloads_released_at == released
    expected = 1 if situation == "already_released" else 0
    assert len(audit_entries(app, "order.approve_credit")) == expected


def test_resending_the_confirmation(app, post_form, admin, make_order, outbox):
    reference = make_order(PaymentMethod.CARD)
    assert act(post_form, reference, "resend-email").status_code == 302
    (email,) = outbox
    assert email.to == ["bea@leeds.example"] and reference in email.subject
    (entry,) = audit_entries(app, "order.resend_email")
    assert entry.after == {"email": "order_confirmation"}


def test_resending_the_invoice_does_not_issue_a_second(app, post_form, admin, make_order, outbox):
    reference = make_order()
    with app.app_context():
        invoices.issue_invoice_for(
            db.session.scalar(select(Order).where(Order.reference == reference)), TODAY
        )
        db.session.commit()
    outbox.clear()
    act(post_form, reference, "resend-email")
    with app.app_context():
        issued = db.session.scalar(
            select(func.count(Document.id)).where(Document.kind == DocumentKind.INVOICE)
        )
    assert issued == 1
    assert sorted(m.to[0] for m in outbox) == ["ap@leeds.gov.uk", "bea@leeds.example"]
    assert all(m.attachments for m in outbox)
    assert audit_entries(app, "order.resend_email")[0].after == {"email": "invoice"}


def test_no_email_is_resent_for_a_cancelled_order(app, post_form, admin, make_order, outbox):
    reference = make_order(PaymentMethod.CARD)
    act(post_form, reference, "cancel", {"cancel_note": "x"})
    outbox.clear()
    act(post_form, reference, "resend-email")
    assert outbox == []
    assert audit_entries(app, "order.resend_email") == []


def test_resetting_a_download_count(app, client, post_form, admin, make_order):
    reference = make_order(PaymentMethod.CARD, prints=1, paid=True)
    _with_downloads(app, reference)
    pdf_line, print_line = load(app, reference).lines
    path = f"/admin/orders/{reference}/lines/{{}}/reset-downloads"
    assert "1 of 10 downloads" in client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    post_form(path.format(pdf_line.id), {}, form_page="/admin/orders")
    assert load(app, reference).lines[0].downloads_counted_from is not None
    assert "0 of 10 downloads" in client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    (entry,) = audit_entries(app, "order.reset_downloads")
    assert entry.after["line"] == pdf_line.id
    # A printed line has no count; another order's line is not found.
    post_form(path.format(print_line.id), {}, form_page="/admin/orders")
    assert load(app, reference).lines[1].downloads_counted_from is None
    assert len(audit_entries(app, "order.reset_downloads")) == 1
    other = load(app, make_order()).lines[0].id
    assert post_form(path.format(other), {}, form_page="/admin/orders").status_code == 404


def test_clearing_the_attention_flag(app, client, post_form, admin, make_order):
    reference = make_order(PaymentMethod.CARD, attention="Paid £1 too little")
    response = act(post_form, reference, "clear-attention", {"attention_note": "Rang them"})
    assert response.status_code == 302
    assert load(app, reference).attention == ""
    (entry,) = audit_entries(app, "order.clear_attention")
    assert entry.before == {"attention": "Paid £1 too little"} and entry.note == "Rang them"
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Attention cleared: Rang them" in page  # on the timeline
    # Now there is nothing to clear.
    act(post_form, reference, "clear-attention", {"attention_note": "again"})
    assert len(audit_entries(app, "order.clear_attention")) == 1


def test_clearing_the_flag_needs_a_note(app, post_form, admin, make_order):
    reference = make_order(attention="Look at this")
    response = act(post_form, reference, "clear-attention", {"attention_note": ""})
    assert response.status_code == 400
    assert "Enter what was done about it" in response.get_data(as_text=True)
    assert load(app, reference).attention == "Look at this"


# ------------------------------------------------------------------------------------------------
# The dispatch queue and packing slips


def test_the_dispatch_queue(client, admin, make_order, post_form):
    first = make_order(PaymentMethod.CARD, prints=1, paid=True)
    second = make_order(PaymentMethod.CARD, prints=1, paid=True)
    unpaid = make_order(prints=1)
    pdf_only = make_order(PaymentMethod.CARD, paid=True)
    sent = make_order(PaymentMethod.CARD, prints=1, paid=True)
    act(post_form, sent, "dispatch", {"dispatched_on": "2026-03-01"})
    page = client.get("/admin/dispatch").get_data(as_text=True)
    assert first in page and second in page
    assert page.index(first) < page.index(second)  # oldest first
    for absent in (unpaid, pdf_only, sent):
        assert f"/admin/orders/{absent}" not in page
    assert "Post Room" in page and "2 \N{MULTIPLICATION SIGN}" in page
    assert f"/admin/orders/{first}/packing-slip" in page


def test_an_order_released_on_credit_is_posted_before_payment(
    app, client, admin, public_sector_domains, make_order, post_form, outbox
):
    reference = make_order(prints=1, email="bea@leeds.gov.uk")  # public sector: released
    assert reference in client.get("/admin/dispatch").get_data(as_text=True)
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Mark printed copies dispatched" in page and "Approve credit" not in page
    act(post_form, reference, "dispatch", {"dispatched_on": "2026-03-01"})
    order = load(app, reference)
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT  # delivered, still owed
    assert all(line.dispatched_at for line in order.lines if line.format_kind == "print")
    assert any("on their way" in m.subject for m in outbox)
    page = client.get(f"/admin/orders/{reference}").get_data(as_text=True)
    assert "Complete" in page and "Not released" not in page
    assert f"/admin/orders/{reference}" not in client.get("/admin/dispatch").get_data(as_text=True)
    assert "Cancel the order" not in page  # its copies are out of the door
    act(post_form, reference, "mark-paid", {"paid_on": "2026-03-02", "payment_reference": "BACS"})
    assert load(app, reference).state is OrderState.FULFILLED


def test_the_packing_slip(client, admin, make_order):
    reference = make_order(PaymentMethod.CARD, pdf=1, prints=1, paid=True)
    page = client.get(f"/admin/orders/{reference}/packing-slip").get_data(as_text=True)
    assert reference in page and "Post Room" in page and "LS1 1UR" in page
    assert "£" not in page  # nothing priced
    assert client.get(f"/admin/orders/{make_order()}/packing-slip").status_code == 404
