"""The portal with STORAGE_BACKEND=s3: a subscriber's one-click download of a stamped PDF, by
pre-signed redirect (followed to moto over HTTP) and streamed through the app."""

import urllib.request
from io import BytesIO

import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from portal.catalogue.covers import COVER_WIDTHS, cover_size_key
from portal.catalogue.models import Report
from portal.clock import today_in_london
from portal.demo.sample_pdf import sample_report_pdf
from portal.demo.seed import seed_demo
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import OrderLine
from portal.storage import S3Storage, get_storage
from tests.storage.helpers import BUCKET, use_s3

TODAY = today_in_london()
ACTIVE = (TODAY.replace(year=TODAY.year - 1, month=1, day=1), TODAY.replace(month=12, day=31))


@pytest.fixture
def subscriber(create_organisation, create_user):
    create_organisation(name="Northmere City Council", domain="northmere.gov.uk", subscribed=ACTIVE)
    return create_user(name="Sam Patel", email="sam@northmere.gov.uk")


def _take_free_copy(client, auth, post_form, subscriber, report) -> str:
    """Sign in and press the report page's Download button; the download URL it leads to."""
    auth.sign_in(subscriber.email)
    pressed = post_form(f"/reports/{report.slug}/download", {}, form_page=f"/reports/{report.slug}")
    assert pressed.status_code == 302
    return pressed.headers["Location"]


def _stamped(pdf: bytes) -> bool:
    reader = PdfReader(BytesIO(pdf))
    line = "Licensed to Sam Patel, Example Council · order INS-"
    return len(reader.pages) >= 3 and all(line in page.extract_text() for page in reader.pages)


def _downloads(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Download.id)))


def test_a_download_is_a_redirect_to_a_short_lived_url_on_the_store(
    app, client, auth, post_form, create_report, subscriber, s3_server, monkeypatch, tmp_path
):
    prefix = use_s3(app, monkeypatch, s3_server.endpoint)
    monkeypatch.setitem(app.config, "STORAGE_ROOT", str(tmp_path / "unused"))
    report = create_report(title="Channel shift", with_pdf=True)
    page = client.get(f"/reports/{report.slug}")
    # The Download button's form ends on the store: its origin is an allowed form target.
    form_action = page.headers["Content-Security-Policy"].split("form-action ")[1].split(";")[0]
    assert form_action.split() == ["'self'", app.config["PAYMENT_PAGE_ORIGIN"], s3_server.endpoint]

    url = _take_free_copy(client, auth, post_form, subscriber, report)
    with client.get(url) as redirect:
        assert redirect.status_code == 302
        assert redirect.headers["Cache-Control"] == "no-store"
        presigned = redirect.headers["Location"]
    assert presigned.startswith(f"{s3_server.endpoint}/{BUCKET}/{prefix}/stamped/line-")
    with urllib.request.urlopen(presigned, timeout=30) as reply:
        assert reply.headers["Content-Type"] == "application/pdf"
        assert f'filename="{report.slug}-INS-' in reply.headers["Content-Disposition"]
        assert _stamped(reply.read())
    assert _downloads(app) == 1

    # The stamped copy is kept in the bucket, not on any app server's disk.
    with app.app_context():
        key = db.session.scalar(select(OrderLine.stamped_file_key))
        storage = get_storage()
        assert isinstance(storage, S3Storage) and storage.exists(key)
    assert not (tmp_path / "unused").exists()


def test_a_streamed_download_resumes_and_is_counted_once(
    app, client, auth, post_form, create_report, subscriber, s3_server, monkeypatch
):
    use_s3(app, monkeypatch, s3_server.endpoint, S3_DOWNLOADS="stream")
    report = create_report(title="Channel shift", with_pdf=True)
    assert "127.0.0.1" not in client.get("/").headers["Content-Security-Policy"]
    url = _take_free_copy(client, auth, post_form, subscriber, report)
    with client.get(url) as whole:
        assert whole.status_code == 200 and whole.mimetype == "application/pdf"
        copy = whole.data
        assert int(whole.headers["Content-Length"]) == len(copy)
    assert _stamped(copy)
    with client.get(url, headers={"Range": "bytes=100-199"}) as part:
        assert part.status_code == 206 and part.data == copy[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(copy)}"
    with client.get(url, headers={"Range": f"bytes={len(copy)}-"}) as past_the_end:
        assert past_the_end.status_code == 416
    with client.get(url, headers={"If-None-Match": whole.headers["ETag"]}) as again:
        assert again.status_code == 304
    assert _downloads(app) == 1


def test_an_administrators_uploads_go_to_the_bucket(
    app, client, post_form, auth, create_user, create_report, s3_server, monkeypatch
):
    prefix = use_s3(app, monkeypatch, s3_server.endpoint)
    auth.sign_in(create_user(is_admin=True).email)
    report = create_report()
    pdf = sample_report_pdf("A report", "A series", ["One", "Two"])
    cover = BytesIO()
    Image.new("RGB", (4, 6), "navy").save(cover, "PNG")
    for field, data, name in (("pdf", pdf, "report.pdf"), ("cover", cover.getvalue(), "c.png")):
        uploaded = post_form(
            f"/admin/reports/{report.slug}/{field}",
            {field: (BytesIO(data), name)},
            form_page=f"/admin/reports/{report.slug}",
            content_type="multipart/form-data",
        )
        assert uploaded.status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(Report).where(Report.slug == report.slug))
        keys = (
            stored.pdf_file_key,
            stored.sample_file_key,  # cut from the PDF
            stored.cover_image_key,
            *(cover_size_key(stored.cover_image_key, width) for width in COVER_WIDTHS),
        )
    listed = s3_server.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    assert sorted(o["Key"] for o in listed) == sorted(f"{prefix}/{key}" for key in keys)
    served = client.get(f"/admin/reports/{report.slug}/cover")
    assert served.mimetype == "image/png" and served.data == cover.getvalue()


def test_the_demo_data_can_be_seeded_into_the_bucket(ctx, s3_storage):
    seed_demo(s3_storage, TODAY)
    reports = db.session.scalars(select(Report)).all()
    assert reports and all(s3_storage.exists(r.pdf_file_key) for r in reports)
    with s3_storage.open(reports[0].pdf_file_key) as f:
        assert reports[0].title in PdfReader(f).metadata.title
