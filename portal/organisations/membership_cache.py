"""Which organisations an address belongs to, kept by each process for the report page.

A signed-in person's report page shows their prices, which depend on their organisation: reading
it is one of the page's three statements, on every view. Each process keeps what it read, by
address, and reads again only when it may have changed, the way the catalogue is kept
(``portal.catalogue.cache``, whose machinery this uses with a token of its own):

- a commit that adds, changes or removes an organisation, one of its domains, named members or
  subscription periods replaces the *generation* token (in Redis when ``REDIS_URL`` is set, else
  in a file in the instance folder); the process that committed drops its copy at once, every
  other within ``CATALOGUE_CHECK_SECONDS`` (1 by default), when it next reads the token;
- a copy is kept at most ``MEMBERSHIP_CACHE_SECONDS`` (60 by default; 0 turns this off), for
  changes made outside the ORM (plain SQL in a console);
- a subscription that ends needs no change at all: the copy holds the periods, and whether one is
  active is decided on each view, against that day.

Only what the report page *shows* comes from here. The basket, checkout and every order read the
memberships afresh (``person_for`` without ``find``), so nobody is ever charged a price from a copy.
"""

from collections.abc import Sequence
from itertools import chain
from pathlib import Path

from flask import Flask, current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from portal.catalogue.cache import CatalogueCache, FileGeneration, RedisGeneration
from portal.extensions import after_commit, after_commit_pending
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
)
from portal.organisations.services import memberships_for_email
from portal.pricing import Membership

REDIS_KEY = "portal:memberships:generation"
_MODELS = (Organisation, OrganisationDomain, InsightSubscription, NamedMember)


def kept_memberships(email: str) -> Sequence[Membership]:
    """``memberships_for_email(email)``, from this process's copy when it is current."""
    address = email.strip().lower()
    return _cache().get(f"memberships:{address}", lambda: tuple(memberships_for_email(address)))


def init_app(app: Flask) -> None:
    if app.config.get("REDIS_URL"):
        generation = RedisGeneration(app.config["REDIS_URL"], REDIS_KEY)
    else:
        generation = FileGeneration(Path(app.instance_path) / "membership-generation")
    app.extensions["membership_cache"] = CatalogueCache(
        generation,
        float(app.config.get("MEMBERSHIP_CACHE_SECONDS", 60)),
        check_every=float(app.config.get("CATALOGUE_CHECK_SECONDS", 1)),
        pending=lambda: after_commit_pending(_announce_change),
    )
    if not event.contains(Session, "after_flush", _note_flushed_changes):
        event.listen(Session, "after_flush", _note_flushed_changes)
        event.listen(Session, "do_orm_execute", _note_bulk_changes)


def memberships_changed(app: Flask | None = None) -> None:
    """Drop every process's copy now (the session hooks below call this after a commit)."""
    (app or current_app).extensions["membership_cache"].changed()


def _cache() -> CatalogueCache:
    return current_app.extensions["membership_cache"]


def _note_flushed_changes(session: Session, flush_context) -> None:
    touched = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, _MODELS) for obj in touched):
        after_commit(_announce_change, session=session)


def _note_bulk_changes(state) -> None:
    if state.is_update or state.is_delete or state.is_insert:
        mapper = state.bind_mapper
        if mapper is not None and issubclass(mapper.class_, _MODELS):
            after_commit(_announce_change, session=state.session)


def _announce_change(_: list) -> None:
    if has_app_context() and "membership_cache" in current_app.extensions:
        memberships_changed()
