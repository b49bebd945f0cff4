"""The demo data that ``make run`` loads, and the commands around it."""

from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.accounts.passwords import password_problem
from portal.catalogue.isbn import parse_isbn
from portal.catalogue.models import Report
from portal.demo.seed import SIGN_INS, financial_year_start, seed_demo
from portal.extensions import db
from portal.models import Organisation, User
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
    assert counts == [32, 2, 4]
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
    assert seed_demo(storage, TODAY) == ["sample PDF for transformation-in-practice"]


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
