"""The outbox page, /admin/emails: administrators see every email, newest first, and the stuck."""

import re
from datetime import timedelta

import pytest

from portal.clock import utcnow
from portal.email.models import OutboxStatus

URL = "/admin/emails"


def _subjects(response) -> list[str]:
    return re.findall(r"Email number \d+", response.get_data(as_text=True))


def test_a_guest_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


def test_someone_who_is_not_an_administrator_is_refused(client, create_user, auth):
    auth.sign_in(create_user().email)
    assert client.get(URL).status_code == 403


def test_administrators_see_emails_newest_first_and_how_many_are_stuck(
    client, admin, create_outbox_email
):
    now = utcnow()
    create_outbox_email(created_at=now - timedelta(hours=3), status=OutboxStatus.SENT, attempts=1)
    create_outbox_email(
        created_at=now - timedelta(hours=2),
        attempts=2,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
    )
    create_outbox_email(created_at=now - timedelta(hours=1), status=OutboxStatus.GIVEN_UP)
    create_outbox_email(created_at=now)  # new, not failed yet

    response = client.get(URL)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _subjects(response) == [f"Email number {n}" for n in (4, 3, 2, 1)]
    assert "2 emails have failed to send" in page
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in page
    assert 'govuk-tag govuk-tag--red">Given up' in page
    assert "reader1@example.gov.uk" in page
    assert "password_changed" in page


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("queued", ["Email number 1"]),
        ("sending", ["Email number 2"]),
        ("sent", ["Email number 3"]),
        ("given_up", ["Email number 4"]),
        ("held", ["Email number 5"]),
        ("", [f"Email number {n}" for n in (5, 4, 3, 2, 1)]),
        ("nonsense", [f"Email number {n}" for n in (5, 4, 3, 2, 1)]),
    ],
)
def test_emails_can_be_filtered_by_status(client, admin, create_outbox_email, status, expected):
    now = utcnow()
    for n, state in enumerate(OutboxStatus):
        create_outbox_email(created_at=now + timedelta(minutes=n), status=state)
    response = client.get(URL, query_string={"status": status})
    assert response.status_code == 200
    assert _subjects(response) == expected


def test_fifty_emails_to_a_page(client, admin, create_outbox_email):
    now = utcnow()
    for n in range(51):
        create_outbox_email(created_at=now + timedelta(seconds=n))
    first = client.get(URL)
    assert len(_subjects(first)) == 50
    assert "Email number 51" in _subjects(first)
    assert f"{URL}?page=2" in first.get_data(as_text=True)
    assert _subjects(client.get(URL, query_string={"page": 2})) == ["Email number 1"]


@pytest.mark.parametrize(
    "page", ["0", "-3", "abc", "1.5", "", "9" * 40, "1e3", "\N{FULLWIDTH DIGIT TWO}"]
)
def test_a_bad_page_shows_a_page_rather_than_an_error(client, admin, create_outbox_email, page):
    create_outbox_email()
    response = client.get(f"{URL}?page={page}")
    assert response.status_code == 200
    assert _subjects(response) == ["Email number 1"]
