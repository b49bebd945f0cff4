"""``flask send-outbox --loop``: keeps sending until stopped, and survives a failed pass."""

import logging
import os
import signal

from portal.email import cli
from portal.email.sending import SendCounts


def test_the_loop_goes_on_after_a_failed_pass_and_stops_on_sigterm(runner, monkeypatch, caplog):
    passes = []

    def fake_send_due(limit):
        passes.append(limit)
        if len(passes) == 1:
            return SendCounts(sent=limit)  # a full pass: the next starts without waiting
        os.kill(os.getpid(), signal.SIGTERM)  # how `make run` stops it
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cli, "send_due", fake_send_due)
    handler_before = signal.getsignal(signal.SIGTERM)

    result = runner.invoke(args=["send-outbox", "--loop", "--limit", "2"])

    assert result.exit_code == 0, result.output
    assert result.output == (
        "Sending the outbox every 15 seconds.\n"
        "Outbox: 2 sent, 0 to retry, 0 given up.\n"
        "Outbox sender stopped.\n"
    )
    assert passes == [2, 2]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "the outbox pass failed"
    ]
    assert signal.getsignal(signal.SIGTERM) is handler_before
