"""Administrators edit the content pages: a preview, publishing a new version (every version
kept, with who and when), the history, and the later of two saves made from the same version
refused."""

import re

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEntry
from portal.content import services as content
from portal.content.models import ContentVersion
from portal.content.pages import ContentPage
from portal.extensions import db

_BASED_ON = re.compile(r'name="based_on"[^>]*value="([^"]*)"')


def _opened(client, page: str = "privacy") -> str:
    """Open the editor as a browser does; the version id the form carries."""
    response = client.get(f"/admin/pages/{page}")
    assert response.status_code == 200
    return _BASED_ON.search(response.get_data(as_text=True)).group(1)


def _save(post_form, page="privacy", based_on="", button="publish", form_page=None, **fields):
    data = {"title": "Privacy notice", "body": "We keep little.", "note": "", **fields}
    data["based_on"] = based_on
    data[button] = button.title()
    return post_form(f"/admin/pages/{page}", data, form_page=form_page)


def _versions(app, page=ContentPage.PRIVACY) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [(v.number, v.title, v.body) for v in reversed(content.versions(page))]


def test_the_list_names_every_page_and_what_is_published(client, admin, publish_page):
    publish_page(ContentPage.TERMS, title="Terms of sale", author=None)
    page = client.get("/admin/pages").get_data(as_text=True)
    for kind in ContentPage:
        assert f'href="/admin/pages/{kind.value}"' in page
        assert f'href="{kind.path}"' in page
    assert page.count("Not published") == len(ContentPage) - 1
    assert "Version 1" in page


def test_publishing_the_first_version_records_who_and_when(app, client, admin, post_form):
    assert _opened(client) == ""  # nothing to start from
    saved = _save(post_form, body="## Who we are\n\nSocitm.", note="First words")
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/admin/pages/privacy/versions"
    with app.app_context():
        [version] = content.versions(ContentPage.PRIVACY)
        assert (version.number, version.author_user_id, version.note) == (
            1,
            admin.id,
            "First words",
        )
        assert version.body == "## Who we are\n\nSocitm.\n"
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "content.publish"))
        assert (entry.actor_user_id, entry.target_id, entry.after["version"]) == (
            admin.id,
            "privacy",
            1,
        )
    history = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Version 1" in history and admin.name in history and "First words" in history


def test_each_save_is_a_new_version_and_the_old_ones_are_kept(app, client, admin, post_form):
    _save(post_form, body="First.")
    _save(post_form, based_on=_opened(client), body="Second.", title="Our privacy notice")
    assert _versions(app) == [
        (1, "Privacy notice", "First.\n"),
        (2, "Our privacy notice", "Second.\n"),
    ]
    public = client.get("/privacy").get_data(as_text=True)
    assert "Second." in public and "First." not in public and "Our privacy notice" in public
    old = client.get("/admin/pages/privacy/versions/1").get_data(as_text=True)
    assert "First." in old and "Second." not in old
    history = client.get("/admin/pages/privacy/versions").get_data(as_text=True)
    assert history.index("Version 2") < history.index("Version 1")  # newest first


def test_a_preview_shows_the_page_sanitised_and_saves_nothing(app, client, admin, post_form):
    shown = _save(
        post_form,
        button="preview",
        body="## Heading\n\n<script>alert(1)</script> [x](javascript:alert(1))\n\n{support-email}",
    )
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "Preview (not published)" in page
    assert '<h2 class="govuk-heading-m">Heading</h2>' in page
    assert "<script>alert(1)" not in page and 'href="javascript:' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # what was typed, as text
    assert f'href="mailto:{app.config["SUPPORT_EMAIL"]}"' in page
    assert _versions(app) == []


def test_the_later_of_two_editors_is_refused_and_keeps_their_text(app, client, admin, post_form):
    """Two browsers open version 1; the first to publish makes version 2; the second is told,
    with its own text still in the form, and nothing of it is saved."""
    _save(post_form, body="Version one.")
    first_browser = second_browser = _opened(client)
    assert _save(post_form, based_on=first_browser, body="From the first.").status_code == 302
    refused = _save(post_form, based_on=second_browser, body="From the second.")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "Version 2 of the privacy notice was published by" in page
    assert "Your changes have not been saved" in page
    assert "From the second." in page  # still in the text box, to copy
    assert _versions(app)[-1] == (2, "Privacy notice", "From the first.\n")
    assert len(_versions(app)) == 2


def test_a_save_from_an_empty_page_after_someone_published_is_refused(
    app, client, admin, post_form
):
    opened = _opened(client)
    assert _save(post_form, based_on=opened, body="Theirs.").status_code == 302
    assert _save(post_form, based_on=opened, body="Mine.").status_code == 409
    assert _versions(app) == [(1, "Privacy notice", "Theirs.\n")]


def test_the_database_refuses_the_later_save_whatever_the_timing(ctx, create_user, monkeypatch):
    """Both saves passed the check before either was written: the unique (page, number) still
    lets only one become version 2."""
    admin = create_user(is_admin=True)
    first = content.publish(admin, ContentPage.TERMS, content.Draft("T", "One.", "", None))
    content.publish(admin, ContentPage.TERMS, content.Draft("T", "Two.", "", first.id))
    reads = iter([first])  # the first read was made before the other save; later ones are not
    real = content.current_version
    monkeypatch.setattr(content, "current_version", lambda page: next(reads, None) or real(page))
    with pytest.raises(content.EditConflict, match="Version 2 of the terms of sale"):
        content.publish(admin, ContentPage.TERMS, content.Draft("T", "Three.", "", first.id))
    monkeypatch.undo()
    assert [v.body for v in content.versions(ContentPage.TERMS)] == ["Two.\n", "One.\n"]


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"title": ""}, 200, "Enter a title"),
        ({"title": "x" * 121}, 200, "The title must be 120 characters or fewer"),
        ({"body": "   "}, 200, "Enter the page&#39;s text"),
        ({"body": "x" * 100_001}, 200, "The text must be 100,000 characters or fewer"),
        ({"body": "Ask {nobody}."}, 200, "There is no insert called {nobody}"),
        ({"body": "See {cookie-table} here"}, 200, "Put {cookie-table} on a line of its own"),
        ({"note": "n" * 201}, 200, "Say what changed in 200 characters or fewer"),
        ({"based_on": "abc"}, 400, "This form could not be read"),
        ({"based_on": "99999999999"}, 400, "This form could not be read"),
        ({"based_on": "12345"}, 409, "The version you opened is no longer there"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_changes_nothing(
    app, client, admin, post_form, fields, status, message
):
    based_on = fields.pop("based_on", "")
    response = _save(post_form, based_on=based_on, **fields)
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page and "There is a problem" in page
    assert _versions(app) == []


def test_publishing_the_same_words_again_is_refused(app, client, admin, post_form):
    _save(post_form, body="Same.")
    again = _save(post_form, based_on=_opened(client), body="Same.")
    assert "You have not changed anything" in again.get_data(as_text=True)
    assert len(_versions(app)) == 1


@pytest.mark.parametrize(
    "path",
    ["/admin/pages/nonsense", "/admin/pages/nonsense/versions", "/admin/pages/terms/versions/7"],
)
def test_pages_and_versions_that_do_not_exist_are_not_found(client, admin, path):
    assert client.get(path).status_code == 404


def test_people_who_are_not_administrators_cannot_publish(
    app, client, auth, create_user, post_form
):
    user = create_user()
    auth.sign_in(user.email)
    assert _save(post_form, body="Defaced.", form_page="/account").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ContentVersion)) == 0
