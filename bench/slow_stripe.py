"""Scenario 10: a slow Stripe must not stall the site.

Stripe answers every API call in 400 ms (the stand-in's ``--latency-ms``, plus up to 50 ms at
random) while 32 buyers start card checkout continuously, each on an order of their own, and 16
visitors read a report page. Each worker model is measured side by side in one run, on a portal
of its own (the same production settings as the rest of the bench, two workers):

- the visitors alone (their p95 is the yardstick);
- the visitors beside the 32 buyers: the visitors' p95 against the yardstick (target: at most
  twice), the Checkout Sessions opened per second (counted in the database; target ≥ 20),
  errors and timeouts (target none);
- the same with Stripe down: first refusing connections (the stand-in stopped), then accepting
  them and answering nothing for 30 s. The visitors must not notice; the buyers must be told
  plainly (the portal's "Card payments are not available" page) and their orders kept.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from client import USER_AGENT, Browser
from load import Load, run_wrk, script
from processes import BIN, gunicorn_command
from scenarios import Bench, Row
from sqlalchemy import create_engine, text

from process_group import Processes

BUYERS = 32
VISITORS = 16
LATENCY_MS, JITTER_MS = 400, 50
HANG_MS = 30_000
SECONDS = 10
#: Orders made for each worker model's buyers: more than 32 buyers can pay for at 400 ms each in
#: the warm-up and the run, so that every request opens a first Checkout Session; and, apart,
#: the orders the buyers try to pay while Stripe is down.
ORDERS_PER_MODEL = 1_200
SPARE_ORDERS = 60
#: Orders copied for the buyers get ids from here on (the bench's own end at 100,000).
FIRST_ORDER_ID = 200_001

#: The worker models compared: a name, the worker processes, and the environment that selects
#: it. The first is the portal's default (gunicorn.conf.py); the last what it was before.
MODELS = (
    ("default (gunicorn.conf.py): 2 workers of 32 threads", 2, {}),
    ("4 workers of 16 threads", 4, {"GUNICORN_THREADS": "16"}),
    ("sync, 2 workers, one request each", 2, {"GUNICORN_THREADS": "1"}),
)


@dataclass
class Ports:
    standin: int
    portal: int


def _copy_orders(engine, template: int, first: int, count: int) -> list[str]:
    """Copy the pending card order ``template`` (the buyer's) ``count`` times, with ids from
    ``first``; return their references."""
    last = first + count - 1
    with engine.begin() as conn:
        columns = list(
            conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = :t AND table_schema = current_schema()"
                ),
                {"t": "orders"},
            ).scalars()
        )
        chosen = {
            "id": "n",
            "reference": "'INS-2026-' || lpad(n::text, 6, '0')",
            "created_at": "now()",
            "state": "'pending_payment'",
        }
        listed = ", ".join(columns)
        values = ", ".join(chosen.get(column, f"o.{column}") for column in columns)
        conn.execute(
            text(
                f"INSERT INTO orders ({listed}) SELECT {values} "  # noqa: S608 (our column names)
                "FROM orders o, generate_series(:first, :last) n WHERE o.id = :template"
            ),
            {"first": first, "last": last, "template": template},
        )
        line_columns = [
            column
            for column in conn.execute(
                text(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = :t AND table_schema = current_schema()"
                ),
                {"t": "order_lines"},
            ).scalars()
            if column != "id"
        ]
        line_values = ", ".join("n" if c == "order_id" else f"l.{c}" for c in line_columns)
        conn.execute(
            text(
                f"INSERT INTO order_lines ({', '.join(line_columns)}) "  # noqa: S608
                f"SELECT {line_values} FROM order_lines l, generate_series(:first, :last) n "
                "WHERE l.order_id = :template"
            ),
            {"first": first, "last": last, "template": template},
        )
        conn.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('orders', 'id'), "
                "(SELECT max(id) FROM orders))"
            )
        )
    return [f"INS-2026-{n:06d}" for n in range(first, last + 1)]


def _sessions_opened(engine, first: int, last: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM checkout_attempts WHERE order_id BETWEEN :a AND :b"),
            {"a": first, "b": last},
        ).scalar_one()


def _still_pending(engine, first: int, last: int) -> int:
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT count(*) FROM orders WHERE id BETWEEN :a AND :b "
                "AND state = 'pending_payment'"
            ),
            {"a": first, "b": last},
        ).scalar_one()


def stop_server(processes: Processes, process: subprocess.Popen) -> None:
    """Stop one of the bench's servers (its whole process group) and forget it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)
    processes.started[:] = [(n, p) for n, p in processes.started if p is not process]


def _standin(processes: Processes, port: int, latency_ms: int, secret_key: str, webhook: str):
    command = [str(BIN / "python"), "-m", "stripe_standin", "--port", str(port)]
    command += ["--secret-key", secret_key, "--webhook-secret", webhook, "--webhook-url", ""]
    command += ["--latency-ms", str(latency_ms)]
    if latency_ms < HANG_MS:
        command += ["--latency-jitter-ms", str(JITTER_MS)]
    return processes.start(f"standin-{port}-{latency_ms}", command, dict(os.environ), port)


class Crowd:
    """The visitors and the buyers of one portal."""

    def __init__(self, bench: Bench, portal: str):
        self.portal = portal
        self.report = f"{portal}/reports/{bench.data.report_slug}"
        buyer = Browser(portal)  # signed in here: this portal has a secret key of its own
        buyer.sign_in(bench.data.buyer_email, bench.data.buyer_password)
        token = buyer.csrf_token(f"/reports/{bench.data.report_slug}")
        self.buyer = buyer
        self.pay_body = urlencode({"csrf_token": token})
        self.pay_headers = {
            "Cookie": buyer.cookie_header,
            "Content-Type": "application/x-www-form-urlencoded",
        }

    def visitors(self, seconds: int = SECONDS) -> Load:
        return run_wrk(self.report, script(), seconds=seconds, connections=VISITORS)

    def buyers(self, references: list[str], seconds: int = SECONDS) -> Load:
        paths = [f"/orders/{reference}/pay" for reference in references]
        lua = script(method="POST", body=self.pay_body, headers=self.pay_headers, paths=paths)
        return run_wrk(self.portal + paths[0], lua, seconds=seconds, connections=BUYERS)

    def together(self, references: list[str]) -> tuple[Load, Load]:
        """Visitors and buyers at the same time; (visitors, buyers)."""
        with ThreadPoolExecutor(2) as pool:
            buying = pool.submit(self.buyers, references)
            time.sleep(0.5)  # the buyers first, so that the visitors meet a busy site
            visiting = pool.submit(self.visitors, SECONDS - 1)
            return visiting.result(), buying.result()

    def told(self, reference: str) -> str:
        """What one buyer is shown now: the status and the page's heading."""
        try:
            answer = requests.post(
                f"{self.portal}/orders/{reference}/pay",
                data=self.pay_body,
                headers={**self.pay_headers, "User-Agent": USER_AGENT},
                allow_redirects=False,
                timeout=60,
            )
        except requests.RequestException as error:
            return f"no answer ({type(error).__name__})"
        heading = answer.text.split('<h1 class="govuk-heading-l">', 1)[-1].split("</h1>", 1)[0]
        return (
            f"{answer.status_code} “{heading.strip()[:80]}”" if answer.status_code != 303 else "303"
        )


def slow_stripe(
    bench: Bench,
    processes: Processes,
    database_url: str,
    environment: Callable[[int, int], dict[str, str]],
    ports: Ports,
    keys: tuple[str, str],
) -> list[Row]:
    """Scenario 10 for each worker model in MODELS; ``environment(portal_port, standin_port)``
    is the portal's production environment pointing at that stand-in."""
    engine = create_engine(database_url)
    rows: list[Row] = []
    template = int(bench.data.checkout_references[-1].rsplit("-", 1)[1])
    try:
        standin = _standin(processes, ports.standin, LATENCY_MS, *keys)
        for number, (model, workers, extra) in enumerate(MODELS):
            first = FIRST_ORDER_ID + number * (ORDERS_PER_MODEL + SPARE_ORDERS)
            made = _copy_orders(engine, template, first, ORDERS_PER_MODEL + SPARE_ORDERS)
            references, spare = made[:ORDERS_PER_MODEL], made[ORDERS_PER_MODEL:]
            last = first + ORDERS_PER_MODEL - 1
            portal = processes.start(
                f"portal-{ports.portal}-{number}",
                gunicorn_command("wsgi:app", ports.portal, workers),
                {**environment(ports.portal, ports.standin), **extra},
                ports.portal,
            )
            try:
                crowd = Crowd(bench, f"http://127.0.0.1:{ports.portal}")
                # Warm-up: templates compiled, connections open, at both ends. The visitors
                # alone come before the buyers' warm-up: a sync worker still serves, one by one,
                # requests whose buyer has gone.
                crowd.visitors(2)
                alone = crowd.visitors()
                crowd.buyers(references[: ORDERS_PER_MODEL // 4], 2)
                opened_before = _sessions_opened(engine, first, last)
                visitors, buyers = crowd.together(references[ORDERS_PER_MODEL // 4 :])
                opened = _sessions_opened(engine, first, last) - opened_before
                rows.extend(_rows(model, alone, visitors, buyers, opened))
                if number == 0:
                    standin = _stripe_down(
                        crowd, processes, standin, ports, keys, engine, alone, rows, model, spare
                    )
            finally:
                stop_server(processes, portal)
    finally:
        engine.dispose()
    return rows


def _visitors_row(scenario: str, visitors: Load, alone: Load) -> Row:
    """The visitors beside the buyers, against the visitors alone."""
    ratio = visitors.p95_ms / alone.p95_ms if alone.p95_ms else 0.0
    return Row(
        scenario,
        visitors,
        target="p95 ≤ twice idle",
        # No visitor answered in the whole run: the site stood still.
        met=visitors.requests > 0 and ratio <= 2 and visitors.errors == 0,
        note=f"p95 {ratio:.1f} times idle" if visitors.requests else "no page answered",
    )


def _rows(model: str, alone: Load, visitors: Load, buyers: Load, opened: int) -> list[Row]:
    per_second = opened / buyers.seconds if buyers.seconds else 0.0
    errors = visitors.errors + buyers.errors
    return [
        Row(f"10. Report page, {VISITORS} visitors, Stripe idle — {model}", alone),
        _visitors_row(
            f"10. Same, beside {BUYERS} buyers, Stripe at {LATENCY_MS} ms — {model}",
            visitors,
            alone,
        ),
        Row(
            f"10. {BUYERS} buyers starting checkout, Stripe at {LATENCY_MS} ms — {model}",
            buyers,
            target="≥ 20 sessions/s, no errors",
            met=per_second >= 20 and errors == 0,
            note=f"{per_second:.1f} Checkout Sessions opened/s (counted in the database)",
        ),
    ]


def _stripe_down(crowd, processes, standin, ports, keys, engine, alone, rows, model, spare):
    """Stripe refusing connections, then hanging, while the buyers try to pay for ``spare``
    orders; returns the stand-in left running."""
    first_spare = int(spare[0].rsplit("-", 1)[1])
    last_spare = int(spare[-1].rsplit("-", 1)[1])
    stop_server(processes, standin)
    for how, start in (
        ("refusing connections", None),
        (f"hanging {HANG_MS // 1000} s", HANG_MS),
    ):
        if start is not None:
            standin = _standin(processes, ports.standin, start, *keys)
        visitors, buyers = crowd.together(spare)
        told = crowd.told(spare[0]) if start is None else "(each waits for the Stripe timeout)"
        kept = _still_pending(engine, first_spare, last_spare)
        rows.append(
            _visitors_row(
                f"10. Report page beside {BUYERS} buyers, Stripe {how} — {model}", visitors, alone
            )
        )
        rows.append(
            Row(
                f"10. {BUYERS} buyers, Stripe {how} — {model}",
                buyers,
                target="told plainly, orders kept",
                # While Stripe hangs, the portal's own Stripe timeout decides when they are told.
                met=kept == len(spare) and told.startswith("503") if start is None else None,
                note=(
                    f"a buyer is shown: {told}; orders still waiting for payment "
                    f"{kept}/{len(spare)}; wrk timeouts and non-2xx/3xx in errors"
                ),
            )
        )
    stop_server(processes, standin)
    return _standin(processes, ports.standin, LATENCY_MS, *keys)
