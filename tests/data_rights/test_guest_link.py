"""A guest asks for their data through a link emailed to their order's address."""

import io
import re
import zipfile

import pytest

from portal.orders.access import order_token
from portal.orders.services import Buyer
from tests.data_rights.helpers import EMAIL

GUEST = "gwen.guest@northmere.gov.uk"


@pytest.fixture
def guest_order(app, create_order):
    order = create_order(buyer=Buyer(GUEST, "Gwen Guest", "Northmere Council"))
    with app.app_context():
        return order.reference, order_token(order)


@pytest.fixture
def emailed_link(client, post_form, outbox, guest_order):
    reference, token = guest_order
    page = f"/orders/{reference}?token={token}"
    assert "Email me a copy of my data" in client.get(page).get_data(as_text=True)

    response = post_form(f"/orders/{reference}/your-data", {"token": token}, form_page=page)

    assert response.status_code == 302
    [message] = [m for m in outbox if m.to == [GUEST]]
    [link] = re.findall(r"https?://\S+/your-data/\S+", message.body)
    return "/" + link.split("/", 3)[3]


def _archive(response) -> zipfile.ZipFile:
    data = response.get_data()
    response.close()
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_link_gives_the_guest_their_orders(client, guest_order, emailed_link):
    response = client.get(emailed_link)

    assert response.status_code == 200
    archive = _archive(response)
    assert guest_order[0] in archive.read("orders.csv").decode()
    assert GUEST in archive.read("account.json").decode()
    assert "sign_ins.csv" not in archive.namelist()  # a guest has no account


def test_someone_signed_in_with_another_address_is_refused(client, auth, create_user, emailed_link):
    auth.sign_in(create_user().email)

    response = client.get(emailed_link)

    assert response.status_code == 403
    assert "works only for the person it was" in response.get_data(as_text=True)


def test_an_expired_link_is_refused(app, client, emailed_link, monkeypatch):
    monkeypatch.setitem(app.config, "GUEST_DATA_LINK_MAX_AGE", -1)

    response = client.get(emailed_link)

    assert response.status_code == 410
    assert "This link has expired" in response.get_data(as_text=True)


def test_a_changed_link_is_refused(client, emailed_link):
    assert client.get(emailed_link[:-2] + "xx").status_code == 400


def test_nobody_can_ask_for_another_guests_data_without_the_order_link(
    client, post_form, outbox, guest_order
):
    reference, _ = guest_order

    response = post_form(f"/orders/{reference}/your-data", {}, form_page="/sign-in")

    assert response.status_code == 404
    assert outbox == []


def test_an_account_holders_order_offers_no_guest_link(
    app, client, auth, create_user, create_order, post_form
):
    user = create_user(email=EMAIL)
    order = create_order(buyer=Buyer(EMAIL, "Zebedee", "", user.id))
    auth.sign_in(EMAIL)

    assert "Email me a copy of my data" not in client.get(f"/orders/{order.reference}").get_data(
        as_text=True
    )
    response = post_form(f"/orders/{order.reference}/your-data", {}, form_page="/account")
    assert response.status_code == 404
