"""Hostile uploads: files renamed to look like what they are not, files over the limit, and
compression bombs in disguise. Never a 500, always a clear message, nothing stored; and checking
an upload never inflates a bomb."""

import functools
import gzip
import io
import random
import tracemalloc
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject

from portal.storage import get_storage
from tests.security.helpers import count_rows, session_csrf

BOMB_INFLATED = 100 * 1024 * 1024  # what the bombs below inflate to
PNG_HEADER = b"\x89PNG\r\n\x1a\n"


@functools.cache
def _deflated_zeros() -> bytes:
    return zlib.compress(b"\0" * BOMB_INFLATED, 9)  # about 100 KB


def _pdf_with_content(data: bytes, declared_length: int | None = None) -> bytes:
    """A one-page PDF whose page content is ``data``, declared as a FlateDecode stream."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    content = StreamObject()
    content._data = data
    content[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    pdf = buffer.getvalue()
    if declared_length is not None:  # a stream that claims to be enormous
        pdf = pdf.replace(f"/Length {len(data)}".encode(), f"/Length {declared_length}".encode(), 1)
    return pdf


def _stored_files(app) -> set:
    with app.app_context():
        return {p for p in get_storage().root.rglob("*") if p.is_file()}


@pytest.fixture
def admin_client(persona_client):
    return persona_client("admin")


def _upload(client, path: str, field: str, data: bytes, filename: str):
    token = session_csrf(client)
    return client.post(
        path,
        data={"csrf_token": token, field: (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


_NOT_A_PDF = {
    "png renamed": PNG_HEADER + b"\0" * 64,
    "zip renamed": b"PK\x03\x04" + b"\0" * 64,
    "html renamed": b"<html><script>alert(1)</script></html>",
    "gzip bomb renamed": gzip.compress(b"\0" * 1024 * 1024),
    "header only": b"%PDF-1.7\n%%EOF",
    "truncated bomb": _pdf_with_content(b"x\x9c" + b"\0" * 100)[:300],
}


@pytest.mark.parametrize("data", _NOT_A_PDF.values(), ids=_NOT_A_PDF.keys())
def test_files_renamed_pdf_are_refused(app, world, admin_client, data):
    before, files = count_rows(app), _stored_files(app)
    response = _upload(admin_client, f"/admin/reports/{world.slug}/pdf", "pdf", data, "r.pdf")
    page = response.get_data(as_text=True)
    assert response.status_code < 500
    assert "There is a problem" in page
    assert count_rows(app) == before and _stored_files(app) == files


def test_an_oversized_pdf_is_refused(app, world, admin_client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_REPORT_PDF_BYTES", 2000)
    files = _stored_files(app)
    data = _pdf_with_content(zlib.compress(random.Random(8).randbytes(5000)))  # incompressible
    response = _upload(admin_client, f"/admin/reports/{world.slug}/pdf", "pdf", data, "r.pdf")
    assert "The PDF must be 2,000 bytes or smaller" in response.get_data(as_text=True)
    assert _stored_files(app) == files


@pytest.mark.parametrize("declared", [None, 10**12], ids=["inflates to 100 MB", "lying length"])
def test_checking_a_pdf_bomb_never_inflates_it(app, world, admin_client, declared):
    """A small file with a PDF header and a stream that inflates to 100 MB: the upload check
    reads the page tree only, so memory stays far below the inflated size."""
    bomb = _pdf_with_content(_deflated_zeros(), declared)
    assert len(bomb) < 1024 * 1024
    tracemalloc.start()
    try:
        response = _upload(admin_client, f"/admin/reports/{world.slug}/pdf", "pdf", bomb, "r.pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code < 500
    assert peak < 20 * 1024 * 1024, f"the check used {peak:,} bytes"


_NOT_AN_IMAGE = {
    "pdf renamed": b"%PDF-1.7\n",
    "truncated png": PNG_HEADER + b"\0\0\0\rIHDR",
    # A PNG header declaring 100,000 x 100,000 pixels: Pillow's bomb check refuses it unread.
    "pixel bomb": PNG_HEADER
    + b"\0\0\0\rIHDR"
    + (100_000).to_bytes(4, "big") * 2
    + b"\x08\x02\0\0\0"
    + zlib.crc32(b"IHDR" + (100_000).to_bytes(4, "big") * 2 + b"\x08\x02\0\0\0").to_bytes(4, "big"),
}


@pytest.mark.parametrize("data", _NOT_AN_IMAGE.values(), ids=_NOT_AN_IMAGE.keys())
def test_cover_images_that_are_not_images_are_refused(app, world, admin_client, data):
    before, files = count_rows(app), _stored_files(app)
    path = f"/admin/reports/{world.slug}/cover"
    response = _upload(admin_client, path, "cover", data, "cover.png")
    assert response.status_code < 500
    assert "There is a problem" in response.get_data(as_text=True)
    assert count_rows(app) == before and _stored_files(app) == files


_NOT_A_CSV = {
    "pdf renamed": b"%PDF-1.7\n" + bytes(range(256)),
    "gzip bomb renamed": gzip.compress(b"a,b,c\n" * 1_000_000),
    "utf-16": "organisation,kind\nLeeds,council\n".encode("utf-16"),
    "nul bytes": b"organisation,kind,domains\nLee\0ds,council,leeds.gov.uk\n",
}


@pytest.mark.parametrize("data", _NOT_A_CSV.values(), ids=_NOT_A_CSV.keys())
def test_subscriber_imports_that_are_not_csv_change_nothing(app, world, admin_client, data):
    before = count_rows(app)
    path = "/admin/organisations/import"
    response = _upload(admin_client, path, "file", data, "subscribers.csv")
    page = response.get_data(as_text=True)
    assert response.status_code < 500
    assert "There is a problem" in page or "problem" in page.lower()
    assert 'name="content"' not in page or 'value=""' in page  # nothing offered to apply
    assert count_rows(app) == before


def test_an_oversized_subscriber_import_is_refused(app, world, admin_client, monkeypatch):
    monkeypatch.setattr("portal.admin.subscribers.MAX_FILE_BYTES", 100)
    monkeypatch.setattr("portal.organisations.subscriber_csv.MAX_FILE_BYTES", 100)
    before = count_rows(app)
    data = b"organisation,kind,domains,start date,end date,member emails\n" + b"x," * 200
    response = _upload(admin_client, "/admin/organisations/import", "file", data, "s.csv")
    assert response.status_code < 500
    assert "The file is larger than" in response.get_data(as_text=True)
    assert count_rows(app) == before
