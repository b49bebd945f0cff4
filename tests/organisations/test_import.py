"""Importing Insight subscribers from a CSV file: plan (check, describe), then apply."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.organisations import subscriber_csv
from portal.organisations.importer import ImportRejected, apply_import, plan_import
from portal.organisations.models import NamedMember, Organisation, OrganisationKind
from tests.organisations.helpers import row_counts, subscribers_csv

LEEDS = "Leeds City Council,council,leeds.gov.uk; Adults.Leeds.gov.uk,2026-04-01,2027-03-31,"
LEEDS_NEXT_YEAR = "leeds city council,Council,,01/04/2027,31/03/2028,Ann@Partner.org.uk"
HULL = '"Kingston upon Hull, City of",council,hullcc.gov.uk,2026-04-01,2027-03-31,'
FIRE = "West Yorkshire Fire,fire and rescue,westyorksfire.gov.uk,2026-04-01,2027-03-31,a@b.org.uk"
GOOD_FILE = subscribers_csv(LEEDS, LEEDS_NEXT_YEAR, FIRE)
KINDS = "council, fire and rescue, police, health, housing, other"
DATE_FORMATS = "write it as 2026-04-01 or 01/04/2026"


def _organisation(name: str) -> Organisation:
    return db.session.scalar(select(Organisation).where(Organisation.name == name))


def test_a_good_file_adds_organisations_domains_subscriptions_and_members(ctx):
    plan = plan_import(GOOD_FILE)

    assert plan.problems == []
    assert plan.changes == [
        "Add organisation Leeds City Council (council)",
        "Add domain leeds.gov.uk to Leeds City Council",
        "Add domain adults.leeds.gov.uk to Leeds City Council",
        "Add subscription 1 April 2026 to 31 March 2027 for Leeds City Council",
        "Add subscription 1 April 2027 to 31 March 2028 for Leeds City Council",
        "Add named member ann@partner.org.uk to Leeds City Council",
        "Add organisation West Yorkshire Fire (fire and rescue)",
        "Add domain westyorksfire.gov.uk to West Yorkshire Fire",
        "Add subscription 1 April 2026 to 31 March 2027 for West Yorkshire Fire",
        "Add named member a@b.org.uk to West Yorkshire Fire",
    ]
    assert row_counts()["Organisation"] == 0, "planning writes nothing"

    assert apply_import(plan) == plan.changes
    leeds = _organisation("Leeds City Council")
    assert leeds.kind is OrganisationKind.COUNCIL
    assert sorted(d.domain for d in leeds.domains) == ["adults.leeds.gov.uk", "leeds.gov.uk"]
    assert [(s.starts_on, s.ends_on) for s in leeds.subscriptions] == [
        (date(2026, 4, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2028, 3, 31)),
    ]
    assert [m.email for m in leeds.members] == ["ann@partner.org.uk"]
    assert _organisation("West Yorkshire Fire").kind is OrganisationKind.FIRE_AND_RESCUE
    assert row_counts() == {
        "Organisation": 2,
        "OrganisationDomain": 3,
        "InsightSubscription": 3,
        "NamedMember": 2,
    }


def test_importing_the_same_file_again_changes_nothing(ctx):
    apply_import(plan_import(GOOD_FILE))
    counts = row_counts()

    again = plan_import(GOOD_FILE)

    assert again.problems == []
    assert again.changes == []
    assert apply_import(again) == []
    assert row_counts() == counts


def test_a_stored_organisation_is_matched_by_name_and_its_kind_updated(ctx, create_organisation):
    create_organisation(
        name="Leeds City Council",
        domain="leeds.gov.uk",
        subscribed=(date(2025, 4, 1), date(2026, 3, 31)),
    )
    plan = plan_import(
        subscribers_csv(
            "  LEEDS   city council ,Police,leeds.gov.uk,2025-04-01,2026-03-31,",
            "Leeds City Council,police,leeds.gov.uk,2026-04-01,2027-03-31,",
        )
    )

    assert plan.changes == [
        "Change kind of Leeds City Council from council to police",
        "Add subscription 1 April 2026 to 31 March 2027 for Leeds City Council",
    ]
    assert apply_import(plan) == plan.changes
    leeds = _organisation("Leeds City Council")
    assert leeds.kind is OrganisationKind.POLICE
    assert len(leeds.subscriptions) == 2
    assert row_counts()["Organisation"] == 1


def test_a_domain_or_period_repeated_for_one_organisation_is_added_once(ctx):
    plan = plan_import(subscribers_csv(LEEDS, LEEDS.replace("Leeds City", "LEEDS CITY")))

    assert plan.problems == []
    assert len(plan.changes) == 4


@pytest.mark.parametrize(
    ("bad_line", "problem"),
    [
        pytest.param(
            ",council,hullcc.gov.uk,2026-04-01,2027-03-31,",
            "Line 3: organisation name is missing",
            id="no name",
        ),
        pytest.param(
            "Hull,brigade,hullcc.gov.uk,2026-04-01,2027-03-31,",
            f"Line 3: kind “brigade” is not one of: {KINDS}",
            id="unknown kind",
        ),
        pytest.param(
            "Hull,,hullcc.gov.uk,2026-04-01,2027-03-31,",
            f"Line 3: kind is missing (one of: {KINDS})",
            id="no kind",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,31/02/2026,2027-03-31,",
            f"Line 3: start date “31/02/2026” is not a date: {DATE_FORMATS}",
            id="impossible date",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,April 2026,2027-03-31,",
            f"Line 3: start date “April 2026” is not a date: {DATE_FORMATS}",
            id="date in words",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,2026-04-01,,",
            "Line 3: end date is missing",
            id="no end date",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,2026-04-01,2026-03-31,",
            "Line 3: end date 2026-03-31 is before start date 2026-04-01",
            id="end before start",
        ),
        pytest.param(
            "Hull,council,hullcc,2026-04-01,2027-03-31,",
            "Line 3: domain “hullcc” is not an email domain like leeds.gov.uk",
            id="one-label domain",
        ),
        pytest.param(
            "Hull,council,*.hullcc.gov.uk,2026-04-01,2027-03-31,",
            "Line 3: domain “*.hullcc.gov.uk” is not an email domain like leeds.gov.uk",
            id="wildcard domain",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,2026-04-01,2027-03-31,bob@",
            "Line 3: member email “bob@” is not a valid email address",
            id="email without domain",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,2026-04-01,2027-03-31,ok@hullcc.gov.uk; bob at hull",
            "Line 3: member email “bob at hull” is not a valid email address",
            id="email without @",
        ),
        pytest.param(
            "Hull,council,LEEDS.gov.uk,2026-04-01,2027-03-31,",
            "Line 3: domain leeds.gov.uk is given to Leeds City Council on line 2",
            id="domain claimed earlier in the file",
        ),
        pytest.param(
            "Hull,council,hullcc.gov.uk,2026-04-01,2027-03-31,ANN@partner.org.uk",
            "Line 3: member email ann@partner.org.uk is given to Leeds City Council on line 2",
            id="member claimed earlier in the file",
        ),
        pytest.param(
            "leeds city council,police,,2027-04-01,2028-03-31,",
            "Line 3: kind police differs from council given for Leeds City Council on line 2",
            id="kind changes within the file",
        ),
    ],
)
def test_a_bad_line_rejects_the_whole_file(ctx, bad_line, problem):
    first = "Leeds City Council,council,leeds.gov.uk,2026-04-01,2027-03-31,ann@partner.org.uk"
    plan = plan_import(subscribers_csv(first, bad_line, FIRE))

    assert plan.problems == [problem]
    assert plan.changes == []
    with pytest.raises(ImportRejected) as rejected:
        apply_import(plan)
    assert rejected.value.problems == [problem]
    assert set(row_counts().values()) == {0}


@pytest.fixture
def york(create_organisation):
    """City of York Council, holding york.gov.uk and the named member ann@partner.org.uk."""
    organisation = create_organisation(name="City of York Council", domain="york.gov.uk")
    db.session.add(NamedMember(organisation=organisation, email="ann@partner.org.uk"))
    db.session.flush()
    return organisation


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (
            "Leeds City Council,council,York.GOV.uk,2026-04-01,2027-03-31,",
            "Line 2: domain york.gov.uk is already registered to City of York Council",
        ),
        (
            "Leeds City Council,council,,2026-04-01,2027-03-31, ANN@partner.org.uk ",
            "Line 2: member email ann@partner.org.uk is already a named member of"
            " City of York Council",
        ),
    ],
    ids=["domain", "named member"],
)
def test_what_another_stored_organisation_holds_cannot_be_given_away(ctx, york, line, problem):
    counts = row_counts()

    plan = plan_import(subscribers_csv(line))

    assert plan.problems == [problem]
    with pytest.raises(ImportRejected):
        apply_import(plan)
    assert row_counts() == counts


def test_the_stored_organisation_may_repeat_what_it_holds(ctx, york):
    plan = plan_import(
        subscribers_csv(
            "city of york council,council,york.gov.uk,2026-04-01,2027-03-31,ann@partner.org.uk"
        )
    )

    assert plan.problems == []
    assert plan.changes == [
        "Add subscription 1 April 2026 to 31 March 2027 for City of York Council"
    ]


def test_every_problem_in_a_file_is_listed_in_line_order(ctx):
    plan = plan_import(
        subscribers_csv(
            LEEDS,
            "Hull,brigade,leeds.gov.uk,2026-04-01,2026-01-01,",
            FIRE,
            ",council,x,,2027-03-31,nobody",
        )
    )

    assert plan.problems == [
        f"Line 3: kind “brigade” is not one of: {KINDS}",
        "Line 3: end date 2026-01-01 is before start date 2026-04-01",
        "Line 3: domain leeds.gov.uk is given to Leeds City Council on line 2",
        "Line 5: organisation name is missing",
        "Line 5: domain “x” is not an email domain like leeds.gov.uk",
        "Line 5: start date is missing",
        "Line 5: member email “nobody” is not a valid email address",
    ]
    assert set(row_counts().values()) == {0}


def test_blank_lines_are_skipped_but_still_counted(ctx):
    plan = plan_import(subscribers_csv(LEEDS, ",,,,,", "", "Hull,council,hullcc.gov.uk,,,"))

    assert plan.problems == ["Line 5: start date is missing", "Line 5: end date is missing"]


def test_a_name_matching_two_stored_organisations_is_a_problem(ctx, create_organisation):
    create_organisation(name="Leeds")
    create_organisation(name="LEEDS")

    plan = plan_import(subscribers_csv("leeds,council,,2026-04-01,2027-03-31,"))

    assert plan.problems == ["Line 2: “leeds” matches several organisations: LEEDS, Leeds"]


def test_apply_checks_again_against_the_database_as_it_is_now(ctx, create_organisation):
    plan = plan_import(subscribers_csv(LEEDS))
    assert plan.problems == []
    create_organisation(name="Leeds Partnership", domain="leeds.gov.uk")
    counts = row_counts()

    with pytest.raises(ImportRejected) as rejected:
        apply_import(plan)

    assert rejected.value.problems == [
        "Line 2: domain leeds.gov.uk is already registered to Leeds Partnership"
    ]
    assert row_counts() == counts


def test_excel_utf8_with_bom_uk_dates_labels_and_loose_headers_are_accepted(ctx):
    content = (
        "\ufeff Organisation ,KIND,Domains,  Start   Date,END DATE\r\n"
        "Ynys Môn Fire and Rescue,Fire_and_rescue,ynysmon.gov.uk,1/4/2026,31/03/2027\r\n"
    ).encode()

    plan = plan_import(content)

    assert plan.problems == []
    apply_import(plan)
    fire = _organisation("Ynys Môn Fire and Rescue")
    assert fire.kind is OrganisationKind.FIRE_AND_RESCUE
    assert [(s.starts_on, s.ends_on) for s in fire.subscriptions] == [
        (date(2026, 4, 1), date(2027, 3, 31))
    ]


@pytest.mark.parametrize(
    ("written", "kind"),
    [
        ("council", OrganisationKind.COUNCIL),
        (" POLICE ", OrganisationKind.POLICE),
        ("fire and rescue", OrganisationKind.FIRE_AND_RESCUE),
        ("Fire_and_rescue", OrganisationKind.FIRE_AND_RESCUE),
        ("FIRE  AND RESCUE", OrganisationKind.FIRE_AND_RESCUE),
        ("Health", OrganisationKind.HEALTH),
        ("housing", OrganisationKind.HOUSING),
        ("other", OrganisationKind.OTHER),
    ],
)
def test_kind_is_the_value_or_the_label_in_any_case(ctx, written, kind):
    plan = plan_import(subscribers_csv(f"Somewhere,{written},,2026-04-01,2027-03-31,"))

    assert plan.problems == []
    assert plan.steps[0].value is kind


@pytest.mark.parametrize("written", ["2026-04-01", "01/04/2026", "1/4/2026"])
def test_dates_are_iso_or_uk(ctx, written):
    plan = plan_import(subscribers_csv(f"Somewhere,council,,{written},{written},"))

    assert plan.steps[1].value == (date(2026, 4, 1), date(2026, 4, 1))


def test_bytes_that_are_not_utf8_are_one_problem(ctx):
    content = subscribers_csv("Café Council,council,,2026-04-01,2027-03-31,").encode("cp1252")

    plan = plan_import(content)

    assert plan.problems == [
        "The file is not UTF-8 text (line 2 cannot be read): save it from your spreadsheet"
        " as “CSV UTF-8” and try again."
    ]
    assert plan.steps == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param("", "The file is empty", id="empty"),
        pytest.param(
            subscribers_csv(), "The file has a header row but no subscribers", id="header"
        ),
        pytest.param(
            subscribers_csv(LEEDS, header="organisation,domains,start date,member emails"),
            "Line 1: missing required columns: kind, end date (the header row names the columns:"
            " organisation, kind, domains, start date, end date, member emails)",
            id="missing columns",
        ),
        pytest.param(
            subscribers_csv(LEEDS, header="organisation;kind;domains;start date;end date"),
            "Line 1: missing required columns: organisation, kind, domains, start date, end date",
            id="semicolons between columns",
        ),
        pytest.param(
            subscribers_csv(LEEDS, header="organisation,kind,domains,start date,end date,Domains"),
            "Line 1: the column “domains” appears more than once",
            id="repeated column",
        ),
        pytest.param(
            b"x" * (subscriber_csv.MAX_FILE_BYTES + 1),
            "The file is larger than 5 MB: split it into smaller files.",
            id="too large",
        ),
        pytest.param(
            subscribers_csv(*["x"] * (subscriber_csv.MAX_ROWS + 1)),
            "The file has more than 20,000 rows: split it up.",
            id="too many rows",
        ),
    ],
)
def test_a_file_that_cannot_be_used_as_a_whole_is_one_problem(ctx, content, problem):
    plan = plan_import(content)

    assert len(plan.problems) == 1
    assert plan.problems[0].startswith(problem)


def test_the_row_limit_counts_subscriber_lines(ctx, monkeypatch):
    monkeypatch.setattr(subscriber_csv, "MAX_ROWS", 3)
    lines = [f"Org {n},council,,2026-04-01,2027-03-31," for n in range(4)]

    assert plan_import(subscribers_csv(*lines[:3])).problems == []
    assert plan_import(subscribers_csv(*lines)).problems == [
        "The file has more than 3 rows: split it up."
    ]
