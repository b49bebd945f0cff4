"""``python -m stripe_standin``: its defaults and the line it prints."""

import pytest

import stripe_standin.__main__ as cli


@pytest.fixture
def served(monkeypatch):
    """What ``run_simple`` would have been asked to serve (nothing is started)."""
    calls = []
    monkeypatch.setattr(cli, "run_simple", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_the_defaults_suit_the_portals_demo(served, capsys):
    cli.main([])
    [((host, port, app), options)] = served
    assert (host, port, options) == ("127.0.0.1", 12111, {"threaded": True})
    config = app.extensions["stripe_standin"].config
    assert config.secret_key == "sk_test_standin"
    assert config.webhook_secret == "whsec_standin"
    assert config.webhook_url == "http://127.0.0.1:5000/stripe/webhook"
    [line] = capsys.readouterr().out.splitlines()
    assert "http://127.0.0.1:12111" in line


def test_options_are_honoured(served):
    cli.main(["--host", "127.0.0.1", "--port", "12999", "--secret-key", "sk_test_other",
              "--webhook-secret", "whsec_other", "--webhook-url", ""])  # fmt: skip
    [((_, port, app), _)] = served
    config = app.extensions["stripe_standin"].config
    assert port == 12999
    assert (config.secret_key, config.webhook_secret, config.webhook_url) == (
        "sk_test_other", "whsec_other", None,
    )  # fmt: skip
