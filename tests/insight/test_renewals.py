"""The administrators' renewals list: subscriptions ending in the next 90 days and those ended in
the last 90, with contacts, reminders and requests; the same as CSV, safe in a spreadsheet."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.clock import today_in_london
from portal.extensions import db
from portal.insight.models import RequestTopic
from portal.insight.renewals import CSV_HEADER, renewals
from portal.insight.requests import RequestDetails, submit_request
from portal.organisations.models import InsightSubscription, SubscriptionContact


@pytest.fixture
def periods(app, create_organisation):
    """Organisations whose subscriptions end at these distances from today (in days)."""

    def make(**ends_in_days):
        today = today_in_london()
        made = {}
        for name, days in ends_in_days.items():
            ends = today + timedelta(days=days)
            made[name] = create_organisation(
                name=name, domain=f"{name.lower()}.gov.uk", subscribed=(ends - timedelta(364), ends)
            )
        return made

    return make


def test_the_list_holds_what_ends_within_90_days_either_side(ctx, periods):
    periods(Early=-91, Ended=-90, Yesterday=-1, Today=0, Soon=90, Later=91)

    found = renewals(today_in_london())

    assert [r.organisation.name for r in found] == ["Ended", "Yesterday", "Today", "Soon"]
    assert [r.days_left for r in found] == [-90, -1, 0, 90]


def test_a_renewed_period_says_until_when(ctx, periods):
    organisation = periods(Renewing=10)["Renewing"]
    ends = today_in_london() + timedelta(days=10)
    organisation.subscriptions.append(
        InsightSubscription(starts_on=ends + timedelta(days=1), ends_on=ends + timedelta(days=365))
    )
    db.session.flush()

    [renewal] = renewals(today_in_london())  # the later period ends outside the list

    assert renewal.renewed_until == ends + timedelta(days=365)


def _with_contact_and_request(app, organisation, name: str):
    with app.app_context():
        db.session.add(
            SubscriptionContact(
                organisation_id=organisation.id, name=name, email=f"contact@{name.lower()}.gov.uk"
            )
        )
        submit_request(
            RequestDetails(
                RequestTopic.RENEW, name, "Theirs", f"asker@{name.lower()}.gov.uk", "", ""
            ),
            f"renewals-key-{name.lower():0>12}",
        )
        db.session.commit()


def test_the_page_shows_contacts_reminders_and_requests(app, client, admin, periods):
    made = periods(Soon=20, Other=-20)
    _with_contact_and_request(app, made["Soon"], "Soon")

    page = client.get("/admin/renewals").get_data(as_text=True)

    assert "Ending</strong> in 20 days" in page and "Ended</strong> 20 days ago" in page
    assert "contact@soon.gov.uk" in page
    assert "Renew a subscription</a> (New)" in page
    assert "None: add one on the organisation" in page  # Other has no contact


def test_the_csv_has_a_row_per_period_and_every_cell_is_safe(app, client, admin, periods):
    made = periods(Soon=20)
    with app.app_context():
        organisation = db.session.get(type(made["Soon"]), made["Soon"].id)
        organisation.name = "=HYPERLINK(1)"
        db.session.commit()
    _with_contact_and_request(app, made["Soon"], "Soon")

    response = client.get("/admin/renewals.csv")

    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "insight-renewals-" in response.headers["Content-Disposition"]
    header, row = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(header) == CSV_HEADER
    assert row[0] == "'=HYPERLINK(1)"
    assert row[2] == "20"
    assert row[4] == "Soon <contact@soon.gov.uk>"
    assert row[6].startswith("Renew a subscription, New, ")
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert (entry.action, entry.after) == ("export.renewals", {"rows": 1})
