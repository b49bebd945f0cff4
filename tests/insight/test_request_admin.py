"""Administrators work through requests: new → contacted → won or lost, with notes, each step
recorded with who took it and when; a step from the wrong state is refused and changes nothing."""

import itertools

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.insight import requests as insight_requests
from portal.insight.models import InsightRequest, InsightRequestEvent, RequestState, RequestTopic
from portal.insight.requests import ALLOWED, RequestDetails, StepRefused, submit_request, take_step

NEW, CONTACTED, WON, LOST = (
    RequestState.NEW,
    RequestState.CONTACTED,
    RequestState.WON,
    RequestState.LOST,
)
MOVES = {(NEW, CONTACTED), (NEW, WON), (NEW, LOST), (CONTACTED, WON), (CONTACTED, LOST)}


def details(**changes) -> RequestDetails:
    values = {
        "topic": RequestTopic.RENEW,
        "name": "Alex Morgan",
        "organisation_name": "Southvale District Council",
        "email": "alex@southvale.gov.uk",
        "role": "ICT manager",
        "message": "",
    }
    return RequestDetails(**{**values, **changes})


@pytest.fixture
def make_request(app):
    counter = itertools.count(1)

    def make(**changes) -> InsightRequest:
        return submit_request(details(**changes), f"test-request-key-{next(counter):08d}")

    return make


def test_the_allowed_moves_are_exactly_these():
    assert {(a, b) for a, targets in ALLOWED.items() for b in targets} == MOVES
    assert set(ALLOWED) == set(RequestState)


@pytest.mark.parametrize(("start", "to"), list(itertools.product(RequestState, RequestState)))
def test_every_move_from_every_state(ctx, make_request, create_user, start, to):
    admin = create_user(is_admin=True)
    made = make_request()
    made.state = start
    db.session.flush()

    if (start, to) in MOVES:
        event = take_step(made, to, "", admin)
        assert made.state is to
        assert (event.from_state, event.to_state, event.by_user_id) == (start, to, admin.id)
    elif start == to:  # "keep as it is" with no note: nothing to record
        with pytest.raises(StepRefused, match="Choose a new state or write a note"):
            take_step(made, to, "", admin)
    else:
        with pytest.raises(StepRefused, match="cannot be marked"):
            take_step(made, to, "a note", admin)
        assert made.state is start
        assert made.events == []


def test_a_note_alone_is_recorded_without_a_change_of_state(ctx, make_request, create_user):
    admin = create_user(is_admin=True, name="Avery Admin")
    made = make_request()

    event = take_step(made, None, "  Left a voicemail  ", admin)

    assert made.state is NEW
    assert (event.from_state, event.to_state, event.note) == (None, None, "Left a voicemail")
    assert event.at is not None and event.by.name == "Avery Admin"
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "insight_request.step" and entry.note == "Left a voicemail"


def test_the_list_shows_requests_newest_first_and_filters_by_state(
    app, client, admin, make_request
):
    with app.app_context():
        first = make_request(name="First Person")
        second = make_request(name="Second Person")
        second.state = CONTACTED
        db.session.commit()
        first_id = first.id

    everything = client.get("/admin/insight-requests").get_data(as_text=True)
    contacted = client.get("/admin/insight-requests?state=contacted").get_data(as_text=True)
    nonsense = client.get("/admin/insight-requests?state=zzz&page=-4")

    assert everything.index("Second Person") < everything.index("First Person")
    assert "Second Person" in contacted and "First Person" not in contacted
    assert nonsense.status_code == 200
    assert f"/admin/insight-requests/{first_id}" in everything


def test_an_administrator_moves_a_request_on_with_a_note(app, client, admin, post_form):
    with app.app_context():
        made = submit_request(details(), "route-request-key-000001")
        db.session.commit()
        path = f"/admin/insight-requests/{made.id}"

    contacted = post_form(path, {"state": "contacted", "note": "Phoned Alex"})
    won = post_form(path, {"state": "won", "note": "Renewed for 2026-27"})

    assert contacted.status_code == won.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "New → Contacted" in page and "Contacted → Won" in page
    assert "Phoned Alex" in page and admin.name in page
    with app.app_context():
        stored = db.session.get(InsightRequest, made.id)
        assert stored.state is WON
        assert [(e.to_state, e.by_user_id) for e in stored.events] == [
            (CONTACTED, admin.id),
            (WON, admin.id),
        ]


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"state": "", "note": ""}, 409, "Choose a new state or write a note"),
        ({"state": "new", "note": ""}, 400, "Not a valid choice"),  # not offered from "won"
        ({"state": "contacted", "note": ""}, 400, "Not a valid choice"),
        ({"state": "", "note": "x" * 2001}, 400, "Note must be 2,000 characters or fewer"),
    ],
)
def test_a_refused_step_says_why_and_changes_nothing(
    app, client, admin, post_form, form, status, message
):
    with app.app_context():
        made = submit_request(details(), "route-request-key-000002")
        made.state = WON
        db.session.commit()
        path = f"/admin/insight-requests/{made.id}"

    response = post_form(path, form)

    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert "There is a problem" in page and message in page
    with app.app_context():
        assert db.session.get(InsightRequest, made.id).state is WON
        assert db.session.scalars(select(InsightRequestEvent)).all() == []


def test_a_request_that_does_not_exist_is_not_found(client, admin):
    assert client.get("/admin/insight-requests/999999").status_code == 404


def test_requests_of_organisations_are_grouped(ctx, make_request, create_organisation):
    organisation = create_organisation(domain="southvale.gov.uk")
    linked = make_request()
    make_request(email="someone@elsewhere.example")

    assert linked.organisation_id == organisation.id
    assert insight_requests.requests_of([organisation.id]) == {organisation.id: [linked]}
    assert insight_requests.requests_of([]) == {}
