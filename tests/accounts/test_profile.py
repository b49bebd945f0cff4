"""Who it is: the account page names the organisation a confirmed address belongs to, and a person
changes their name, organisation and email address (the new address used only once confirmed,
without telling whether another account has it)."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.clock import today_in_london
from portal.extensions import db
from portal.organisations.models import NamedMember
from tests.accounts.helpers import is_signed_out
from tests.helpers import TEST_PASSWORD

TODAY = today_in_london()
THIS_YEAR = (TODAY - timedelta(days=30), TODAY + timedelta(days=300))
NEW = "jo.new@eastbridge.gov.uk"
_CHANGE_LINK = re.compile(r"https?://\S+/account/email/confirm/\S+")


def _organisation_row(page: str) -> str:
    start = page.index("Organisation\n    </dt>")
    return page[start : page.index("</dd>", start)]


@pytest.fixture
def northmere(create_organisation):
    return create_organisation(
        name="Northmere City Council", domain="northmere.gov.uk", subscribed=THIS_YEAR
    )


def test_the_account_page_names_the_organisation_the_domain_matched(
    client, auth, create_user, northmere
):
    person = create_user(email="jo@adults.northmere.gov.uk", organisation_name="")
    auth.sign_in(person.email)

    row = _organisation_row(client.get("/account").get_data(as_text=True))

    assert "Northmere City Council" in row
    assert "Your email address is at one of its domains." in row
    assert "Not given" not in row


def test_the_account_page_names_the_organisation_of_a_named_member(
    app, client, auth, create_user, northmere
):
    person = create_user(email="jo@partner.org.uk", organisation_name="Partner Ltd")
    with app.app_context():
        db.session.add(NamedMember(organisation_id=northmere.id, email=person.email))
        db.session.commit()
    auth.sign_in(person.email)

    row = _organisation_row(client.get("/account").get_data(as_text=True))

    assert "Northmere City Council" in row
    assert "You are a named member." in row
    assert "You gave: Partner Ltd" in row


@pytest.mark.parametrize(
    ("email", "verified", "given", "shown"),
    [
        ("jo@northmere.gov.uk", False, "", "Not given"),  # unconfirmed: no organisation found
        ("jo@elsewhere.org.uk", True, "", "Not given"),
        ("jo@elsewhere.org.uk", True, "Elsewhere Trust", "Elsewhere Trust"),
    ],
)
def test_without_a_confirmed_match_the_page_shows_what_the_person_gave(
    client, auth, create_user, northmere, email, verified, given, shown
):
    person = create_user(email=email, organisation_name=given, verified=verified)
    auth.sign_in(person.email)

    row = _organisation_row(client.get("/account").get_data(as_text=True))

    assert shown in row and "Northmere City Council" not in row


# Name and organisation


def test_a_person_changes_their_name_and_organisation(
    app, client, auth, create_user, post_form, stored_user
):
    person = create_user(name="Jo Evans", organisation_name="Eastbridge Council")
    auth.sign_in(person.email)

    response = post_form(
        "/account/details", {"name": "  Jo Evans-Smith ", "organisation": "Eastbridge BC"}
    )

    assert response.location == "/account"
    stored = stored_user(person.email)
    assert (stored.name, stored.organisation_name) == ("Jo Evans-Smith", "Eastbridge BC")
    with app.app_context():
        entry = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "account.update_details")
        )
        assert entry.after == {"name": "Jo Evans-Smith", "organisation_name": "Eastbridge BC"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   ", "organisation": "X"}, "Enter your full name"),
        ({"name": "x" * 201, "organisation": "X"}, "Full name must be 200 characters or fewer"),
        ({"name": "Jo", "organisation": "x" * 201}, "Organisation must be 200 characters or fewer"),
    ],
)
def test_bad_details_are_refused_and_change_nothing(
    client, auth, create_user, post_form, stored_user, fields, message
):
    person = create_user(name="Jo Evans", organisation_name="Eastbridge Council")
    auth.sign_in(person.email)

    response = post_form("/account/details", fields)

    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    stored = stored_user(person.email)
    assert (stored.name, stored.organisation_name) == ("Jo Evans", "Eastbridge Council")


# Email address


def _change_link(outbox) -> str:
    [link] = _CHANGE_LINK.findall(outbox[-1].body)
    return link


def test_a_new_address_is_used_only_once_its_link_is_followed(
    client, auth, create_user, post_form, stored_user, outbox
):
    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)

    response = post_form("/account/email", {"email": f" {NEW.upper()} ", "password": "x" * 0})
    assert response.status_code == 200 and "Enter your password" in response.get_data(True)

    from tests.helpers import TEST_PASSWORD

    response = post_form("/account/email", {"email": NEW, "password": TEST_PASSWORD})
    assert response.location == "/account"
    page = client.get("/account").get_data(as_text=True)
    assert f"We have sent a link to {NEW}" in page
    assert [m.to for m in outbox] == [[NEW]]
    assert stored_user("jo@eastbridge.gov.uk") is not None, "the old address stays in force"
    assert stored_user(NEW) is None

    followed = client.get(_change_link(outbox))

    assert followed.location == "/account"
    changed = stored_user(NEW)
    assert changed is not None and changed.id == person.id and changed.email_verified
    assert stored_user("jo@eastbridge.gov.uk") is None
    assert outbox[-1].to == ["jo@eastbridge.gov.uk"], "the old address is told"
    assert NEW in outbox[-1].body


def test_the_change_link_works_once(client, auth, create_user, post_form, outbox, stored_user):

    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)
    post_form("/account/email", {"email": NEW, "password": TEST_PASSWORD})
    link = _change_link(outbox)
    client.get(link)

    again = client.get(link)

    assert again.status_code == 400
    assert stored_user(NEW).id == person.id


def test_a_wrong_password_changes_nothing_and_sends_nothing(
    client, auth, create_user, post_form, outbox
):
    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)

    response = post_form("/account/email", {"email": NEW, "password": "not my password"})

    assert response.status_code == 200
    assert "Password is not correct" in response.get_data(as_text=True)
    assert outbox == []


def test_an_address_another_account_has_gets_the_same_answer(
    client, auth, create_user, post_form, outbox, stored_user
):
    """No enumeration: the page reads the same; the other account's owner is told instead."""

    create_user(email="taken@eastbridge.gov.uk", name="Sam Taken")
    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)

    answers = []
    for address in ("taken@eastbridge.gov.uk", "free@eastbridge.gov.uk"):
        post_form("/account/email", {"email": address, "password": TEST_PASSWORD})
        page = client.get("/account").get_data(as_text=True)
        answers.append(page.replace(address, "ADDRESS").count("We have sent a link to ADDRESS"))

    assert answers == [1, 1]
    assert [m.to for m in outbox] == [["taken@eastbridge.gov.uk"], ["free@eastbridge.gov.uk"]]
    assert "/account/email/confirm/" not in outbox[0].body
    assert "already has an account" in outbox[0].body
    assert stored_user("jo@eastbridge.gov.uk") is not None


def test_a_link_fails_when_another_account_took_the_address_meanwhile(
    client, auth, create_user, post_form, outbox, stored_user
):

    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)
    post_form("/account/email", {"email": NEW, "password": TEST_PASSWORD})
    link = _change_link(outbox)
    create_user(email=NEW)

    assert client.get(link).status_code == 400
    assert stored_user("jo@eastbridge.gov.uk").id == person.id


def test_asking_for_ones_own_address_is_pointed_out(client, auth, create_user, post_form, outbox):

    person = create_user(email="jo@eastbridge.gov.uk")
    auth.sign_in(person.email)

    response = post_form(
        "/account/email", {"email": "JO@eastbridge.gov.uk", "password": TEST_PASSWORD}
    )

    assert "That is already your email address" in response.get_data(as_text=True)
    assert outbox == []


def test_the_change_pages_need_sign_in(client):
    assert is_signed_out(client)
    for path in ("/account/details", "/account/email"):
        assert client.get(path).location.startswith("/sign-in")
