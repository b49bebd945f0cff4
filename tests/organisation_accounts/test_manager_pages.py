"""What an organisation manager sees and keeps, and what nobody else can reach."""

import pytest
from sqlalchemy import select

from portal.accounts.models import User
from portal.extensions import db
from portal.organisations.models import NamedMember, OrganisationManager


def _page(council) -> str:
    return f"/organisation/{council.organisation_id}"


def _managers(app, organisation_id: int) -> list[str]:
    with app.app_context():
        return sorted(
            db.session.scalars(
                select(User.email)
                .join(OrganisationManager, OrganisationManager.user_id == User.id)
                .where(OrganisationManager.organisation_id == organisation_id)
            )
        )


def test_the_manager_sees_colleagues_orders_and_who_used_the_free_copy(client, auth, council):
    auth.sign_in(council.manager.email)

    page = client.get(_page(council)).get_data(as_text=True)

    assert "Northmere City Council" in page and "Active until" in page
    orders = page[page.index('id="orders"') : page.index('id="people"')]
    assert council.free_copy_order in orders and council.invoice_order in orders
    assert "Cat Colleague" in orders and "1 \u00d7 Transformation in practice" in orders
    assert council.other_order not in page, "another organisation's order is not listed"
    free = page[page.index('id="free-copies"') : page.index('id="orders"')]
    assert "Transformation in practice" in free and "Cat Colleague" in free
    assert council.free_copy_order in free
    assert "1 of 1 free copy used" in free
    people = page[page.index('id="people"') : page.index('id="members"')]
    assert "cat@adults.northmere.gov.uk" in people and "oz@westbridge.gov.uk" not in people


def test_the_account_page_leads_the_manager_to_the_organisation(client, auth, council):
    auth.sign_in(council.manager.email)

    page = client.get("/account").get_data(as_text=True)

    assert "Organisations you manage" in page and f'href="{_page(council)}"' in page


def test_the_manager_downloads_a_colleagues_invoice(client, auth, council):
    auth.sign_in(council.manager.email)
    path = f"{_page(council)}/orders/{council.invoice_order}/documents/{council.invoice_number}.pdf"

    response = client.get(path)

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize(
    "path",
    [
        "/organisation/{org}/orders/{other_order}/documents/{other_invoice}.pdf",
        "/organisation/{org}/orders/{other_order}/documents/{invoice}.pdf",
        "/organisation/{org}/orders/{order}/documents/{other_invoice}.pdf",
        "/organisation/{other_org}",
        "/orders/{order}",
    ],
)
def test_another_organisations_orders_and_pages_are_not_found(client, auth, council, path):
    auth.sign_in(council.manager.email)
    url = path.format(
        org=council.organisation_id,
        other_org=council.other_organisation_id,
        order=council.invoice_order,
        other_order=council.other_order,
        invoice=council.invoice_number,
        other_invoice=council.other_invoice_number,
    )

    assert client.get(url).status_code == 404


def test_a_colleague_who_is_not_a_manager_gets_not_found(client, auth, council):
    auth.sign_in(council.colleague.email)

    assert client.get(_page(council)).status_code == 404
    assert "Organisations you manage" not in client.get("/account").get_data(as_text=True)


def test_a_manager_who_moved_address_stops_being_one(app, client, auth, council):
    with app.app_context():
        user = db.session.get(User, council.manager.id)
        user.email = "mo@elsewhere.org.uk"
        db.session.commit()
    auth.sign_in("mo@elsewhere.org.uk")

    assert client.get(_page(council)).status_code == 404


# Appointing and removing managers


def test_a_manager_appoints_a_colleague(app, client, auth, post_form, council):
    auth.sign_in(council.manager.email)

    response = post_form(
        f"{_page(council)}/managers",
        {"manager_email": " CAT@adults.northmere.gov.uk "},
        form_page=_page(council),
    )

    assert response.status_code == 302
    assert _managers(app, council.organisation_id) == [
        "cat@adults.northmere.gov.uk",
        "mo@northmere.gov.uk",
    ]


@pytest.mark.parametrize(
    "email",
    [
        "oz@westbridge.gov.uk",  # a person of another organisation
        "nobody@northmere.gov.uk",  # no account
        "unconfirmed@northmere.gov.uk",  # an address not confirmed
    ],
)
def test_only_a_confirmed_person_of_the_organisation_can_be_appointed(
    app, client, auth, post_form, create_user, council, email
):
    create_user(email="unconfirmed@northmere.gov.uk", verified=False)
    auth.sign_in(council.manager.email)

    response = post_form(
        f"{_page(council)}/managers", {"manager_email": email}, form_page=_page(council)
    )

    assert response.status_code == 422
    assert (
        "Only someone with an account and a confirmed email address of Northmere City Council"
        in response.get_data(as_text=True)
    )
    assert _managers(app, council.organisation_id) == ["mo@northmere.gov.uk"]


