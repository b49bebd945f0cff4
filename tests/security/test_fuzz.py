"""Bad input, fuzzed: every form and every URL parameter gets random, overlong, wrongly typed,
Unicode-tricky and missing values, signed in and not. Never a 500; a rejected request writes
nothing. (The Stripe webhook has its own signature tests; uploads are in test_uploads.py.)"""

import html
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import TestingConfig
from portal import create_app
from tests.security.helpers import count_rows, session_csrf

FUZZ = settings(
    max_examples=25,
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

SKIPPED_POSTS = {
    "payments.webhook",  # signed by Stripe: tests/payments
    "admin.report_upload_pdf",  # uploads: test_uploads.py
    "admin.report_upload_cover",
    "admin.import_subscribers",
}

TRICKY = [
    "",
    " ",
    "\u202egpj.exe",  # right-to-left override
    "a\u200bb\u200d",  # zero-width space and joiner
    "e\u0301\u0301\u0301\u0301",  # stacked combining marks
    "\U0001f600\U0001f1ec\U0001f1e7",  # emoji and a flag
    "\x00",
    "a\x00b",
    "\ufeffBOM",
    "\r\n\r\nX-Injected: 1",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%s%n%x",
    "../../../etc/passwd",
    "-1",
    "0",
    "1e309",
    "NaN",
    "99999999999999999999999999",
    "\uff11\uff12",  # full-width digits
    "2026-02-30",
    "jo@eastbridge.gov.uk\n",
]

values = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=60),
    st.integers().map(str),
    st.integers(min_value=1, max_value=10_000).map(lambda n: "\u00e9" * n),  # overlong
    st.lists(st.sampled_from(TRICKY), min_size=2, max_size=3),  # a field sent twice
)

_FORM = re.compile(r"<form[^>]*action=\"([^\"]+)\"(.*?)</form>", re.S)
_NAME = re.compile(r"<(?:input|select|textarea|button)[^>]*\sname=\"([^\"]+)\"")
_GENERIC_FIELDS = ["quantity", "note", "email", "name", "reference", "amount", "token"]
_QUERY_KEYS = ["page", "q", "status", "since", "until", "action", "token", "session_id", "next"]


def _post_cases() -> list[tuple[str, str]]:
    app = create_app(TestingConfig)
    cases = []
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in SKIPPED_POSTS:
            continue
        personas = ["admin"] if rule.endpoint.startswith("admin.") else ["anonymous", "customer"]
        cases += [(rule.endpoint, persona) for persona in personas]
    return sorted(cases)


def _get_cases() -> list[str]:
    app = create_app(TestingConfig)
    return sorted({r.endpoint for r in app.url_map.iter_rules() if "GET" in r.methods} - {"static"})


def _rule(app, endpoint: str):
    return next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def _form_fields(client, path: str, pages: list[str]) -> list[str]:
    """The field names of the form that posts to ``path``, found on the pages that show it."""
    for page in pages:
        text = client.get(page).get_data(as_text=True)
        for action, body in _FORM.findall(text):
            if html.unescape(action).split("?")[0] == path:
                names = {n for n in _NAME.findall(body) if n != "csrf_token"}
                if names:
                    return sorted(names)
    return _GENERIC_FIELDS


def _host_pages(world, path: str, rule) -> list[str]:
    pages = [path] if "GET" in rule.methods else []
    return [
        *pages,
        f"/admin/orders/{world.reference}",
        f"/admin/organisations/{world.organisation_id}",
        f"/admin/reports/{world.slug}",
        "/admin/users",
        "/basket",
        f"/orders/{world.reference}",
        f"/reports/{world.slug}",
        "/account",
    ]


def _rejected(response) -> bool:
    return response.status_code in (400, 409, 422) or (
        "There is a problem" in response.get_data(as_text=True)
    )


@pytest.fixture
def errors_render(app, monkeypatch):
    """Let the error pages render, as in production, so a crash shows up as a 500."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)


@pytest.mark.parametrize(("endpoint", "persona"), _post_cases())
def test_forms_survive_any_input(app, world, persona_client, errors_render, endpoint, persona):
    from tests.security.test_authorisation_matrix import _path

    rule = _rule(app, endpoint)
    path = _path(app, world, endpoint)
    client = persona_client(persona)
    # Field names are read while signed in as someone who can see the forms.
    fields = _form_fields(persona_client("admin"), path, _host_pages(world, path, rule))
    token = session_csrf(client)

    @FUZZ
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, values)))
    def post_anything(data):
        before = count_rows(app)
        response = client.post(path, data={**data, "csrf_token": token})
        assert response.status_code < 500, f"{endpoint} answered {response.status_code} to {data!r}"
        if _rejected(response):
            assert count_rows(app) == before, f"{endpoint} wrote rows while refusing {data!r}"

    post_anything()


_segment = st.one_of(
    st.sampled_from([t for t in TRICKY if t]),
    st.text(min_size=1, max_size=40),
    st.integers(min_value=1, max_value=10_000).map(lambda n: "x" * n),
)
_number = st.one_of(
    st.integers(min_value=0, max_value=2**70),  # beyond any database integer
    st.sampled_from([0, 1, 2**31, 2**63]),
)


@pytest.mark.parametrize("endpoint", _get_cases())
def test_url_parameters_survive_any_input(app, world, persona_client, errors_render, endpoint):
    rule = _rule(app, endpoint)
    client = persona_client("admin" if rule.rule.startswith("/admin") else "customer")
    converters = {name: type(conv).__name__ for name, conv in rule._converters.items()}

    @FUZZ
    @given(
        arguments=st.fixed_dictionaries(
            {
                name: _number if kind == "IntegerConverter" else _segment
                for name, kind in converters.items()
            }
        ),
        query=st.dictionaries(st.sampled_from(_QUERY_KEYS), _segment, max_size=3),
    )
    def get_anything(arguments, query):
        path = rule.rule
        for name, value in arguments.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", quote(str(value), safe=""), path)
        response = client.get(path, query_string=query)
        response.close()
        assert response.status_code < 500, f"GET {path} {query!r}: {response.status_code}"

    get_anything()
