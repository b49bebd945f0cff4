"""Who may download a line's PDF, what they get (a stamped copy, once), and the limits."""

from io import BytesIO

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.downloads.models import Download
from portal.extensions import db
from portal.orders.models import OrderLine, OrderState
from portal.storage import get_storage


def _set(app, paid_line, **changes):
    with app.app_context():
        line = db.session.get(OrderLine, paid_line["line"])
        for name, value in changes.pop("order", {}).items():
            setattr(line.order, name, value)
        for name, value in changes.items():
            setattr(line, name, value)
        db.session.commit()


def _downloads(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Download.id)))


def _url(paid_line, token=None):
    return f"/downloads/{paid_line['line']}" + (f"?token={token}" if token else "")


@pytest.mark.parametrize(
    ("who", "token", "status"),
    [
        ("owner", None, 200),
        ("other", None, 404),
        ("guest", "valid", 200),
        ("guest", "tampered", 404),
        ("guest", None, 302),  # to sign in
        ("admin", None, 200),
        ("other", "valid", 200),  # the link opens the order for whoever holds it
    ],
)
def test_access_matrix(app, client, auth, paid_line, create_user, who, token, status):
    if who == "owner":
        auth.sign_in(paid_line["owner"].email)
    elif who == "other":
        auth.sign_in(create_user().email)
    elif who == "admin":
        auth.sign_in(create_user(is_admin=True).email)
    value = {"valid": paid_line["token"], "tampered": paid_line["token"][:-3] + "abc"}.get(token)
    with client.get(_url(paid_line, value)) as response:
        assert response.status_code == status
        if status == 200:
            assert response.mimetype == "application/pdf"
            assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"refunded_at": utcnow()}, 410, "This report was refunded"),
        ({"order": {"state": OrderState.CANCELLED}}, 410, "This order was cancelled"),
        ({"order": {"state": OrderState.PENDING_PAYMENT}}, 410, "once your payment is confirmed"),
    ],
)
def test_refunded_and_cancelled_lines_lose_access_at_once(
    app, client, auth, paid_line, change, status, message
):
    auth.sign_in(paid_line["owner"].email)
    _set(app, paid_line, **change)
    response = client.get(_url(paid_line))
    assert response.status_code == status and message in response.get_data(as_text=True)
    assert _downloads(app) == 0


def test_every_page_of_the_copy_is_stamped_and_the_copy_is_kept(app, client, auth, paid_line):
    auth.sign_in(paid_line["owner"].email)
    with client.get(_url(paid_line)) as first:
        copy = first.data
        assert "Channel-shift" not in first.headers["Content-Disposition"]
        assert paid_line["reference"] in first.headers["Content-Disposition"]
        assert int(first.headers["Content-Length"]) == len(copy)
    reader = PdfReader(BytesIO(copy))
    stamp = f"Licensed to Jo Evans, Eastbridge Borough Council · order {paid_line['reference']}"
    assert len(reader.pages) >= 3
    assert all(stamp in page.extract_text() for page in reader.pages)
    assert "Jo Evans" in str(reader.metadata)
    with app.app_context():
        key = db.session.get(OrderLine, paid_line["line"]).stamped_file_key
    assert key == f"stamped/line-{paid_line['line']}.pdf"
    with client.get(_url(paid_line)) as second:
        assert second.data == copy  # the kept copy, not stamped again
    assert _downloads(app) == 2


@pytest.fixture
def untitled_file(app, paid_line):
    """The file of ``paid_line``'s report replaced by a PDF that has no /Title of its own."""
    pdf = BytesIO()
    canvas = Canvas(pdf, invariant=True)
    canvas.setTitle("")  # left unset, ReportLab would call it "untitled"
    canvas.drawString(72, 400, "The report's only page")
    canvas.showPage()
    canvas.save()
    with app.app_context():
        report = db.session.get(OrderLine, paid_line["line"]).report_format.report
        get_storage().save(report.pdf_file_key, pdf.getvalue())


def test_a_copy_of_a_file_without_a_title_takes_the_reports_title(
    client, auth, paid_line, untitled_file
):
    """The copy is titled as the catalogue names the report, so a reader shows its name."""
    auth.sign_in(paid_line["owner"].email)

    with client.get(_url(paid_line)) as response:
        copy = PdfReader(BytesIO(response.data))

    assert response.status_code == 200
    assert copy.metadata.title == "Channel shift"


