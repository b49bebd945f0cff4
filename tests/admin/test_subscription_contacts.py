"""Subscription contacts, kept on the organisation's page: added with a name, address and role,
removed, an address once per organisation, bad input refused with nothing saved."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.organisations.models import SubscriptionContact

CONTACT = {
    "contact_name": "Robin Hale",
    "contact_email": " Robin.Hale@Westbrook.gov.uk ",
    "contact_role": "Head of ICT",
}


def contacts(app) -> list[tuple[int, str, str, str]]:
    with app.app_context():
        return [
            (c.organisation_id, c.name, c.email, c.role)
            for c in db.session.scalars(select(SubscriptionContact).order_by("id"))
        ]


@pytest.fixture
def organisation(create_organisation):
    return create_organisation(name="Westbrook Fire and Rescue Service")


def test_an_administrator_adds_and_removes_a_contact(app, client, admin, post_form, organisation):
    page_path = f"/admin/organisations/{organisation.id}"

    added = post_form(f"{page_path}/contacts", CONTACT, form_page=page_path)

    assert added.status_code == 302
    assert contacts(app) == [
        (organisation.id, "Robin Hale", "robin.hale@westbrook.gov.uk", "Head of ICT")
    ]
    page = client.get(page_path).get_data(as_text=True)
    assert "Added Robin Hale as a subscription contact." in page
    assert "robin.hale@westbrook.gov.uk" in page
    with app.app_context():
        contact_id = db.session.scalar(select(SubscriptionContact.id))
    removed = post_form(f"{page_path}/contacts/{contact_id}/remove", {}, form_page=page_path)
    assert removed.status_code == 302
    assert contacts(app) == []
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["organisation.add_contact", "organisation.remove_contact"]


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"contact_name": " "}, 400, "Enter the contact&#39;s name"),
        ({"contact_name": "x" * 201}, 400, "Name must be 200 characters or fewer"),
        ({"contact_email": ""}, 400, "Enter the contact&#39;s email address"),
        ({"contact_email": "robin"}, 400, "Enter an email address in the correct format"),
        ({"contact_role": "x" * 201}, 400, "Role must be 200 characters or fewer"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(
    app, client, admin, post_form, organisation, changes, status, message
):
    page_path = f"/admin/organisations/{organisation.id}"
    response = post_form(f"{page_path}/contacts", {**CONTACT, **changes}, form_page=page_path)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert "There is a problem" in page and message in page
    assert contacts(app) == []


def test_an_address_is_a_contact_of_an_organisation_once(
    app, client, admin, post_form, organisation, create_organisation
):
    page_path = f"/admin/organisations/{organisation.id}"
    post_form(f"{page_path}/contacts", CONTACT, form_page=page_path)
    again = post_form(f"{page_path}/contacts", CONTACT, form_page=page_path)
    other = create_organisation()
    elsewhere = post_form(
        f"/admin/organisations/{other.id}/contacts",
        CONTACT,
        form_page=f"/admin/organisations/{other.id}",
    )

    assert again.status_code == 409
    assert "is already a subscription contact of this organisation" in again.get_data(as_text=True)
    assert elsewhere.status_code == 302  # the same person may look after two organisations
    assert [c[0] for c in contacts(app)] == [organisation.id, other.id]


def test_another_organisations_contact_cannot_be_removed_through_this_one(
    app, client, admin, post_form, organisation, create_organisation
):
    other = create_organisation()
    post_form(
        f"/admin/organisations/{other.id}/contacts",
        CONTACT,
        form_page=f"/admin/organisations/{other.id}",
    )
    with app.app_context():
        contact_id = db.session.scalar(select(SubscriptionContact.id))
    page_path = f"/admin/organisations/{organisation.id}"

    response = post_form(f"{page_path}/contacts/{contact_id}/remove", {}, form_page=page_path)

    assert response.status_code == 404
    assert len(contacts(app)) == 1
