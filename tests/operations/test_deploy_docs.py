"""The nginx configuration in docs/deploy.md, as an operator copies it: clients' own
X-Forwarded-Prefix and X-Request-ID never reach the portal, and no token reaches the access log."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_BLOCK = re.compile(r"```nginx\n(.*?)```", re.S)
_MAP_ENTRY = re.compile(r'^\s*~(\S+)\s+"([^"]*)";', re.M)
SECRET = "TOKEN-abc.123_xyz"


@pytest.fixture(scope="module")
def nginx() -> str:
    (block,) = _BLOCK.findall((ROOT / "docs" / "deploy.md").read_text())
    return block


def _logged_path(nginx: str, path: str) -> str:
    """What the documented ``map`` writes for ``path`` (its regular expressions, in order)."""
    for pattern, replacement in _MAP_ENTRY.findall(nginx):
        if re.search(pattern, path):
            return replacement
    return path


def test_the_proxy_clears_what_clients_must_not_decide(nginx):
    assert 'proxy_set_header X-Forwarded-Prefix "";' in nginx
    assert "proxy_set_header X-Request-ID $request_id;" in nginx


def test_every_access_log_uses_the_masked_format(nginx):
    logs = re.findall(r"^\s*access_log\s+([^;]+);", nginx, re.M)
    assert logs and all(line.split()[-1] == "insight_masked" for line in logs)
    (log_format,) = re.findall(r"log_format insight_masked (.*?);", nginx, re.S)
    for variable in ("$request ", "$request_uri", "$args", "$query_string", "$http_referer"):
        assert variable not in log_format + " "
    assert "$insight_logged_path" in log_format


def test_tokens_in_paths_are_logged_as_an_ellipsis(app, nginx):
    token_rules = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert token_rules, "the walk finds the emailed links"
    for rule in token_rules:
        path = rule.rule.replace("<token>", SECRET)
        logged = _logged_path(nginx, path)
        assert SECRET not in logged and logged.endswith("…"), (rule.rule, logged)


@pytest.mark.parametrize("path", ["/reports/modern-public-services", "/orders/INS-2026-000123"])
def test_other_paths_are_logged_as_they_are(nginx, path):
    assert _logged_path(nginx, path) == path
