"""A name someone typed appears in an email cut to a sensible length, on one line: a form's name
field cannot carry a message of its own to an address the same person chose."""

from pathlib import Path

import pytest
from jinja2 import nodes

from portal.email import NAME_LENGTH, short_name
from portal.email.models import OutboxEmail
from portal.extensions import db
from tests.helpers import TEST_PASSWORD

EMAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "email"
#: Attributes that hold a name a person typed (their own, their organisation's, a recipient's).
NAME_ATTRIBUTES = {"name", "delivery_name", "organisation", "organisation_name"}
LONG_NAME = "Jo " + "Evans " * 40 + "— claim your prize at evil.example"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Jo Evans", "Jo Evans"),
        ("  Jo\n\tEvans  ", "Jo Evans"),
        ("x" * NAME_LENGTH, "x" * NAME_LENGTH),
        ("x" * (NAME_LENGTH + 1), "x" * (NAME_LENGTH - 1) + "…"),
        ("ab " * 40, ("ab " * 40)[: NAME_LENGTH - 1].rstrip() + "…"),
        (None, ""),
    ],
)
def test_a_name_is_shown_on_one_line_and_cut_with_an_ellipsis(typed, shown):
    assert short_name(typed) == shown
    assert len(short_name(typed)) <= NAME_LENGTH


def test_a_long_name_given_at_registration_reaches_the_email_cut(app, client, post_form):
    post_form(
        "/register",
        {
            "name": LONG_NAME[:200],
            "email": "jo@eastbridge.gov.uk",
            "organisation": "",
            "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD,
        },
    )

    with app.app_context():
        [email] = db.session.query(OutboxEmail).all()
        bodies = email.body_text + email.body_html
    assert f"Dear {short_name(LONG_NAME[:200])}," in email.body_text
    assert "evil.example" not in bodies
    assert LONG_NAME[: NAME_LENGTH + 10] not in bodies


def _unfiltered_names(node, filtered: bool = False):
    """Names printed by ``node`` without passing through ``short_name``."""
    if isinstance(node, nodes.Filter) and node.name == "short_name":
        filtered = True
    if isinstance(node, nodes.Getattr) and node.attr in NAME_ATTRIBUTES and not filtered:
        yield node.attr
    for child in node.iter_child_nodes():
        yield from _unfiltered_names(child, filtered)


@pytest.mark.parametrize(
    "path", sorted(p.relative_to(EMAIL_TEMPLATES).as_posix() for p in EMAIL_TEMPLATES.glob("*/*"))
)
def test_every_email_template_cuts_the_names_it_prints(app, path):
    source = (EMAIL_TEMPLATES / path).read_text()
    tree = app.jinja_env.parse(source)
    printed = [name for output in tree.find_all(nodes.Output) for name in _unfiltered_names(output)]
    assert printed == [], f"{path} prints {printed} without |short_name"


def test_the_check_finds_a_name_printed_without_the_filter(app):
    tree = app.jinja_env.parse("Dear {{ user.name }}, from {{ order.organisation_name|e }}")
    found = [n for output in tree.find_all(nodes.Output) for n in _unfiltered_names(output)]
    assert found == ["name", "organisation_name"]
