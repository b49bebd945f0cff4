"""The download gate as a buyer meets it, through ``/downloads/<line>``: an invoice order's PDF
before and after its downloads are released, the limit of each line counted on its own, a
count an administrator reset, and what each download records."""

from datetime import UTC, date, datetime, timedelta
from io import BytesIO
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.catalogue.models import FormatKind, ReportFormat
from portal.clock import london_date, long_date, utcnow
from portal.downloads import services
from portal.downloads.admin_services import reset_download_count
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.access import order_token
from portal.orders.models import Order, OrderLine, OrderState, PaymentMethod
from portal.orders.services import Buyer, InvoiceDetails
from portal.payments import admin_services as invoice_actions
from portal.pricing import Person

NOW = utcnow().replace(microsecond=0)
VERIFIED = Person(signed_in=True, email_verified=True)
INVOICE = InvoiceDetails("PO-5150", "Finance, Town Hall", "", "Eastbridge", "EB1 2CD", "")


@pytest.fixture
def owner(create_user):
    # An address of no known organisation or public-sector domain: no credit terms.
    return create_user(
        name="Jo Evans",
        organisation_name="Eastbridge Borough Council",
        email="jo@eastbridge.example",
    )


def _pdf(limit: int) -> ReportFormat:
    return ReportFormat(
        kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=0, download_limit=limit
    )


@pytest.fixture
def two_lines(app, owner, create_report, create_order):
    """An order of two reports' PDFs, paid, placed by ``owner``: the first line may be
    downloaded 3 times, the second once."""
    first = create_report(with_pdf=True, formats=[_pdf(3)])
    second = create_report(with_pdf=True, formats=[_pdf(1)])
    order = create_order(
        [(first.formats[0], 1), (second.formats[0], 1)],
        buyer=Buyer.from_user(owner),
        state=OrderState.PAID,
    )
    return [line.id for line in sorted(order.lines, key=lambda line: line.id)]


@pytest.fixture
def invoice_line(app, owner, create_report, create_order):
    """The PDF line of an invoice order that is waiting for its payment, placed by ``owner``."""
    report = create_report(with_pdf=True)
    order = create_order(
        report=report,
        buyer=Buyer.from_user(owner),
        person=VERIFIED,
        method=PaymentMethod.INVOICE,
        invoice=INVOICE,
    )
    assert order.state is OrderState.AWAITING_INVOICE_PAYMENT
    return order.lines[0].id


@pytest.fixture
def clock(monkeypatch):
    """The downloads service's clock, stopped at NOW."""
    monkeypatch.setattr(services, "utcnow", lambda: NOW)
    return NOW


def _download(client, line_id: int):
    with client.get(f"/downloads/{line_id}") as response:
        return response.status_code, response.get_data(as_text=response.mimetype == "text/html")


def _line(line_id: int) -> OrderLine:
    return db.session.get(OrderLine, line_id)


def _records(app, line_id: int) -> list[Download]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(Download).where(Download.order_line_id == line_id).order_by(Download.id)
            )
        )


# ------------------------------------------------------------------------------------------------
# An invoice order waiting for its payment


def test_an_unpaid_invoice_orders_pdf_waits_for_the_payment(app, client, auth, owner, invoice_line):
    auth.sign_in(owner.email)

    status, page = _download(client, invoice_line)

    assert status == 410
    assert "You can download this report once the invoice is paid." in page
    assert _records(app, invoice_line) == []


def test_once_an_administrator_releases_its_downloads_the_owner_may_download(
    app, client, auth, owner, invoice_line, create_user
):
    with app.app_context():
        order = _line(invoice_line).order
        invoice_actions.approve_credit(order, create_user(is_admin=True), date(2026, 11, 26))
        db.session.commit()
    auth.sign_in(owner.email)

    status, body = _download(client, invoice_line)

    assert status == 200 and body.startswith(b"%PDF")
    assert len(_records(app, invoice_line)) == 1


def test_released_downloads_do_not_open_the_order_to_anyone_else(
    app, client, auth, invoice_line, create_user
):
    with app.app_context():
        order = _line(invoice_line).order
        invoice_actions.approve_credit(order, create_user(is_admin=True), date(2026, 11, 26))
        db.session.commit()
    auth.sign_in(create_user().email)

    assert _download(client, invoice_line)[0] == 404


def test_a_cancelled_invoice_order_is_closed_even_after_an_early_release(
    app, client, auth, owner, invoice_line, create_user
):
    with app.app_context():
        order = _line(invoice_line).order
        invoice_actions.approve_credit(order, create_user(is_admin=True), date(2026, 11, 26))
        order.state = OrderState.CANCELLED
        db.session.commit()
    auth.sign_in(owner.email)

    status, page = _download(client, invoice_line)

    assert status == 410
    assert "This order was cancelled, so its reports can no longer be downloaded." in page


def test_the_order_page_opened_by_its_link_counts_each_lines_downloads_left(app, client, two_lines):
    with app.app_context():
        order = _line(two_lines[0]).order
        link = f"/orders/{order.reference}?token={order_token(order)}"

    page = client.get(link).get_data(as_text=True)

    assert "(3 downloads left)" in page and "(1 download left)" in page


# ------------------------------------------------------------------------------------------------
# The limit, line by line


