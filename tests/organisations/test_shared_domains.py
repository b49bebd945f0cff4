"""Domains that cannot belong to one organisation: public suffixes, free email providers and the
shared public-sector domains administrators keep, refused in the admin form and the CSV import."""

import pytest

from portal.organisations.importer import plan_import
from portal.organisations.shared_domains import why_domain_cannot_be_registered
from tests.organisations.helpers import row_counts, subscribers_csv

PUBLIC_SUFFIX = "is a public suffix shared by many organisations"
FREE_PROVIDER = "is a free email provider"
SHARED_PUBLIC_SECTOR = "is a public-sector domain shared by many organisations"
SHARED = ("gov.uk", "nhs.net", "gov.wales")


@pytest.mark.parametrize(
    ("domain", "refused_because"),
    [
        ("uk", PUBLIC_SUFFIX),
        ("co.uk", PUBLIC_SUFFIX),
        ("gov.uk", PUBLIC_SUFFIX),
        ("nhs.uk", PUBLIC_SUFFIX),
        ("ac.uk", PUBLIC_SUFFIX),
        ("sch.uk", PUBLIC_SUFFIX),
        ("police.uk", PUBLIC_SUFFIX),
        ("com", PUBLIC_SUFFIX),
        ("gmail.com", FREE_PROVIDER),
        ("outlook.com", FREE_PROVIDER),
        ("hotmail.co.uk", FREE_PROVIDER),
        ("yahoo.co.uk", FREE_PROVIDER),
        ("mail.gmail.com", "is under gmail.com, which is a free email provider"),
        ("nhs.net", SHARED_PUBLIC_SECTOR),
        ("gov.wales", SHARED_PUBLIC_SECTOR),
        ("leeds.gov.uk", None),
        ("adults.leeds.gov.uk", None),
        ("westyorksfire.gov.uk", None),
        ("leedsth.nhs.uk", None),
        ("socitm.net", None),
        ("gmail.com.example.org", None),
    ],
)
def test_which_domains_one_organisation_may_register(domain, refused_because):
    reason = why_domain_cannot_be_registered(domain, SHARED)
    if refused_because is None:
        assert reason is None
    else:
        assert reason is not None and reason.startswith(domain) and refused_because in reason


def test_a_shared_domain_is_refused_only_when_administrators_list_it():
    assert why_domain_cannot_be_registered("nhs.net", ()) is None


@pytest.mark.parametrize(
    ("domains", "problem"),
    [
        ("gmail.com", "Line 2: domain gmail.com is a free email provider"),
        ("leeds.gov.uk; gov.uk", "Line 2: domain gov.uk is a public suffix"),
        ("Outlook.COM", "Line 2: domain outlook.com is a free email provider"),
        ("nhs.net", "Line 2: domain nhs.net is a public-sector domain shared"),
    ],
)
def test_the_import_refuses_a_shared_domain_and_names_the_line(
    ctx, public_sector_domains, domains, problem
):
    plan = plan_import(
        subscribers_csv(f"Leeds City Council,council,{domains},2026-04-01,2027-03-31,")
    )

    [found] = plan.problems
    assert found.startswith(problem)
    assert plan.steps == []
    assert row_counts()["OrganisationDomain"] == 0
