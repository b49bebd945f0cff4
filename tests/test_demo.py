"""The demo data that ``make run`` loads, and the commands around it."""

from datetime import date
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import func, select

from portal.accounts.passwords import password_problem
from portal.catalogue.covers import COVER_WIDTHS, cover_size_key
from portal.catalogue.isbn import parse_isbn
from portal.catalogue.models import Report
from portal.demo.sample_pdf import sample_report_pdf
from portal.demo.seed import (
    ENDING_SOON,
    ENDING_SOON_CONTACT,
    SIGN_INS,
    financial_year_start,
    seed_demo,
)
from portal.email.models import OutboxEmail
from portal.extensions import db
from portal.models import Organisation, User
from portal.organisation_accounts.services import free_copies_taken, organisation_orders
from portal.organisations.managers import managed_organisations
from portal.storage import LocalStorage

TODAY = date(2026, 11, 26)


def _counts():
    return [
        db.session.scalar(select(func.count()).select_from(m)) for m in (Report, Organisation, User)
    ]


def test_seed_is_idempotent(ctx, tmp_path):
    storage = LocalStorage(tmp_path)
    first = seed_demo(storage, TODAY)
    counts = _counts()
    second = seed_demo(storage, TODAY)
    assert first and second == []
    assert counts == [32, 3, 5]
    assert _counts() == counts


def test_seed_brings_both_founding_reports_with_both_formats(ctx, tmp_path):
    seed_demo(LocalStorage(tmp_path), TODAY)
    reports = db.session.scalars(
        select(Report).where(Report.series == "Modern public services").order_by(Report.slug)
    ).all()
    founding = [r for r in reports if r.published_on == date(2006, 2, 14)]
    assert [r.title for r in founding] == [
        "Modern public services: challenge of transformation",
        "Modern public services: transformation in practice",
    ]
    for report in founding:
        assert report.is_published
        assert {f.kind.value for f in report.formats} == {"pdf", "print"}
        assert all(f.subscriber_price_pence == 0 and f.price_pence > 0 for f in report.formats)


def test_seed_brings_a_back_catalogue_to_search_and_filter(ctx, tmp_path):
    seed_demo(LocalStorage(tmp_path), TODAY)
    reports = db.session.scalars(select(Report)).all()
    assert len(reports) >= 30
    assert len({r.series for r in reports}) >= 4
    assert len({r.published_on.year for r in reports}) >= 10
    assert len({r.isbn for r in reports}) == len(reports)
    for report in reports:
        assert report.is_published and report.authors and report.topics
        assert parse_isbn(report.isbn) == report.isbn
        assert any(f.kind.value == "pdf" for f in report.formats)


def test_sample_pdfs_are_real_pdfs_with_the_title(ctx, tmp_path):
    storage = LocalStorage(tmp_path)
    seed_demo(storage, TODAY)
    for report in db.session.scalars(select(Report)):
        with storage.open(report.pdf_file_key) as f:
            pdf = PdfReader(BytesIO(f.read()))
        assert len(pdf.pages) >= 3
        assert report.title.split()[0] in pdf.pages[0].extract_text()
        assert pdf.metadata.title == report.title


def test_a_lost_sample_pdf_is_made_again(ctx, tmp_path):
    storage = LocalStorage(tmp_path)
    seed_demo(storage, TODAY)
    (tmp_path / "reports" / "transformation-in-practice.pdf").unlink()
    assert seed_demo(storage, TODAY) == [
        "sample PDF for transformation-in-practice",
        "free sample of transformation-in-practice",
    ]


