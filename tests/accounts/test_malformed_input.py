"""Whatever arrives in a form or a link, the answer is a page, never a server error."""

from urllib.parse import quote

import pytest
from itsdangerous import URLSafeTimedSerializer

from tests.accounts.helpers import link_in

MISSING = object()

JUNK = {
    "long": "x" * 10_000,
    "long-unicode": "ÿ€😀" * 3_400,
    "right-to-left-override": "\u202eku.vog.elpmaxe@evil",
    "nul": "ada\x00@example.gov.uk",
    "control-characters": "\r\n\t\x1b[0m",
    "unicode-address": "ádá@exämple.gov.uk",
    "several-values": ["ada@example.gov.uk", "grace@example.gov.uk"],
    "empty": "",
    "missing": MISSING,
}

FORMS = {
    "register": ["name", "email", "organisation", "password", "password_confirm"],
    "sign-in": ["email", "password", "remember", "next"],
    "forgotten-password": ["email"],
    "reset-password": ["password", "password_confirm"],
    "change-password": ["current_password", "password", "password_confirm"],
    "resend-verification": ["submit"],
}


@pytest.fixture
def form_path(request, client, auth, create_user, post_form, outbox):
    """The path a form posts to, with the browser signed in or holding a link where it must."""

    def prepare(form: str) -> str:
        if form in {"change-password", "resend-verification"}:
            auth.sign_in(create_user(verified=False).email)
        if form == "reset-password":
            person = create_user()
            post_form("/forgotten-password", {"email": person.email})
            return link_in(outbox.pop())
        return {
            "register": "/register",
            "sign-in": "/sign-in",
            "forgotten-password": "/forgotten-password",
            "change-password": "/account/password",
            "resend-verification": "/account/verify-email",
        }[form]

    return prepare


def _fields(names: list[str], junk) -> dict:
    return {} if junk is MISSING else dict.fromkeys(names, junk)


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("form", FORMS)
def test_junk_in_every_field_of_a_form(form_path, post_form, form, junk):
    path = form_path(form)

    response = post_form(path, _fields(FORMS[form], junk), form_page="/forgotten-password")

    assert response.status_code < 500, response.get_data(as_text=True)


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("field", FORMS["register"])
def test_junk_in_one_field_of_an_otherwise_good_registration(post_form, registration, field, junk):
    fields = registration()
    if junk is MISSING:
        del fields[field]
    else:
        fields[field] = junk

    response = post_form("/register", fields)

    assert response.status_code < 500, response.get_data(as_text=True)


@pytest.mark.parametrize("junk", JUNK.values(), ids=JUNK.keys())
@pytest.mark.parametrize("parameter", ["next", "email"])
def test_junk_in_the_sign_in_address(client, parameter, junk):
    query = {} if junk is MISSING else {parameter: junk}

    response = client.get("/sign-in", query_string=query)

    assert response.status_code < 500


JUNK_TOKENS = [
    "x" * 10_000,
    "\u202e",
    "é",
    "😀",
    "..",
    "a.b.c",
    "a.b.c.d",
    "eyJ1c2VyIjoxfQ.AAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "%00",
    " ",
    "null",
    "[]",
    "{}",
]


@pytest.mark.parametrize("token", JUNK_TOKENS)
@pytest.mark.parametrize("path", ["/verify-email/", "/reset-password/"])
def test_junk_tokens_in_links(client, path, token):
    response = client.get(path + quote(token, safe=""))

    assert response.status_code in {400, 404}


@pytest.mark.parametrize("token", JUNK_TOKENS)
def test_junk_tokens_in_a_reset_form(post_form, token):
    response = post_form(
        "/reset-password/" + quote(token, safe=""),
        {"password": "violet compass harbour 7", "password_confirm": "violet compass harbour 7"},
        form_page="/forgotten-password",
    )

    assert response.status_code in {400, 404}


ODD_PAYLOADS = [
    ["user", 1],
    "user",
    None,
    {},
    {"user": "1", "email": "a@example.gov.uk", "pw": "x"},
    {"user": None},
    {"user": 1.5},
    {"user": -1, "email": None, "pw": None},
    {"user": 2**70, "email": "a@example.gov.uk", "pw": "x"},
    {"user": True, "email": "a@example.gov.uk", "pw": "x"},
]


@pytest.mark.parametrize("payload", ODD_PAYLOADS)
@pytest.mark.parametrize(
    ("path", "salt"),
    [("/verify-email/", "accounts.verify-email"), ("/reset-password/", "accounts.reset-password")],
)
def test_signed_links_of_the_wrong_shape_are_refused(app, client, path, salt, payload):
    token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=salt).dumps(payload)

    response = client.get(path + token)

    assert response.status_code == 400
    assert "This link does not work" in response.get_data(as_text=True)
