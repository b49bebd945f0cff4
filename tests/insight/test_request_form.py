"""The "What Insight is" page and its request form: found from everywhere subscriber prices are
mentioned, a request saved once and emailed to Socitm's subscriptions address, bad input refused
with a clear message and nothing saved."""

from datetime import date

import pytest

from portal.clock import today_in_london
from portal.insight.models import InsightRequest, RequestState, RequestTopic
from portal.operations.limits import limiter
from tests.helpers import csrf_token
from tests.insight.helpers import (
    FILLED_IN,
    SUBSCRIPTIONS,
    count,
    emails_to,
    request_key,
    stored_requests,
)


def send(client, form: dict, path: str = "/insight"):
    """Post the request form as shown at ``path``, with ``form`` over its own key."""
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, path), "request_key": request_key(page), **form}
    return client.post("/insight", data=data)


@pytest.mark.parametrize("path", ["/", "/reports", "/insight/request-sent"])
def test_the_page_is_linked_from_the_header_and_the_home_page(client, path):
    page = client.get(path).get_data(as_text=True)
    assert 'href="/insight"' in page


def test_free_for_insight_subscribers_links_to_the_page(client, create_report):
    report = create_report()
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert '<a class="govuk-link" href="/insight">Free for Insight subscribers</a>' in page


def test_a_standard_price_message_links_to_the_page(client, auth, create_user, create_report):
    report = create_report()
    auth.sign_in(create_user(email="jo@eastbridge.gov.uk").email)
    page = client.get(f"/reports/{report.slug}").get_data(as_text=True)
    assert "your organisation does not subscribe to Insight" in page
    assert "Find out what Insight is and how to join</a>" in page


def test_the_page_says_what_insight_gives_and_offers_the_form(client):
    response = client.get("/insight")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">What Insight is</h1>' in page
    assert "free to download for anyone at your organisation" in page
    for topic in RequestTopic:
        assert topic.label in page


def test_a_request_is_saved_and_emailed_to_the_subscriptions_address(app, client, outbox):
    response = send(client, FILLED_IN)

    assert response.status_code == 302
    assert response.headers["Location"] == "/insight/request-sent"
    [saved] = stored_requests(app)
    assert (saved.topic, saved.name, saved.organisation_name, saved.email, saved.role) == (
        RequestTopic.JOIN,
        "Jo Evans",
        "Eastbridge Borough Council",
        "jo.evans@eastbridge.gov.uk",
        "Head of digital",
    )
    assert saved.state is RequestState.NEW and saved.organisation_id is None
    [email] = emails_to(app, SUBSCRIPTIONS)
    assert email.subject == "Insight request: Join Insight from Eastbridge Borough Council"
    assert "How much would a subscription cost us?" in email.body_text
    assert [m.to for m in outbox] == [[SUBSCRIPTIONS]]
    assert f"/admin/insight-requests/{saved.id}" in outbox[0].body
    assert "Request sent" in client.get("/insight/request-sent").get_data(as_text=True)


def test_the_subscriptions_address_comes_from_the_configuration(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "INSIGHT_SUBSCRIPTIONS_EMAIL", "renewals@socitm.example")
    send(client, FILLED_IN)
    assert len(emails_to(app, "renewals@socitm.example")) == 1
    assert emails_to(app, SUBSCRIPTIONS) == []


def test_the_same_form_posted_twice_makes_one_request_and_one_email(app, client):
    page = client.get("/insight").get_data(as_text=True)
    data = {"csrf_token": csrf_token(client, "/insight"), "request_key": request_key(page)}
    answers = [client.post("/insight", data={**data, **FILLED_IN}) for _ in range(2)]

    assert [a.headers["Location"] for a in answers] == ["/insight/request-sent"] * 2
    assert len(stored_requests(app)) == 1
    assert len(emails_to(app, SUBSCRIPTIONS)) == 1


