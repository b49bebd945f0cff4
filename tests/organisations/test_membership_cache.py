"""The report page shows a signed-in person's prices from the memberships its process keeps, and
a change to an organisation, its domains, named members or subscriptions shows on the next view;
a subscription that ends needs no change at all. The basket always reads them afresh."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal.catalogue.models import FormatKind, ReportFormat
from portal.clock import today_in_london
from portal.extensions import db
from portal.organisations import membership_cache
from portal.organisations.models import InsightSubscription, NamedMember, OrganisationDomain


@pytest.fixture
def subscriber(app, create_user, create_organisation, auth):
    """A signed-in person whose address's domain belongs to a subscribing organisation."""
    today = today_in_london()
    organisation = create_organisation(
        domain="keptcouncil.gov.uk", subscribed=(today - timedelta(days=30), today)
    )
    user = create_user(email="reader@keptcouncil.gov.uk")
    auth.sign_in(user.email)
    return organisation


@pytest.fixture
def report(create_report):
    return create_report(
        formats=[
            ReportFormat(kind=FormatKind.PDF, price_pence=14_500, subscriber_price_pence=2_500)
        ]
    )


def _subscriber(client, report) -> bool:
    """Whether the report page treats the person as a subscriber: none of the reasons it gives
    when not (standard prices, a subscription that ended, one to renew)."""
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    return not any(
        reason in page for reason in ("You see standard prices", "ended on", "subscription (")
    ) and not re.search(r"renew", page, re.IGNORECASE)


def test_the_second_view_reads_no_membership(client, count_queries, subscriber, report):
    client.get(f"/reports/{report.slug}")
    with count_queries() as first_again:
        client.get(f"/reports/{report.slug}")
    membership_reads = [s for s in first_again if "organisation_domains" in s]
    assert membership_reads == []


def _commit(app, change) -> None:
    with app.app_context():
        change()
        db.session.commit()


@pytest.mark.parametrize(
    "change",
    [
        lambda org: db.session.execute(
            delete(OrganisationDomain).where(OrganisationDomain.organisation_id == org.id)
        ),
        lambda org: db.session.delete(
            db.session.scalar(
                select(OrganisationDomain).where(OrganisationDomain.organisation_id == org.id)
            )
        ),
        lambda org: setattr(
            db.session.scalar(
                select(InsightSubscription).where(InsightSubscription.organisation_id == org.id)
            ),
            "ends_on",
            today_in_london() - timedelta(days=1),
        ),
    ],
    ids=["domains removed in bulk", "domain removed", "subscription cut short"],
)
def test_a_change_shows_on_the_next_view(app, client, subscriber, report, change):
    assert _subscriber(client, report)
    _commit(app, lambda: change(subscriber))
    assert not _subscriber(client, report)


def test_a_named_member_added_shows_on_the_next_view(
    app, client, create_organisation, create_user, auth, report
):
    today = today_in_london()
    organisation = create_organisation(subscribed=(today - timedelta(days=1), today))
    user = create_user(email="named@elsewhere.example")
    auth.sign_in(user.email)
    assert not _subscriber(client, report)
    _commit(
        app, lambda: db.session.add(NamedMember(organisation_id=organisation.id, email=user.email))
    )
    assert _subscriber(client, report)


def test_a_subscription_that_ends_ends_without_any_change(client, subscriber, report, monkeypatch):
    assert _subscriber(client, report)
    from portal.catalogue import views

    monkeypatch.setattr(views, "today_in_london", lambda: today_in_london() + timedelta(days=1))
    assert not _subscriber(client, report)


def test_another_process_change_shows_once_its_token_is_read(
    app, client, subscriber, report, monkeypatch
):
    assert _subscriber(client, report)
    with app.app_context():
        # A change this process's session never saw (as another process's would be)...
        db.session.connection().execute(
            delete(OrganisationDomain).where(OrganisationDomain.organisation_id == subscriber.id)
        )
        db.session.commit()
    assert _subscriber(client, report)  # ...is not read while the token stands
    kept = app.extensions["membership_cache"]
    monkeypatch.setattr(kept, "check_every", 0)
    kept.generation.replace()  # what the other process's commit did
    assert not _subscriber(client, report)


def test_the_basket_reads_memberships_afresh(app, client, subscriber, report):
    assert _subscriber(client, report)
    with app.app_context():
        db.session.connection().execute(
            delete(OrganisationDomain).where(OrganisationDomain.organisation_id == subscriber.id)
        )
        db.session.commit()
    with app.test_request_context():
        assert membership_cache.kept_memberships("reader@keptcouncil.gov.uk")  # still kept
    from portal.organisations.services import memberships_for_email

    with app.app_context():
        assert memberships_for_email("reader@keptcouncil.gov.uk") == []
