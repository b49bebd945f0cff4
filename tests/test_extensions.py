"""``after_commit``: side effects wait for the commit, once per transaction, and go with a
rollback."""

import logging

from portal.extensions import after_commit, after_commit_pending, db

calls: list[list] = []


def _note(items: list) -> None:
    calls.append(items)


def _broken(items: list) -> None:
    raise RuntimeError("the cache server went away")


def test_a_callback_runs_once_after_the_commit_with_every_item(ctx):
    calls.clear()
    after_commit(_note, 1)
    after_commit(_note, 2, 3)
    assert after_commit_pending(_note)
    assert calls == []

    db.session.commit()

    assert calls == [[1, 2, 3]]
    assert not after_commit_pending(_note)
    db.session.commit()
    assert calls == [[1, 2, 3]]


def test_a_rollback_forgets_the_callback(ctx):
    calls.clear()
    after_commit(_note, "rolled back")
    db.session.rollback()
    db.session.commit()
    assert calls == []
    assert not after_commit_pending(_note)


def test_a_failing_callback_is_logged_and_the_others_still_run(ctx, caplog):
    calls.clear()
    after_commit(_broken)
    after_commit(_note, "still")

    db.session.commit()

    assert calls == [["still"]]
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        "after the commit, _broken failed"
    ]