def _appointment(app, organisation_id: int, email: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(OrganisationManager.id)
            .join(User, User.id == OrganisationManager.user_id)
            .where(OrganisationManager.organisation_id == organisation_id, User.email == email)
        )


def test_the_last_manager_cannot_remove_themselves(app, client, auth, post_form, council):
    auth.sign_in(council.manager.email)
    mine = _appointment(app, council.organisation_id, council.manager.email)

    response = post_form(f"{_page(council)}/managers/{mine}/remove", {}, form_page=_page(council))

    assert response.status_code == 422
    assert "only a Socitm administrator can remove the last one" in response.get_data(True)
    assert _managers(app, council.organisation_id) == ["mo@northmere.gov.uk"]


def test_a_manager_removes_another_manager(app, client, auth, post_form, council):
    with app.app_context():
        db.session.add(
            OrganisationManager(
                organisation_id=council.organisation_id, user_id=council.colleague.id
            )
        )
        db.session.commit()
    auth.sign_in(council.manager.email)
    theirs = _appointment(app, council.organisation_id, council.colleague.email)

    response = post_form(f"{_page(council)}/managers/{theirs}/remove", {}, form_page=_page(council))

    assert response.status_code == 302
    assert _managers(app, council.organisation_id) == ["mo@northmere.gov.uk"]


def test_an_administrator_appoints_and_removes_the_last_manager(
    app, client, admin, post_form, council
):
    admin_page = f"/admin/organisations/{council.organisation_id}"
    post_form(
        f"{admin_page}/managers",
        {"manager_email": council.colleague.email},
        form_page=admin_page,
    )
    assert _managers(app, council.organisation_id) == [
        "cat@adults.northmere.gov.uk",
        "mo@northmere.gov.uk",
    ]
    for email in ("cat@adults.northmere.gov.uk", "mo@northmere.gov.uk"):
        appointment = _appointment(app, council.organisation_id, email)
        response = post_form(
            f"{admin_page}/managers/{appointment}/remove", {}, form_page=admin_page
        )
        assert response.status_code == 302
    assert _managers(app, council.organisation_id) == []


def test_an_administrator_cannot_appoint_a_person_of_another_organisation(
    app, client, admin, post_form, council
):
    admin_page = f"/admin/organisations/{council.organisation_id}"

    response = post_form(
        f"{admin_page}/managers", {"manager_email": "oz@westbridge.gov.uk"}, form_page=admin_page
    )

    assert "Only someone with an account and a confirmed email address" in response.get_data(True)
    assert _managers(app, council.organisation_id) == ["mo@northmere.gov.uk"]


# Named members


def _members(app, organisation_id: int) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(NamedMember.email).where(NamedMember.organisation_id == organisation_id)
            )
        )


def test_a_manager_adds_and_removes_a_named_member(app, client, auth, post_form, council):
    auth.sign_in(council.manager.email)

    post_form(
        f"{_page(council)}/members",
        {"member_email": "Partner@Consultancy.example"},
        form_page=_page(council),
    )
    assert _members(app, council.organisation_id) == ["partner@consultancy.example"]
    with app.app_context():
        member_id = db.session.scalar(select(NamedMember.id))

    post_form(f"{_page(council)}/members/{member_id}/remove", {}, form_page=_page(council))

    assert _members(app, council.organisation_id) == []


def test_a_manager_cannot_remove_another_organisations_member(
    app, client, auth, post_form, council
):
    with app.app_context():
        theirs = NamedMember(organisation_id=council.other_organisation_id, email="x@y.example")
        db.session.add(theirs)
        db.session.commit()
        member_id = theirs.id
    auth.sign_in(council.manager.email)

    response = post_form(
        f"{_page(council)}/members/{member_id}/remove", {}, form_page=_page(council)
    )

    assert response.status_code == 404
    assert _members(app, council.other_organisation_id) == ["x@y.example"]


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not an address", "Enter an email address in the correct format"),
        ("", "Enter the email address of the member"),
    ],
)
def test_a_bad_member_address_is_refused(app, client, auth, post_form, council, email, message):
    auth.sign_in(council.manager.email)

    response = post_form(
        f"{_page(council)}/members", {"member_email": email}, form_page=_page(council)
    )

    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert _members(app, council.organisation_id) == []
