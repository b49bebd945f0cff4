"""/admin/jobs: the jobs that failed every time, for administrators to try again or remove; and
a plain word when there is no queue (no Redis) or it cannot be reached."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.jobs import enqueue
from tests.helpers import UNREACHABLE_REDIS_URL, failed_jobs


def fails_for_order_line(line_id: int) -> None:
    raise ValueError(f"line {line_id} is broken\nsecond line of the message")


@pytest.fixture
def dead_letter(app, run_jobs):
    with app.app_context():
        enqueue(fails_for_order_line, 12)
    run_jobs()
    [job] = failed_jobs(app)
    return job


def test_without_redis_the_page_says_jobs_run_in_process(client, admin):
    page = client.get("/admin/jobs")

    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Redis is not configured" in text
    assert 'href="/admin/emails"' in text
    assert 'href="/admin/jobs"' in text  # in the administration navigation


def test_when_redis_cannot_be_reached_the_page_says_so(app, client, admin, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", UNREACHABLE_REDIS_URL)

    page = client.get("/admin/jobs")

    assert page.status_code == 200
    assert "cannot be reached at the moment" in page.get_data(as_text=True)


def test_when_redis_cannot_be_reached_a_button_says_so_and_changes_nothing(
    app, client, admin, post_form, dead_letter, monkeypatch
):
    form_page = "/admin/jobs"
    token_page = client.get(form_page)  # read the form while the queue is up
    assert dead_letter.id in token_page.get_data(as_text=True)
    monkeypatch.setitem(app.config, "REDIS_URL", UNREACHABLE_REDIS_URL)

    response = post_form(f"/admin/jobs/{dead_letter.id}/remove", {}, follow_redirects=True)

    assert response.status_code == 200
    assert "cannot be reached at the moment. Nothing was changed." in response.get_data(
        as_text=True
    )


def test_a_dead_letter_is_listed_in_words_with_the_last_line_of_its_error(
    client, admin, dead_letter
):
    page = client.get("/admin/jobs").get_data(as_text=True)

    assert "test_dead_letters_page.fails_for_order_line" in page  # an unknown job: its name
    assert "ValueError: line 12 is broken second line of the message" in page
    assert "Traceback" not in page
    assert 'id="failed">1<' in page
    assert f'action="/admin/jobs/{dead_letter.id}/retry"' in page
    assert f'action="/admin/jobs/{dead_letter.id}/remove"' in page


def test_removing_a_dead_letter_deletes_it_and_is_audited(
    app, client, admin, post_form, dead_letter
):
    response = post_form(
        f"/admin/jobs/{dead_letter.id}/remove", {}, form_page="/admin/jobs", follow_redirects=True
    )

    assert "was removed" in response.get_data(as_text=True)
    assert failed_jobs(app) == []
    assert "No job has failed every time" in response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "job.remove"))
    assert (entry.actor_email, entry.target_type, entry.target_id) == (
        admin.email,
        "job",
        dead_letter.id,
    )
    assert entry.before["error"] == "ValueError: line 12 is broken second line of the message"


@pytest.mark.parametrize("action", ["retry", "remove"])
@pytest.mark.parametrize("job_id", ["no-such-job", "bad%20id!", "the dead letter, twice"])
def test_a_job_that_is_not_a_dead_letter_gets_a_clear_message(
    app, client, admin, post_form, dead_letter, action, job_id
):
    if job_id == "the dead letter, twice":
        job_id = dead_letter.id
        post_form(f"/admin/jobs/{job_id}/{action}", {}, form_page="/admin/jobs")

    response = post_form(
        f"/admin/jobs/{job_id}/{action}", {}, form_page="/admin/jobs", follow_redirects=True
    )

    assert response.status_code == 200
    assert "no longer in the list" in response.get_data(as_text=True)


def test_a_button_without_the_form_token_is_refused(client, admin, dead_letter, app):
    response = client.post(f"/admin/jobs/{dead_letter.id}/remove")

    assert response.status_code == 400
    assert len(failed_jobs(app)) == 1
