"""What each process keeps of some tables, and how every process learns that they changed.

A copy (``CatalogueCache``) is valid for one *generation* token at a time. ``KeptCopies`` replaces
the token whenever a commit changed one of its tables (caught from the session's flushes and bulk
statements, so every path that writes through the ORM counts, the admin's edits included). The
token lives in Redis when ``REDIS_URL`` is set (shared by every app server), otherwise in a small
file in the instance folder (shared by the workers of one machine). A process that finds a token
it has not seen drops its copy. Entries also expire after a number of seconds (a setting per
copy; 0 turns it off), a backstop for changes made outside the ORM (plain SQL in a console).

Reading the token is a round trip to Redis (or a file read); so a process asks again at most every
``CATALOGUE_CHECK_SECONDS`` (1 by default; 0 asks on every read). Another process's change shows
here within that second; the process that made the change drops its own copy at once.

A reader takes the token *before* reading the database, so a copy read just before a change is
filed under the old token, which nobody asks for again once the change's new token is out.

Users: the public catalogue (``portal.catalogue.cache``), printed stock
(``portal.catalogue.kept_stock``) and memberships (``portal.organisations.membership_cache``).
"""

import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from itertools import chain
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.extensions import after_commit, after_commit_pending

log = logging.getLogger(__name__)

T = TypeVar("T")
#: How long a thread waits for another's reading of a key before reading it itself.
READ_WAIT_SECONDS = 10.0


class RedisGeneration:
    """The token in Redis (at ``key``), shared by every app server."""

    def __init__(self, url: str, key: str):
        import redis

        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._key = key

    def current(self) -> str:
        token = self._redis.get(self._key)
        if token is None:  # first use, or Redis lost its data: start a token nobody has seen
            self._redis.set(self._key, uuid.uuid4().hex, nx=True)
            token = self._redis.get(self._key)
        return token.decode() if isinstance(token, bytes) else str(token)

    def replace(self) -> None:
        self._redis.set(self._key, uuid.uuid4().hex)


