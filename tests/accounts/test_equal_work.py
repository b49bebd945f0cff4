"""Registering and asking for a password reset do the same work, and so take the same time,
whether or not the address has an account: the time taken must not tell who has one."""

import statistics
import time
from collections import Counter

import pytest

from portal.accounts import services
from tests.helpers import TEST_PASSWORD, csrf_token

TAKEN = "taken@example.gov.uk"


def _form(route: str, address: str) -> dict:
    if route == "/register":
        return {
            "name": "Ada Lovelace",
            "email": address,
            "organisation": "",
            "password": TEST_PASSWORD,
            "password_confirm": TEST_PASSWORD,
        }
    return {"email": address}


@pytest.fixture
def hash_calls(monkeypatch):
    """Every password hash made or checked by the accounts services, by kind."""
    calls: list[str] = []
    made, checked = services.generate_password_hash, services.check_password_hash

    def generate(*args, **kwargs):
        calls.append("make")
        return made(*args, **kwargs)

    def check(*args, **kwargs):
        calls.append("check")
        return checked(*args, **kwargs)

    monkeypatch.setattr(services, "generate_password_hash", generate)
    monkeypatch.setattr(services, "check_password_hash", check)
    return calls


def _work(app, route, address, count_queries, outbox, hash_calls) -> dict:
    """What one POST of the form did: hashes, emails queued and sent, SQL statements by kind."""
    browser = app.test_client()
    token = csrf_token(browser, route)
    hash_calls.clear()
    outbox.clear()
    with count_queries() as statements:
        response = browser.post(route, data={"csrf_token": token, **_form(route, address)})
    assert response.status_code in (200, 302)
    return {
        "hashes": sorted(hash_calls),
        "emails": [message.to for message in outbox],
        "statements": sorted(
            statement.split()[0].upper()
            + (" users" if "INTO users" in statement or "UPDATE users" in statement else "")
            for statement in statements
        ),
    }


@pytest.mark.parametrize("route", ["/register", "/forgotten-password"])
def test_the_same_work_whether_or_not_the_address_has_an_account(
    app, create_user, count_queries, outbox, hash_calls, route
):
    create_user(email=TAKEN)

    taken = _work(app, route, TAKEN, count_queries, outbox, hash_calls)
    free = _work(app, route, "free@example.gov.uk", count_queries, outbox, hash_calls)

    assert taken["hashes"] == free["hashes"]
    assert len(taken["emails"]) == len(free["emails"]) == 1
    # A new account is one more row; every other statement is the same either way.
    new_account_row = Counter(["INSERT users"] if route == "/register" else [])
    assert Counter(taken["statements"]) + new_account_row == Counter(free["statements"])


#: Calls of each case; medians of this many in-process calls, alternated, are steady on a busy
#: machine, and the bound is wide: the leaks it catches differ by several times, not percent.
CALLS = 30
BOUND = 1.6


@pytest.mark.parametrize("route", ["/register", "/forgotten-password"])
def test_the_time_taken_does_not_tell_whether_the_address_has_an_account(
    app, create_user, outbox, monkeypatch, route
):
    # The production hash: the slow part of the work, which must be done either way.
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", "scrypt")
    create_user(email=TAKEN)
    browser = app.test_client()
    token = csrf_token(browser, route)
    times: dict[str, list[float]] = {"taken": [], "free": []}

    def timed(case: str, address: str) -> None:
        data = {"csrf_token": token, **_form(route, address)}
        start = time.perf_counter()
        response = browser.post(route, data=data)
        times[case].append(time.perf_counter() - start)
        assert response.status_code in (200, 302)

    for n in range(CALLS + 2):
        free = f"free{n}@example.gov.uk"
        # Alternate which goes first, so neither always follows the other.
        order = [("taken", TAKEN), ("free", free)][:: 1 if n % 2 else -1]
        for case, address in order:
            timed(case, address)
    medians = {case: statistics.median(values[2:]) for case, values in times.items()}

    ratio = max(medians.values()) / min(medians.values())
    assert ratio < BOUND, f"medians {medians}"
