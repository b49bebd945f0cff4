"""Administration of subscribers: organisations, domains, subscriptions, named members, the CSV
import (preview, then apply) and export, and who is an administrator."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.audit.models import AuditEntry
from portal.clock import today_in_london
from portal.extensions import db
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
    OrganisationKind,
)
from tests.helpers import csrf_token
from tests.organisations.helpers import row_counts, subscribers_csv

TODAY = today_in_london()
THIS_YEAR = (TODAY - timedelta(days=30), TODAY + timedelta(days=300))
LAST_YEAR = (date(2020, 4, 1), date(2021, 3, 31))


@pytest.fixture
def leeds(create_organisation):
    return create_organisation(
        name="Leeds City Council", domain="leeds.gov.uk", subscribed=THIS_YEAR
    )


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _audit_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return row_counts()


def _org(app, organisation_id: int) -> Organisation:
    with app.app_context():
        organisation = db.session.get(Organisation, organisation_id)
        organisation.domains, organisation.subscriptions, organisation.members  # noqa: B018
        return organisation


def _add_member(app, organisation_id: int, email: str) -> int:
    with app.app_context():
        member = NamedMember(organisation_id=organisation_id, email=email)
        db.session.add(member)
        db.session.commit()
        return member.id


def _page(org_id: int) -> str:
    return f"/admin/organisations/{org_id}"


# Access: every route, for a guest and for a signed-in non-administrator

ROUTES = [
    ("GET", "/admin/organisations"),
    ("GET", "/admin/organisations/new"),
    ("POST", "/admin/organisations/new"),
    ("GET", "/admin/organisations/1"),
    ("POST", "/admin/organisations/1/details"),
    ("POST", "/admin/organisations/1/domains"),
    ("POST", "/admin/organisations/1/domains/1/remove"),
    ("POST", "/admin/organisations/1/subscriptions"),
    ("GET", "/admin/organisations/1/subscriptions/1"),
    ("POST", "/admin/organisations/1/subscriptions/1"),
    ("POST", "/admin/organisations/1/members"),
    ("POST", "/admin/organisations/1/members/1/remove"),
    ("GET", "/admin/organisations/import"),
    ("POST", "/admin/organisations/import"),
    ("POST", "/admin/organisations/import/apply"),
    ("GET", "/admin/organisations/export.csv"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users/1/make-admin"),
    ("POST", "/admin/users/1/remove-admin"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("who", ["guest", "customer"])
def test_only_administrators_reach_subscriber_pages(
    app, client, auth, create_user, leeds, method, path, who
):
    if who == "customer":
        auth.sign_in(create_user().email)
    before = (_counts(app), _audit_count(app))
    if method == "GET":
        response = client.get(path)
    else:
        token = csrf_token(client, "/" if who == "customer" else "/sign-in")
        data = {"csrf_token": token, "name": "X", "kind": "council", "domain": "x.gov.uk"}
        response = client.post(path, data=data)
    if who == "guest":
        assert response.status_code == 302
        assert "/sign-in" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert (_counts(app), _audit_count(app)) == before


# The list


def test_the_list_shows_kind_domains_status_and_members(
    app, client, admin, leeds, create_organisation
):
    create_organisation(name="Old Borough", domain="old.gov.uk", subscribed=LAST_YEAR)
    create_organisation(name="Never Council", domain="never.gov.uk")
    _add_member(app, leeds.id, "ann@partner.org.uk")

    page = client.get("/admin/organisations").get_data(as_text=True)

    assert f"Active until {THIS_YEAR[1].day} {THIS_YEAR[1]:%B %Y}" in page
    assert "Lapsed on 31 March 2021" in page
    assert "leeds.gov.uk" in page and "Never Council" in page
    assert ">None</strong>" in page
    assert 'class="govuk-table__cell govuk-table__cell--numeric">1<' in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("leeds", "Leeds City Council", "Old Borough"),
        ("OLD.gov", "Old Borough", "Leeds City Council"),
        ("100%", None, "Leeds City Council"),
    ],
)
def test_the_list_searches_names_and_domains(
    client, admin, leeds, create_organisation, query, shown, hidden
):
    create_organisation(name="Old Borough", domain="old.gov.uk")
    page = client.get("/admin/organisations", query_string={"q": query}).get_data(as_text=True)
    if shown:
        assert shown in page
    assert hidden not in page


def test_a_bad_page_number_falls_back(client, admin, leeds):
    assert client.get("/admin/organisations?page=-3x").status_code == 200


# Creating and editing an organisation


def test_an_administrator_adds_an_organisation(app, client, admin, post_form):
    response = post_form(
        "/admin/organisations/new", {"name": "  York   Council ", "kind": "council"}
    )

    assert response.status_code == 302
    with app.app_context():
        organisation = db.session.scalar(select(Organisation))
        assert organisation.name == "York Council"
        assert organisation.kind is OrganisationKind.COUNCIL
    [entry] = _audit(app, "organisation.create")
    assert entry.after == {"name": "York Council", "kind": "council"}
    assert entry.actor_email == admin.email


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "council"}, "Enter the name of the organisation"),
        ({"name": "LEEDS  city council", "kind": "council"}, "There is already an organisation"),
        ({"name": "Somewhere", "kind": "parish"}, "Not a valid choice"),
    ],
)
def test_a_bad_new_organisation_is_refused(app, client, admin, leeds, post_form, data, message):
    before = _counts(app)
    response = post_form("/admin/organisations/new", data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _counts(app) == before
    assert _audit(app, "organisation.create") == []


def test_an_administrator_renames_and_changes_the_kind(app, client, admin, leeds, post_form):
    path = f"{_page(leeds.id)}/details"
    response = post_form(path, {"name": "Leeds CC", "kind": "housing"}, form_page=_page(leeds.id))
    assert response.status_code == 302
    assert _org(app, leeds.id).kind is OrganisationKind.HOUSING
    [entry] = _audit(app, "organisation.update")
    assert entry.before == {"name": "Leeds City Council", "kind": "council"}
    assert entry.after == {"name": "Leeds CC", "kind": "housing"}


def test_a_rename_onto_another_name_is_refused(
    app, client, admin, leeds, create_organisation, post_form
):
    other = create_organisation(name="York Council")
    response = post_form(
        f"{_page(other.id)}/details",
        {"name": "leeds city council", "kind": "council"},
        form_page=_page(other.id),
    )
    assert "There is already an organisation called Leeds City Council" in response.get_data(
        as_text=True
    )
    assert _org(app, other.id).name == "York Council"
    assert _audit(app, "organisation.update") == []


def test_an_unknown_organisation_is_not_found(client, admin):
    assert client.get("/admin/organisations/999999").status_code == 404


# Domains


def test_an_administrator_adds_a_domain(app, client, admin, leeds, post_form):
    response = post_form(
        f"{_page(leeds.id)}/domains",
        {"domain": " @Adults.LEEDS.gov.uk. "},
        form_page=_page(leeds.id),
    )
    assert response.status_code == 302
    assert [d.domain for d in _org(app, leeds.id).domains] == [
        "adults.leeds.gov.uk",
        "leeds.gov.uk",
    ]
    [entry] = _audit(app, "organisation.add_domain")
    assert entry.target_id == str(leeds.id) and entry.after == {"domain": "adults.leeds.gov.uk"}


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("leeds", "Enter an email domain like leeds.gov.uk"),
        ("*.gov.uk", "Enter an email domain like leeds.gov.uk"),
        ("a..gov.uk", "Enter an email domain like leeds.gov.uk"),
        ("", "Enter an email domain like leeds.gov.uk"),
        ("york.gov.uk", "The domain york.gov.uk is already registered to York Council"),
        ("LEEDS.gov.uk", "The domain leeds.gov.uk is already registered to this organisation"),
        ("gov.uk", "gov.uk is a public suffix shared by many organisations"),
        ("co.uk", "co.uk is a public suffix shared by many organisations"),
        ("gmail.com", "gmail.com is a free email provider"),
        ("outlook.com", "outlook.com is a free email provider"),
        ("nhs.net", "nhs.net is a public-sector domain shared by many organisations"),
    ],
)
def test_a_bad_taken_or_shared_domain_is_refused(
    app,
    client,
    admin,
    leeds,
    create_organisation,
    post_form,
    public_sector_domains,
    domain,
    message,
):
    create_organisation(name="York Council", domain="york.gov.uk")
    before = _counts(app)
    response = post_form(
        f"{_page(leeds.id)}/domains", {"domain": domain}, form_page=_page(leeds.id)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "govuk-error-summary" in page and f'value="{domain.strip()}"' in page
    assert _counts(app) == before
    assert _audit(app, "organisation.add_domain") == []


def test_an_administrator_removes_a_domain(app, client, admin, leeds, post_form):
    domain_id = _org(app, leeds.id).domains[0].id
    response = post_form(
        f"{_page(leeds.id)}/domains/{domain_id}/remove", {}, form_page=_page(leeds.id)
    )
    assert response.status_code == 302
    assert _org(app, leeds.id).domains == []
    [entry] = _audit(app, "organisation.remove_domain")
    assert entry.before == {"domain": "leeds.gov.uk"}


def test_another_organisations_domain_cannot_be_removed_through_this_one(
    app, client, admin, leeds, create_organisation, post_form
):
    york = create_organisation(name="York Council", domain="york.gov.uk")
    york_domain = _org(app, york.id).domains[0].id
    response = post_form(
        f"{_page(leeds.id)}/domains/{york_domain}/remove", {}, form_page=_page(leeds.id)
    )
    assert response.status_code == 404
    assert len(_org(app, york.id).domains) == 1


# Subscriptions


def _dates(starts: date, ends: date) -> dict:
    return {
        "starts_on": [str(starts.day), str(starts.month), str(starts.year)],
        "ends_on": [str(ends.day), str(ends.month), str(ends.year)],
    }


def test_an_administrator_adds_a_subscription(app, client, admin, leeds, post_form):
    data = {**_dates(date(2030, 4, 1), date(2031, 3, 31)), "notes": "Renewed by Jo"}
    response = post_form(f"{_page(leeds.id)}/subscriptions", data, form_page=_page(leeds.id))
    assert response.status_code == 302
    periods = [(s.starts_on, s.ends_on, s.notes) for s in _org(app, leeds.id).subscriptions]
    assert (date(2030, 4, 1), date(2031, 3, 31), "Renewed by Jo") in periods
    [entry] = _audit(app, "organisation.add_subscription")
    assert entry.after["starts_on"] == "2030-04-01" and entry.after["ends_on"] == "2031-03-31"
    assert "overlaps" not in client.get(_page(leeds.id)).get_data(as_text=True)


def test_an_overlapping_subscription_is_saved_with_a_hint(app, client, admin, leeds, post_form):
    data = _dates(THIS_YEAR[1] - timedelta(days=10), THIS_YEAR[1] + timedelta(days=355))
    response = post_form(
        f"{_page(leeds.id)}/subscriptions", data, form_page=_page(leeds.id), follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "This period overlaps another" in page
    assert ">Overlaps</strong>" in page
    assert len(_org(app, leeds.id).subscriptions) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_dates(date(2030, 4, 1), date(2030, 3, 31)), "The end date must be the same as or after"),
        (
            {"starts_on": ["31", "2", "2030"], "ends_on": ["1", "3", "2031"]},
            "The start date must be a real date",
        ),
        ({"starts_on": ["", "", ""], "ends_on": ["1", "3", "2031"]}, "Enter the start date"),
        ({"starts_on": ["1", "4", "2030"]}, "Enter the end date"),
        ({"starts_on": ["1", "4", "2030", "9"], "ends_on": ["1"]}, "The end date must be a real"),
    ],
)
def test_bad_subscription_dates_are_refused(app, client, admin, leeds, post_form, data, message):
    before = _counts(app)
    response = post_form(f"{_page(leeds.id)}/subscriptions", data, form_page=_page(leeds.id))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert _counts(app) == before
    assert _audit(app, "organisation.add_subscription") == []


def test_an_administrator_changes_a_subscription(app, client, admin, leeds, post_form):
    subscription_id = _org(app, leeds.id).subscriptions[0].id
    path = f"{_page(leeds.id)}/subscriptions/{subscription_id}"
    assert f'value="{THIS_YEAR[0].year}"' in client.get(path).get_data(as_text=True)

    response = post_form(path, {**_dates(date(2030, 1, 1), date(2030, 12, 31)), "notes": "Fixed"})

    assert response.status_code == 302
    with app.app_context():
        subscription = db.session.get(InsightSubscription, subscription_id)
        assert (subscription.starts_on, subscription.ends_on) == (
            date(2030, 1, 1),
            date(2030, 12, 31),
        )
    [entry] = _audit(app, "organisation.update_subscription")
    assert entry.before["starts_on"] == THIS_YEAR[0].isoformat()
    assert entry.after == {
        "subscription": subscription_id,
        "starts_on": "2030-01-01",
        "ends_on": "2030-12-31",
        "notes": "Fixed",
    }


def test_a_subscription_cannot_end_before_it_starts(app, client, admin, leeds, post_form):
    subscription_id = _org(app, leeds.id).subscriptions[0].id
    path = f"{_page(leeds.id)}/subscriptions/{subscription_id}"
    response = post_form(path, _dates(date(2030, 1, 2), date(2030, 1, 1)))
    assert "The end date must be the same as or after the start date" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(InsightSubscription, subscription_id).starts_on == THIS_YEAR[0]
    assert _audit(app, "organisation.update_subscription") == []


def test_another_organisations_subscription_is_not_found(
    client, admin, leeds, create_organisation, app
):
    york = create_organisation(name="York Council", subscribed=THIS_YEAR)
    york_subscription = _org(app, york.id).subscriptions[0].id
    assert client.get(f"{_page(leeds.id)}/subscriptions/{york_subscription}").status_code == 404


# Named members


def test_an_administrator_adds_and_removes_a_named_member(app, client, admin, leeds, post_form):
    response = post_form(
        f"{_page(leeds.id)}/members",
        {"member_email": " Ann@Partner.ORG.uk "},
        form_page=_page(leeds.id),
    )
    assert response.status_code == 302
    [member] = _org(app, leeds.id).members
    assert member.email == "ann@partner.org.uk"
    assert _audit(app, "organisation.add_member")[0].after == {"email": "ann@partner.org.uk"}

    response = post_form(
        f"{_page(leeds.id)}/members/{member.id}/remove", {}, form_page=_page(leeds.id)
    )
    assert response.status_code == 302
    assert _org(app, leeds.id).members == []
    assert _audit(app, "organisation.remove_member")[0].before == {"email": "ann@partner.org.uk"}


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("not-an-address", "Enter an email address in the correct format"),
        ("", "Enter the email address of the member"),
        ("bob@york.example", "bob@york.example is already a named member of York Council"),
        ("BOB@York.example", "bob@york.example is already a named member of York Council"),
    ],
)
def test_a_bad_or_taken_member_is_refused(
    app, client, admin, leeds, create_organisation, post_form, email, message
):
    york = create_organisation(name="York Council")
    _add_member(app, york.id, "bob@york.example")
    before = _counts(app)
    response = post_form(
        f"{_page(leeds.id)}/members", {"member_email": email}, form_page=_page(leeds.id)
    )
    assert message in response.get_data(as_text=True)
    assert _counts(app) == before
    assert _audit(app, "organisation.add_member") == []


def test_the_page_lists_the_users_who_belong(app, client, admin, leeds, create_user):
    _add_member(app, leeds.id, "ann@partner.org.uk")
    create_user(email="jo@leeds.gov.uk", name="Jo Main")
    create_user(email="sam@adults.leeds.gov.uk", name="Sam Sub")
    create_user(email="ann@partner.org.uk", name="Ann Named")
    create_user(email="unverified@leeds.gov.uk", name="Una Verified", verified=False)
    create_user(email="x@notleeds.gov.uk", name="Not Leeds")
    create_user(email="y@leeds.gov.uk.example.com", name="Look Alike")

    page = client.get(_page(leeds.id)).get_data(as_text=True)

    for shown in ("Jo Main", "Sam Sub", "Ann Named"):
        assert shown in page
    for hidden in ("Una Verified", "Not Leeds", "Look Alike"):
        assert hidden not in page


# Import: preview, then apply


GOOD = subscribers_csv(
    "Leeds City Council,council,leeds.gov.uk;adults.leeds.gov.uk,2026-04-01,2027-03-31,",
    "York Council,council,york.gov.uk,2026-04-01,2027-03-31,ann@partner.org.uk",
)


def _upload(post_form, content: str | bytes, **kwargs):
    data = content.encode() if isinstance(content, str) else content
    return post_form(
        "/admin/organisations/import",
        {"file": (io.BytesIO(data), "subscribers.csv")},
        content_type="multipart/form-data",
        **kwargs,
    )


def _hidden_content(page: str) -> str:
    marker = 'name="content" type="hidden" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def test_an_upload_is_previewed_and_then_applied(app, client, admin, post_form):
    response = _upload(post_form, GOOD)
    page = response.get_data(as_text=True)

    assert "Add organisation York Council (council)" in page
    assert "Add named member ann@partner.org.uk to York Council" in page
    assert "Apply these changes" in page
    assert _counts(app)["Organisation"] == 0  # a preview writes nothing

    response = post_form(
        "/admin/organisations/import/apply",
        {"content": _hidden_content(page)},
        form_page="/admin/organisations",
        follow_redirects=True,
    )

    assert "Imported the file: 8 changes made." in response.get_data(as_text=True)
    assert _counts(app) == {
        "Organisation": 2,
        "OrganisationDomain": 3,
        "InsightSubscription": 2,
        "NamedMember": 1,
    }
    [entry] = _audit(app, "organisation.import")
    assert entry.after == {"changes": 8}
    assert "Add domain york.gov.uk to York Council" in entry.note


def test_an_unchanged_file_previews_as_nothing_to_change(app, client, admin, leeds, post_form):
    page = _upload(
        post_form,
        subscribers_csv(f"Leeds City Council,council,leeds.gov.uk,{THIS_YEAR[0]},{THIS_YEAR[1]},"),
    ).get_data(as_text=True)
    assert "Nothing to change" in page
    assert "Apply these changes" not in page


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "x" + token,
        lambda token: "",
    ],
)
def test_a_tampered_preview_is_refused(app, client, admin, post_form, tamper):
    token = _hidden_content(_upload(post_form, GOOD).get_data(as_text=True))
    response = post_form(
        "/admin/organisations/import/apply",
        {"content": tamper(token)},
        form_page="/admin/organisations",
        follow_redirects=True,
    )
    assert "was changed after its preview" in response.get_data(as_text=True)
    assert _counts(app)["Organisation"] == 0
    assert _audit(app, "organisation.import") == []


def test_a_token_made_with_another_key_is_refused(app, client, admin, post_form):
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("another-secret", salt="admin.subscriber-import").dumps(GOOD)
    post_form(
        "/admin/organisations/import/apply", {"content": forged}, form_page="/admin/organisations"
    )
    assert _counts(app)["Organisation"] == 0


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            subscribers_csv("Leeds,council,leeds,2026-04-01,2027-03-31,"),
            "Line 2: domain “leeds” is not an email domain",
        ),
        (
            subscribers_csv("Leeds,council,leeds.gov.uk,2026-04-01,2025-03-31,"),
            "Line 2: end date 2025-03-31 is before start date 2026-04-01",
        ),
        (b"\xff\xfe not utf-8", "The file is not UTF-8 text"),
        ("name,kind\nLeeds,council\n", "missing required columns"),
    ],
)
def test_a_file_with_problems_is_never_applied(app, client, admin, post_form, content, problem):
    page = _upload(post_form, content).get_data(as_text=True)
    assert problem in page
    assert "cannot be imported" in page
    assert "Apply these changes" not in page and 'name="content"' not in page
    assert _counts(app)["Organisation"] == 0


def test_a_file_that_became_a_conflict_after_its_preview_is_not_applied(
    app, client, admin, post_form, create_organisation
):
    token = _hidden_content(_upload(post_form, GOOD).get_data(as_text=True))
    create_organisation(name="Someone Else", domain="york.gov.uk")  # taken since the preview

    response = post_form(
        "/admin/organisations/import/apply", {"content": token}, form_page="/admin/organisations"
    )

    assert "domain york.gov.uk is already registered to Someone Else" in response.get_data(
        as_text=True
    )
    assert _counts(app)["Organisation"] == 1
    assert _audit(app, "organisation.import") == []


def test_an_upload_without_a_file_is_refused(client, admin, post_form):
    response = post_form("/admin/organisations/import", {}, content_type="multipart/form-data")
    assert "Choose a CSV file to upload" in response.get_data(as_text=True)


# Export


def test_the_export_is_the_import_format_and_reimporting_it_changes_nothing(
    app, client, admin, post_form, create_organisation
):
    leeds = create_organisation(
        name="Leeds City Council", domain="leeds.gov.uk", subscribed=LAST_YEAR
    )
    with app.app_context():
        db.session.add(OrganisationDomain(organisation_id=leeds.id, domain="adults.leeds.gov.uk"))
        db.session.add(
            InsightSubscription(
                organisation_id=leeds.id, starts_on=THIS_YEAR[0], ends_on=THIS_YEAR[1]
            )
        )
        db.session.commit()
    _add_member(app, leeds.id, "ann@partner.org.uk")
    _add_member(app, leeds.id, "bob@partner.org.uk")
    create_organisation(
        name="Kingston upon Hull, City of",
        domain="hullcc.gov.uk",
        subscribed=THIS_YEAR,
        kind=OrganisationKind.FIRE_AND_RESCUE,
    )

    response = client.get("/admin/organisations/export.csv")
    text = response.get_data(as_text=True)

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert text.splitlines() == [
        "\ufefforganisation,kind,domains,start date,end date,member emails",
        "Leeds City Council,council,adults.leeds.gov.uk;leeds.gov.uk,2020-04-01,2021-03-31,"
        "ann@partner.org.uk;bob@partner.org.uk",
        f"Leeds City Council,council,adults.leeds.gov.uk;leeds.gov.uk,{THIS_YEAR[0]},"
        f"{THIS_YEAR[1]},ann@partner.org.uk;bob@partner.org.uk",
        f'"Kingston upon Hull, City of",fire_and_rescue,hullcc.gov.uk,{THIS_YEAR[0]},'
        f"{THIS_YEAR[1]},",
    ]

    before = _counts(app)
    page = _upload(post_form, response.get_data()).get_data(as_text=True)
    assert "Nothing to change" in page and "cannot be imported" not in page
    assert _counts(app) == before


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t"])
def test_the_export_neutralises_spreadsheet_formulas(
    app, client, admin, create_organisation, start
):
    create_organisation(name=f"{start}HYPERLINK(1)", subscribed=THIS_YEAR)
    text = client.get("/admin/organisations/export.csv").get_data(as_text=True)
    assert f"'{start}HYPERLINK(1)" in text
    assert f"\n{start}HYPERLINK" not in text


# Users and administrators


def test_users_are_listed_and_searched(client, admin, create_user):
    create_user(email="jo@leeds.gov.uk", name="Jo Bloggs")
    create_user(email="sam@york.gov.uk", name="Sam Smith")

    page = client.get("/admin/users", query_string={"q": "BLOGGS"}).get_data(as_text=True)
    assert "jo@leeds.gov.uk" in page and "sam@york.gov.uk" not in page

    page = client.get("/admin/users", query_string={"q": "york"}).get_data(as_text=True)
    assert "sam@york.gov.uk" in page and "jo@leeds.gov.uk" not in page


def test_an_administrator_makes_and_unmakes_an_administrator(
    app, client, admin, create_user, post_form
):
    other = create_user(email="jo@leeds.gov.uk")

    response = post_form(f"/admin/users/{other.id}/make-admin", {}, form_page="/admin/users")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, other.id).is_admin
    [entry] = _audit(app, "user.make_admin")
    assert (entry.target_type, entry.target_id) == ("user", str(other.id))
    assert entry.before == {"is_admin": False} and entry.after == {"is_admin": True}

    response = post_form(f"/admin/users/{other.id}/remove-admin", {}, form_page="/admin/users")
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(User, other.id).is_admin
    [entry] = _audit(app, "user.remove_admin")
    assert entry.after == {"is_admin": False} and entry.note == "jo@leeds.gov.uk"


def test_an_administrator_cannot_remove_their_own_rights(app, client, admin, post_form):
    response = post_form(
        f"/admin/users/{admin.id}/remove-admin", {}, form_page="/admin/users", follow_redirects=True
    )
    assert "You cannot remove your own administrator rights" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, admin.id).is_admin
    assert _audit_count(app) == 0


def test_making_an_administrator_again_changes_nothing(app, client, admin, create_user, post_form):
    other = create_user(is_admin=True)
    post_form(f"/admin/users/{other.id}/make-admin", {}, form_page="/admin/users")
    assert _audit_count(app) == 0


def test_an_unknown_user_is_not_found(client, admin, post_form):
    response = post_form("/admin/users/999999/make-admin", {}, form_page="/admin/users")
    assert response.status_code == 404