class FileGeneration:
    """The token in a file, shared by the processes of one machine (no Redis)."""

    def __init__(self, path: Path):
        self._path = path

    def current(self) -> str:
        try:
            return self._path.read_text()
        except FileNotFoundError:
            self.replace()
            return self._path.read_text()

    def replace(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fresh = self._path.with_name(f"{self._path.name}.{uuid.uuid4().hex}")
        fresh.write_text(uuid.uuid4().hex)
        os.replace(fresh, self._path)  # atomic: readers see the old token or the new one


class CatalogueCache:
    """This process's copy of the catalogue, valid for one generation token at a time."""

    def __init__(
        self,
        generation: RedisGeneration | FileGeneration,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
        check_every: float = 0,
        pending: Callable[[], bool] | None = None,
    ):
        self.generation = generation
        # Whether this session's own change waits for its commit (then the database is read).
        self._pending = pending or (lambda: False)
        self.seconds = seconds
        self.check_every = check_every
        self._clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._checked_at: float | None = None  # when the token was last read (clock seconds)
        self._entries: dict[str, tuple[float, object]] = {}
        # Keys being read afresh, by (generation, key): one thread reads, the others wait or
        # serve the copy that has only grown old (see ``get``).
        self._reading: dict[tuple[str, str], threading.Event] = {}

    def _current_token(self, now: float) -> str:
        """The generation token: read again when the last reading is ``check_every`` old."""
        with self._lock:
            checked_at, token = self._checked_at, self._token
        if token is not None and checked_at is not None and now - checked_at < self.check_every:
            return token
        token = self.generation.current()
        with self._lock:
            self._checked_at = now
        return token

    def get(self, key: str, load: Callable[[], T], limit: tuple[str, int] | None = None) -> T:
        """The cached value of ``key``, or ``load()`` (kept for the current generation; with
        ``limit`` = (prefix, most), not kept when ``most`` entries with that prefix already are).

        One thread at a time reads a key afresh. When a copy has only grown old (the same
        generation, past ``seconds``), the others go on serving it meanwhile; when there is no
        copy for this generation (first use, or an edit replaced the token), they wait for that
        one reading rather than each making their own: every thread of a busy worker reading the
        whole catalogue at once, the moment it expires, stalled the worker for most of a second.
        """
        if self.seconds <= 0 or self._pending():
            return load()  # off, or this transaction's own uncommitted edits must show
        now = self._clock()
        try:
            token = self._current_token(now)
        except Exception:  # Redis unreachable: the database still answers
            log.warning("catalogue cache: generation unavailable; reading the database")
            return load()
        with self._lock:
            if token != self._token:
                self._token, self._entries = token, {}
            found = self._entries.get(key)
            if found is not None and now - found[0] < self.seconds:
                return found[1]  # type: ignore[return-value]
            reading = self._reading.get((token, key))
            if reading is None:
                reading = self._reading[(token, key)] = threading.Event()
                mine = True
            else:
                mine = False
        if not mine:
            if found is not None:
                return found[1]  # type: ignore[return-value]
            reading.wait(READ_WAIT_SECONDS)
            with self._lock:
                found = self._entries.get(key) if token == self._token else None
            # Kept by the reader waited for; or it failed, or an edit came in between.
            return found[1] if found is not None else load()  # type: ignore[return-value]
        try:
            value = load()
            with self._lock:
                if token == self._token:  # a newer generation arrived meanwhile: keep nothing
                    self._entries = {  # out-of-date entries go, so pages kept per day and per
                        k: entry  # stock level do not pile up
                        for k, entry in self._entries.items()
                        if now - entry[0] < self.seconds
                    }
                    if limit is None or _count(self._entries, limit[0]) < limit[1]:
                        self._entries[key] = (now, value)
        finally:
            with self._lock:
                self._reading.pop((token, key), None)
            reading.set()
        return value

    def changed(self) -> None:
        """Tell every process the catalogue changed (after the commit)."""
        with self._lock:
            self._token, self._checked_at, self._entries = None, None, {}
        try:
            self.generation.replace()
        except Exception:
            log.exception("catalogue cache: could not announce a change; entries expire by age")


def _count(entries: dict[str, object], prefix: str) -> int:
    return sum(1 for key in entries if key.startswith(prefix))


class KeptCopies:
    """What each process keeps of some tables (a ``CatalogueCache`` in ``app.extensions[name]``),
    and how every process learns that a commit changed them: any flush or bulk statement that
    writes one of ``models`` asks for the announcement after the commit (until then the session
    that wrote reads the database); the announcement replaces the generation token, at
    ``redis_key`` in Redis or in the instance folder's ``file_name``. ``seconds_setting`` names
    the setting that bounds a copy's age; a bulk statement run with the execution option
    ``skip_option`` changes nothing kept here."""

    def __init__(
        self,
        name: str,
        models: tuple[type, ...],
        redis_key: str,
        file_name: str,
        seconds_setting: str,
        skip_option: str | None = None,
    ):
        self.name, self.models, self.skip_option = name, models, skip_option
        self.redis_key, self.file_name, self.seconds_setting = redis_key, file_name, seconds_setting
        # Listened to once per process, whatever the number of apps made (tests make many).
        event.listen(Session, "after_flush", self._note_flushed_changes)
        event.listen(Session, "do_orm_execute", self._note_bulk_changes)

    def init_app(self, app: Flask) -> None:
        if app.config.get("REDIS_URL"):
            generation = RedisGeneration(app.config["REDIS_URL"], self.redis_key)
        else:
            generation = FileGeneration(Path(app.instance_path) / self.file_name)
        app.extensions[self.name] = CatalogueCache(
            generation,
            float(app.config.get(self.seconds_setting, 60)),
            check_every=float(app.config.get("CATALOGUE_CHECK_SECONDS", 1)),
            pending=lambda: after_commit_pending(self._announce_change),
        )

    def cache(self) -> CatalogueCache:
        return current_app.extensions[self.name]

    def changed(self, app: Flask | None = None) -> None:
        """Drop every process's copy now (the session hooks call this after a commit)."""
        (app or current_app).extensions[self.name].changed()

    def _note_flushed_changes(self, session: Session, flush_context) -> None:
        touched = chain(session.new, session.dirty, session.deleted)
        if any(isinstance(obj, self.models) for obj in touched):
            after_commit(self._announce_change, session=session)

    def _note_bulk_changes(self, state) -> None:
        if self.skip_option and state.execution_options.get(self.skip_option):
            return
        if state.is_update or state.is_delete or state.is_insert:
            mapper = state.bind_mapper
            if mapper is not None and issubclass(mapper.class_, self.models):
                after_commit(self._announce_change, session=state.session)

    def _announce_change(self, _: list) -> None:
        if has_app_context() and self.name in current_app.extensions:
            self.changed()
