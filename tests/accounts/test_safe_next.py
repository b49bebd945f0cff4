"""Where ``next`` may send someone: only to a page of this site."""

import pytest

from portal.accounts.redirects import safe_next

GOOD = ["/", "/reports", "/reports/x?y=1", "/account#password", "/reports/%2F%2Fevil.example"]

BAD = [
    pytest.param("https://evil.example/", id="absolute-https"),
    pytest.param("http://localhost/account", id="absolute-own-host"),
    pytest.param("//evil.example", id="scheme-relative"),
    pytest.param("///evil.example", id="triple-slash"),
    pytest.param("/\\evil.example", id="slash-backslash"),
    pytest.param("\\\\evil.example", id="double-backslash"),
    pytest.param("/x\\..\\\\evil.example", id="backslash-inside"),
    pytest.param("http:/evil.example", id="scheme-one-slash"),
    pytest.param("https:evil.example", id="scheme-no-slash"),
    pytest.param("javascript:alert(1)", id="javascript"),
    pytest.param("data:text/html,hi", id="data"),
    pytest.param(" /x", id="leading-space"),
    pytest.param("\t//evil.example", id="leading-tab"),
    pytest.param("/\t/evil.example", id="tab-between-slashes"),
    pytest.param("/\r\nLocation: https://evil.example", id="header-injection"),
    pytest.param("/x\x00", id="nul"),
    pytest.param("/x\x7f", id="delete"),
    pytest.param("reports", id="relative"),
    pytest.param("/" + "a" * 2000, id="overlong"),
    pytest.param("", id="empty"),
    pytest.param(None, id="none"),
]


@pytest.mark.parametrize("target", GOOD)
def test_a_path_on_this_site_is_kept(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", BAD)
def test_anything_else_is_refused(target):
    assert safe_next(target) is None


@pytest.mark.parametrize("target", [["/reports"], 42, b"/reports"])
def test_a_value_that_is_not_text_is_refused(target):
    assert safe_next(target) is None
