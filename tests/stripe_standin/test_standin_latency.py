"""The stand-in answering slowly, as Stripe does on a bad day (no clock is read: the waits are
recorded instead of slept)."""

import pytest

import stripe_standin.__main__ as cli
from stripe_standin import latency
from stripe_standin.app import create_app
from stripe_standin.runtime import StandInConfig


@pytest.fixture
def waits(monkeypatch):
    """The seconds each slowed request would have waited."""
    slept = []
    monkeypatch.setattr(latency.time, "sleep", slept.append)
    return slept


@pytest.fixture
def served(monkeypatch):
    calls = []
    monkeypatch.setattr(cli, "run_simple", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def _config(served):
    [((_, _, app), _)] = served
    return app.extensions["stripe_standin"].config


def test_api_calls_wait_and_controls_and_pages_do_not(waits):
    app = create_app(StandInConfig(latency_ms=400))
    client = app.test_client()
    client.get("/v1/checkout/sessions/cs_test_none")
    assert waits == [0.4]
    client.get("/_standin/")
    client.get("/pay/cs_test_none")
    assert waits == [0.4]


def test_the_jitter_adds_up_to_its_amount_at_random(waits):
    client = create_app(StandInConfig(latency_ms=400, latency_jitter_ms=100)).test_client()
    for _ in range(20):
        client.get("/v1/events")
    assert len(waits) == 20 and all(0.4 <= wait <= 0.5 for wait in waits)


def test_without_latency_nothing_waits(waits):
    create_app(StandInConfig()).test_client().get("/v1/events")
    assert waits == []


def test_the_command_line_sets_the_latency_and_says_so(served, capsys, monkeypatch):
    monkeypatch.delenv("STANDIN_LATENCY_MS", raising=False)
    monkeypatch.delenv("STANDIN_LATENCY_JITTER_MS", raising=False)
    cli.main(["--latency-ms", "400", "--latency-jitter-ms", "50"])
    config = _config(served)
    assert (config.latency_ms, config.latency_jitter_ms) == (400, 50)
    assert "400 ms + up to 50" in capsys.readouterr().out


def test_the_environment_sets_the_latency_and_the_command_line_wins(served, monkeypatch):
    monkeypatch.setenv("STANDIN_LATENCY_MS", "30000")
    monkeypatch.setenv("STANDIN_LATENCY_JITTER_MS", "")
    cli.main([])
    assert (_config(served).latency_ms, _config(served).latency_jitter_ms) == (30000, 0)
    served.clear()
    cli.main(["--latency-ms", "10"])
    assert _config(served).latency_ms == 10


@pytest.mark.parametrize("value", ["slow", "-1", "900000"])
def test_a_latency_that_is_not_milliseconds_is_refused_plainly(served, monkeypatch, capsys, value):
    monkeypatch.setenv("STANDIN_LATENCY_MS", value)
    with pytest.raises(SystemExit):
        cli.main([])
    assert "STANDIN_LATENCY_MS must be" in capsys.readouterr().err
    monkeypatch.delenv("STANDIN_LATENCY_MS")
    with pytest.raises(SystemExit):
        cli.main(["--latency-ms", value])
    assert served == []
