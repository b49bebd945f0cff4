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

from flask import Flask

from portal.kept_copies import KeptCopies
from portal.organisations.models import (
    InsightSubscription,
    NamedMember,
    Organisation,
    OrganisationDomain,
)
from portal.organisations.services import memberships_for_email
from portal.pricing import Membership

REDIS_KEY = "portal:memberships:generation"


def kept_memberships(email: str) -> Sequence[Membership]:
    """``memberships_for_email(email)``, from this process's copy when it is current."""
    address = email.strip().lower()
    return _cache().get(f"memberships:{address}", lambda: tuple(memberships_for_email(address)))


_kept = KeptCopies(
    "membership_cache",
    (Organisation, OrganisationDomain, InsightSubscription, NamedMember),
    REDIS_KEY,
    "membership-generation",
    "MEMBERSHIP_CACHE_SECONDS",
)
init_app = _kept.init_app
_cache = _kept.cache


def memberships_changed(app: Flask | None = None) -> None:
    """Drop every process's copy now (a commit that changes memberships does this itself)."""
    _kept.changed(app)