def test_two_forms_make_two_requests(app, client):
    send(client, FILLED_IN)
    send(client, FILLED_IN)
    assert len(stored_requests(app)) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic": ""}, "Choose what you would like to do"),
        ({"topic": "sell"}, "Not a valid choice"),
        ({"name": "   "}, "Enter your full name"),
        ({"name": "x" * 201}, "Full name must be 200 characters or fewer"),
        ({"organisation": ""}, "Enter the name of your organisation"),
        ({"organisation": "x" * 201}, "Organisation must be 200 characters or fewer"),
        ({"email": ""}, "Enter your email address"),
        ({"email": "jo.evans"}, "Enter an email address in the correct format"),
        ({"email": "a" * 250 + "@x.uk"}, "Email address must be 254 characters or fewer"),
        ({"role": "x" * 201}, "Your role (optional) must be 200 characters or fewer"),
        ({"message": "x" * 2001}, "Message must be 2,000 characters or fewer"),
        ({"topic": "question", "message": " "}, "Enter your question"),
        ({"request_key": ""}, "This form has expired"),
        ({"request_key": "<script>"}, "This form has expired"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_saved(app, client, changes, message):
    response = send(client, {**FILLED_IN, **changes})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in page and message in page
    assert page.count("<title>Error: What Insight is")
    assert count(app, InsightRequest) == 0
    assert emails_to(app, SUBSCRIPTIONS) == []


def test_a_refused_form_keeps_what_was_typed_and_sends_once_corrected(app, client):
    refused = send(client, {**FILLED_IN, "name": ""})
    page = refused.get_data(as_text=True)
    assert 'value="Eastbridge Borough Council"' in page
    data = {
        "csrf_token": csrf_token(client, "/insight"),
        "request_key": request_key(page),
        **FILLED_IN,
    }
    assert client.post("/insight", data=data).status_code == 302
    assert len(stored_requests(app)) == 1


def test_a_question_needs_a_message_but_joining_does_not(app, client):
    assert send(client, {**FILLED_IN, "message": ""}).status_code == 302
    asked = {**FILLED_IN, "topic": "question", "message": "Do fire services join?"}
    assert send(client, asked).status_code == 302
    assert [r.topic for r in stored_requests(app)] == [RequestTopic.JOIN, RequestTopic.QUESTION]


def test_a_link_fills_in_the_topic_and_organisation(client):
    page = client.get("/insight?topic=renew&organisation=Southvale+District+Council").get_data(
        as_text=True
    )
    assert 'value="renew" checked' in page
    assert 'value="Southvale District Council"' in page


@pytest.mark.parametrize("query", ["topic=sell", "organisation=" + "x" * 5000, "topic=RENEW"])
def test_a_link_with_nonsense_still_shows_the_form(client, query):
    response = client.get(f"/insight?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "checked" not in page
    assert "x" * 201 not in page


def test_a_signed_in_person_finds_their_details_filled_in_and_the_request_linked(
    app, client, auth, create_user, create_organisation
):
    today = today_in_london()
    organisation = create_organisation(
        name="Southvale District Council",
        domain="southvale.gov.uk",
        subscribed=(date(2020, 4, 1), date(2021, 3, 31)),
    )
    person = create_user(email="alex@southvale.gov.uk", name="Alex Morgan")
    auth.sign_in(person.email)

    page = client.get("/insight").get_data(as_text=True)

    assert 'value="Alex Morgan"' in page and 'value="alex@southvale.gov.uk"' in page
    assert 'value="Southvale District Council"' in page
    form = {"topic": "renew", "name": "Alex Morgan", "email": person.email}
    send(client, {**FILLED_IN, **form, "organisation": "Southvale DC"})
    [saved] = stored_requests(app)
    assert saved.organisation_id == organisation.id and saved.user_id == person.id
    assert saved.created_at.date() <= today


@pytest.fixture
def limits_on(app, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_APPLY", True)
    yield
    limiter.reset()


def test_requests_from_one_client_address_are_limited(app, client, limits_on):
    answers = [send(client, FILLED_IN).status_code for _ in range(6)]
    assert answers == [302] * 5 + [429]
    assert len(stored_requests(app)) == 5
    assert client.get("/insight").status_code == 200  # reading is never limited