def test_a_resumed_download_gets_the_right_bytes_and_is_not_counted_twice(
    app, client, auth, paid_line
):
    auth.sign_in(paid_line["owner"].email)
    with client.get(_url(paid_line)) as whole:
        copy = whole.data
    with client.get(_url(paid_line), headers={"Range": "bytes=100-199"}) as part:
        assert part.status_code == 206
        assert part.data == copy[100:200]
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(copy)}"
    with client.get(_url(paid_line), headers={"If-None-Match": whole.headers["ETag"]}) as again:
        assert again.status_code == 304
    assert _downloads(app) == 1


def test_downloads_are_recorded_with_who_and_where(app, client, paid_line):
    client.get(
        _url(paid_line, paid_line["token"]),
        headers={"User-Agent": "Browser/1.0"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    ).close()
    with app.app_context():
        record = db.session.scalar(select(Download))
    assert (record.via, record.user_id) == ("link", None)
    assert (record.ip_address, record.user_agent) == ("198.51.100.7", "Browser/1.0")


def test_past_the_limit_a_clear_page_and_an_administrator_can_reset(app, client, auth, paid_line):
    auth.sign_in(paid_line["owner"].email)
    with app.app_context():
        line = db.session.get(OrderLine, paid_line["line"])
        line.report_format.download_limit = 2
        db.session.commit()
    for _ in range(2):
        client.get(_url(paid_line)).close()
    refused = client.get(_url(paid_line))
    assert refused.status_code == 403
    assert "You have reached the download limit" in refused.get_data(as_text=True)
    from portal.downloads.services import reset_count

    with app.app_context():
        reset_count(db.session.get(OrderLine, paid_line["line"]))
        db.session.commit()
    with client.get(_url(paid_line)) as allowed:
        assert allowed.status_code == 200


def test_a_missing_file_gets_a_clear_page(app, client, auth, paid_line, caplog):
    auth.sign_in(paid_line["owner"].email)
    with app.app_context():
        db.session.get(OrderLine, paid_line["line"]).report_format.report.pdf_file_key = None
        db.session.commit()
    response = client.get(_url(paid_line))
    assert response.status_code == 404
    assert "cannot be downloaded at the moment" in response.get_data(as_text=True)
    assert "has no file" in caplog.text
    assert _downloads(app) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/downloads/999999",
        "/downloads/-1",
        "/downloads/..%2f..%2fetc%2fpasswd",
        "/downloads/1%00",
        "/downloads/1?token=" + "x" * 5000,
    ],
)
def test_unknown_ids_and_path_tricks_are_not_found(client, auth, create_user, path):
    auth.sign_in(create_user().email)
    assert client.get(path).status_code in (400, 404)


def test_an_expired_link_offers_a_new_one_sent_to_the_order_address(
    app, client, paid_line, monkeypatch, outbox
):
    monkeypatch.setitem(app.config, "DOWNLOAD_LINK_MAX_AGE", -1)
    response = client.get(_url(paid_line, paid_line["token"]))
    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)
    page = client.get(f"/orders/{paid_line['reference']}?token={paid_line['token']}")
    assert page.status_code == 410
    from tests.helpers import csrf_token

    sent = client.post(
        f"/orders/{paid_line['reference']}/send-link",
        data={"csrf_token": csrf_token(client, "/sign-in"), "token": paid_line["token"]},
    )
    assert sent.status_code == 200
    [email] = outbox
    assert email.to == [paid_line["owner"].email]
    assert "token=" in email.body


def test_a_stranger_cannot_have_links_sent(app, client, paid_line, outbox):
    from tests.helpers import csrf_token

    response = client.post(
        f"/orders/{paid_line['reference']}/send-link",
        data={"csrf_token": csrf_token(client, "/sign-in"), "token": "forged"},
    )
    assert response.status_code == 404 and outbox == []


def test_the_order_page_says_how_many_downloads_are_left(client, auth, paid_line):
    auth.sign_in(paid_line["owner"].email)
    client.get(_url(paid_line)).close()
    page = client.get(f"/orders/{paid_line['reference']}").get_data(as_text=True)
    assert "9 downloads left" in page
