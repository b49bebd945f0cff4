"""Your data: the archive of everything held about the signed-in person."""

import csv
import io
import json
import tracemalloc
import zipfile

import pytest
from sqlalchemy import insert, select

from portal.accounts.models import User
from portal.data_rights import export
from portal.documents.models import Document
from portal.extensions import db
from portal.orders.models import Order, OrderState, PaymentMethod
from tests.data_rights.helpers import EMAIL, IP_ADDRESS, USER_AGENT, seed_person

ARCHIVE = "/account/your-data/archive"


@pytest.fixture
def seeded(app, create_user, create_order, create_organisation, create_report):
    return seed_person(app, create_user, create_order, create_organisation, create_report)


def _download(client):
    """The archive's response, read and closed (closing it closes the file it was sent from)."""
    response = client.get(ARCHIVE)
    response.get_data()  # read it all: the response keeps the bytes
    response.close()
    return response


def _csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode("utf-8"))))


def test_the_archive_holds_the_persons_account_orders_documents_and_logs(app, client, auth, seeded):
    auth.sign_in(EMAIL)

    response = _download(client)

    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    account = json.loads(archive.read("account.json"))
    assert account["account"]["email"] == EMAIL
    assert account["organisations"]["manager_of"]
    assert account["organisations"]["subscription_contact_for"][0]["role"] == "Head of policy"
    with app.app_context():
        mine = db.session.scalars(select(Order).where(Order.id.in_(seeded.order_ids))).all()
        other = db.session.get(Order, seeded.other_order_id)
        issued = {
            d.number: d.pdf
            for d in db.session.scalars(
                select(Document).where(Document.order_id.in_(seeded.order_ids))
            )
        }
        references = {o.reference for o in mine}
        other_reference = other.reference
    assert {row["reference"] for row in _csv(archive, "orders.csv")} == references
    assert other_reference not in archive.read("order_lines.csv").decode()
    documents = _csv(archive, "documents.csv")
    assert {row["number"] for row in documents} == set(issued)
    for row in documents:
        assert archive.read(row["file"]) == issued[row["number"]]
    downloads = _csv(archive, "downloads.csv")
    assert (downloads[0]["ip_address"], downloads[0]["user_agent"]) == (IP_ADDRESS, USER_AGENT)
    assert any(row["ip_address"] == IP_ADDRESS for row in _csv(archive, "sign_ins.csv"))
    assert {row["subject"] for row in _csv(archive, "emails.csv")} >= {"Hello Zebedee Quartermaine"}
    assert _csv(archive, "saved_addresses.csv")[0]["line1"] == "17 Larkspur Row"
    assert _csv(archive, "insight_requests.csv")[0]["role"] == "Head of policy"


def test_another_person_gets_only_their_own_archive(app, client, auth, seeded, create_user):
    someone = create_user()
    auth.sign_in(someone.email)

    archive = zipfile.ZipFile(io.BytesIO(_download(client).data))

    assert EMAIL not in b"".join(archive.read(name) for name in archive.namelist()).decode()
    assert _csv(archive, "orders.csv") == []


def _add_orders(user_id: int, count: int) -> None:
    db.session.execute(
        insert(Order),
        [
            {
                "reference": f"INS-2026-{user_id:03d}{n:06d}",
                "user_id": user_id,
                "email": "many@example.gov.uk",
                "name": "Many Orders",
                "organisation_name": "Example Council",
                "state": OrderState.FULFILLED,
                "payment_method": PaymentMethod.CARD,
                "net_pence": 1000,
                "vat_pence": 200,
                "postage_pence": 0,
                "total_pence": 1200,
                "delivery_line1": f"{n} A Long Road Name That Takes Some Room",
            }
            for n in range(count)
        ],
    )


def _peak_memory(user_id: int) -> tuple[int, int]:
    """The archive's size, and the most memory Python held while writing it."""
    user = db.session.get(User, user_id)
    tracemalloc.start()
    try:
        with export.write_archive(export.Subject.person(user)) as archive:
            size = archive.seek(0, io.SEEK_END)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    db.session.expunge_all()
    return size, peak


def test_memory_stays_flat_for_a_person_with_ten_thousand_orders(app, ctx, create_user):
    few, many = create_user(), create_user()
    _add_orders(few.id, 1_000)
    _add_orders(many.id, 10_000)

    few_size, few_peak = _peak_memory(few.id)
    many_size, many_peak = _peak_memory(many.id)

    assert many_size > 5 * few_size  # ten times the orders really went in
    assert many_peak < 2 * few_peak  # but not ten times the memory