def test_demo_reports_have_covers_in_every_size_and_a_free_sample(ctx, tmp_path):
    storage = LocalStorage(tmp_path)
    seed_demo(storage, TODAY)
    for report in db.session.scalars(select(Report)):
        with storage.open(report.cover_image_key) as f:
            assert Image.open(f).size == (600, 848)
        for width in COVER_WIDTHS:
            with storage.open(cover_size_key(report.cover_image_key, width)) as f:
                assert Image.open(f).size[0] == width
        with storage.open(report.pdf_file_key) as f:
            whole = f.read()
        assert (report.page_count, report.pdf_size_bytes) == (
            len(PdfReader(BytesIO(whole)).pages),
            len(whole),
        )
        with storage.open(report.sample_file_key) as f:
            sample = PdfReader(BytesIO(f.read()))
        pages = len(sample.pages)
        assert pages == min(5, report.page_count // 2)  # never the whole report
        assert f"Sample: the first {pages} pages of" in sample.pages[-1].extract_text()


def _drawn_lines(page) -> list[tuple[float, str]]:
    """Each piece of text on the page with where it starts (x, in points)."""
    found = []
    page.extract_text(
        visitor_text=lambda text, cm, tm, font, size: text.strip() and found.append((tm[4], text))
    )
    return found


def test_a_long_title_wraps_within_the_page_of_the_demo_pdf():
    title = (
        "Modern public services: a very long title about transformation in practice, "
        "partnerships between councils and the private sector, and what comes next"
    )
    page = PdfReader(BytesIO(sample_report_pdf(title, "Series", ["One"]))).pages[0]
    right_edge = float(page.mediabox.right)
    drawn = [(x, text) for x, text in _drawn_lines(page) if text.strip()]
    # Every word of the title is on the cover, none cut in half, and no line runs off the page.
    words = " ".join(text for _, text in drawn).split()
    assert all(word in words for word in title.split())
    assert len([1 for _, text in drawn if text.strip() and text.strip() in title]) >= 3
    for x, text in drawn:
        assert x + stringWidth(text.strip(), "Helvetica-Bold", 22) <= right_edge


def _drawn_runs(page) -> list[tuple[float, str, str, float]]:
    """Each piece of text on the page: where it starts (x), the text, its font and size."""
    found = []
    page.extract_text(
        visitor_text=lambda text, cm, tm, font, size: (
            text.strip() and found.append((tm[4], text.strip(), font["/BaseFont"], size))
        )
    )
    return found


def test_no_line_of_the_demo_pdf_runs_off_any_page():
    """Contents entries, chapter headings and page footers wrap as the title does."""
    title = "Modern public services: " + "a very long title about transformation " * 3
    contents = ["The three drivers: new ways of operating, customer experience, scarce resources"]
    pdf = PdfReader(BytesIO(sample_report_pdf(title, "A series with a long name " * 4, contents)))
    for page in pdf.pages:
        drawn = _drawn_runs(page)
        assert drawn
        for x, text, font, size in drawn:
            assert x + stringWidth(text, font.lstrip("/"), size) <= float(page.mediabox.right)


@pytest.mark.parametrize(
    ("today", "active_name", "lapsed_name"),
    [
        (date(2026, 11, 26), "Northmere City Council", "Southvale District Council"),
        (date(2027, 2, 1), "Northmere City Council", "Southvale District Council"),
    ],
)
def test_one_subscription_is_active_and_one_lapsed(ctx, tmp_path, today, active_name, lapsed_name):
    seed_demo(LocalStorage(tmp_path), today)
    active = db.session.scalar(select(Organisation).where(Organisation.name == active_name))
    lapsed = db.session.scalar(select(Organisation).where(Organisation.name == lapsed_name))
    assert any(s.is_active_on(today) for s in active.subscriptions)
    assert not any(s.is_active_on(today) for s in lapsed.subscriptions)
    assert lapsed.subscriptions[-1].ends_on < today


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 26), date(2026, 4, 1)),
        (date(2026, 3, 31), date(2025, 4, 1)),
        (date(2026, 4, 1), date(2026, 4, 1)),
    ],
)
def test_financial_year_starts_on_1_april(today, start):
    assert financial_year_start(today) == start


@pytest.mark.parametrize("sign_in", SIGN_INS, ids=lambda s: s.email)
def test_demo_passwords_meet_the_password_rules(sign_in):
    assert password_problem(sign_in.password, 10, [sign_in.email, sign_in.name]) is None


def test_demo_sign_ins_work(app, client, runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    admin = SIGN_INS[0]
    response = client.post(
        "/sign-in",
        data={"email": admin.email, "password": admin.password, "csrf_token": _token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == admin.email))
        assert user.is_admin and user.email_verified


def _token(client):
    from tests.helpers import csrf_token

    return csrf_token(client)


def test_demo_sign_ins_command_lists_every_sign_in(runner):
    output = runner.invoke(args=["demo-sign-ins"]).output
    for sign_in in SIGN_INS:
        assert f"{sign_in.email} / {sign_in.password}" in output


def test_the_demo_contact_is_reminded_once_by_send_reminders(app, runner, tmp_path):
    today = date(2026, 12, 4)
    with app.app_context():
        seed_demo(LocalStorage(tmp_path), today)
        db.session.commit()

    first = runner.invoke(args=["send-reminders", "--today", today.isoformat()])
    again = runner.invoke(args=["send-reminders", "--today", today.isoformat()])

    name, email, _ = ENDING_SOON_CONTACT
    assert first.exit_code == 0, first.output
    assert f"{ENDING_SOON} (ends 25/12/2026, 30 days before it ends: 1 contact(s))" in first.output
    assert "Subscription reminders sent for 0 period(s)." in again.output
    with app.app_context():
        sent = db.session.scalars(select(OutboxEmail).where(OutboxEmail.to_address == email))
        [reminder] = sent.all()
    assert reminder.subject == f"Your Insight subscription ({ENDING_SOON}) ends on 25 December 2026"
    assert f"Dear {name}" in reminder.body_text


def test_the_demo_manager_sees_a_colleagues_orders_and_the_free_copies_taken(ctx, tmp_path):
    seed_demo(LocalStorage(tmp_path), TODAY)
    manager = db.session.scalar(select(User).where(User.email == "morgan.reid@northmere.gov.uk"))

    [organisation] = managed_organisations(manager)

    assert organisation.name == "Northmere City Council"
    orders = organisation_orders(organisation)
    assert [o.email for o in orders] == ["sam.patel@northmere.gov.uk"] * 2
    assert sorted(o.state.value for o in orders) == ["awaiting_invoice_payment", "paid"]
    taken = sorted((t.report_title, t.name, t.copies) for t in free_copies_taken(organisation))
    assert taken == [
        ("Modern public services: challenge of transformation", "Sam Patel", 1),
        ("Modern public services: transformation in practice", "Sam Patel", 1),
    ]