def test_a_limit_of_one_lets_the_first_download_through_and_refuses_the_second(
    app, client, auth, owner, two_lines, clock
):
    _, once = two_lines
    auth.sign_in(owner.email)

    assert _download(client, once)[0] == 200
    status, page = _download(client, once)

    assert status == 403 and "You have reached the download limit" in page
    assert len(_records(app, once)) == 1


def test_downloads_of_another_line_do_not_count_against_this_one(
    app, client, auth, owner, two_lines, clock
):
    thrice, once = two_lines
    auth.sign_in(owner.email)

    for _ in range(3):
        assert _download(client, thrice)[0] == 200
    assert _download(client, thrice)[0] == 403

    assert _download(client, once)[0] == 200
    assert _download(client, once)[0] == 403


def test_an_administrators_downloads_do_not_count_against_the_buyer(
    app, client, auth, owner, two_lines, clock, create_user
):
    _, once = two_lines
    administrator = create_user(is_admin=True)
    auth.sign_in(administrator.email)
    for _ in range(3):
        assert _download(client, once)[0] == 200
    auth.sign_out()

    auth.sign_in(owner.email)
    assert _download(client, once)[0] == 200
    assert _download(client, once)[0] == 403


def test_after_a_reset_the_limit_applies_again_in_full(
    app, client, auth, owner, two_lines, create_user
):
    thrice, _ = two_lines
    auth.sign_in(owner.email)
    for _ in range(3):
        _download(client, thrice)
    assert _download(client, thrice)[0] == 403

    with app.app_context():  # the administrator's reset, after those downloads
        line = _line(thrice)
        reset_download_count(line.order, line.id, create_user(is_admin=True))
        db.session.commit()

    assert [_download(client, thrice)[0] for _ in range(4)] == [200, 200, 200, 403]
    assert len(_records(app, thrice)) == 6


def test_downloads_before_a_reset_no_longer_count_and_later_ones_do(app, ctx, two_lines):
    thrice, _ = two_lines
    line = _line(thrice)
    for ago in (timedelta(hours=3), timedelta(hours=2)):
        db.session.add(Download(order_line_id=line.id, via="link", at=NOW - ago))
    db.session.flush()
    assert services.downloads_used(line) == 2

    services.reset_count(line, when=NOW - timedelta(hours=1))
    assert line.downloads_counted_from == NOW - timedelta(hours=1)
    assert services.downloads_used(line) == 0
    assert not services.used_up(line, services.ACCOUNT)

    db.session.add(Download(order_line_id=line.id, via="link", at=NOW - timedelta(hours=1)))
    db.session.flush()
    assert services.downloads_used(line) == 1


def test_a_reset_without_a_moment_starts_counting_now(ctx, two_lines, clock):
    line = _line(two_lines[0])
    services.reset_count(line)
    assert line.downloads_counted_from == NOW


# ------------------------------------------------------------------------------------------------
# What each download records, and what the copy carries


@pytest.mark.parametrize("who", ["owner", "administrator"])
def test_a_signed_in_download_records_the_account(
    app, client, auth, owner, two_lines, create_user, who
):
    person = owner if who == "owner" else create_user(is_admin=True)
    auth.sign_in(person.email)
    with client.get(
        f"/downloads/{two_lines[0]}",
        headers={"User-Agent": "Reader/2.0"},
        environ_base={"REMOTE_ADDR": "2001:db8::7"},
    ) as response:
        assert response.status_code == 200

    [record] = _records(app, two_lines[0])
    via = "account" if who == "owner" else "admin"
    assert (record.user_id, record.via) == (person.id, via)
    assert (record.ip_address, record.user_agent) == ("2001:db8::7", "Reader/2.0")


def test_the_copy_carries_the_licensee_and_the_day_of_the_order(
    app, client, auth, owner, two_lines
):
    auth.sign_in(owner.email)
    with client.get(f"/downloads/{two_lines[0]}") as response:
        copy = PdfReader(BytesIO(response.data))
    with app.app_context():
        order = db.session.scalar(select(Order).join(OrderLine).where(OrderLine.id == two_lines[0]))
        ordered_on = long_date(london_date(order.created_at))
        reference = order.reference

    expected = (
        f"Licensed to Jo Evans, Eastbridge Borough Council · order {reference} · {ordered_on}"
    )
    assert all(expected in page.extract_text() for page in copy.pages)
    assert copy.metadata["/LicensedTo"] == "Jo Evans, Eastbridge Borough Council"
    assert copy.metadata["/Subject"] == "Licensed to Jo Evans, Eastbridge Borough Council"


def test_the_licence_line_dates_the_order_in_london_and_leaves_out_a_missing_organisation(
    ctx, create_order
):
    order = create_order(buyer=Buyer("sam@example.org", "Sam Patel", ""))
    order.created_at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London

    assert services.licence_line(order.lines[0]) == (
        f"Licensed to Sam Patel · order {order.reference} · 1 July 2026"
    )


@pytest.mark.parametrize("asker", [None, SimpleNamespace(id=1)], ids=["nobody", "no-account"])
def test_someone_without_a_signed_in_account_link_or_order_here_has_no_claim(ctx, two_lines, asker):
    access = services.access(_line(two_lines[0]), asker)
    assert (access.via, access.allowed) == (None, False)
