"""Where the portal's time goes during a scenario: py-spy sampling the gunicorn workers.

With ``--profile``, each scenario's measured run is sampled by ``py-spy record`` attached to the
gunicorn master and its workers (``--subprocesses``), idle frames included so that waiting for
PostgreSQL or the stand-in counts as time spent. Only samples taken while a worker handles a
request count. The collapsed stacks go to bench/results/profile-<scenario>.txt and a summary (the
functions with the largest share of request time, inclusive and on top of the stack) to
bench/results/profile-<scenario>.md. Sampling slows the workers a little: the table of a profiled
run is not the one to quote.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from processes import BIN

RESULTS = Path(__file__).resolve().parent / "results"
RATE = 200  # samples per second per process
_IN_REQUEST = "handle_request (gunicorn/workers/sync.py)"
# Frames every request passes through: the share they show says nothing.
_PLUMBING = (
    "gunicorn/",
    "flask/app.py",
    "werkzeug/",
    "flask_limiter/",
    "sentry_sdk/",
    "<module>",
    "threading.py",
)


@contextmanager
def sampling(master_pid: int, name: str) -> Iterator[None]:
    """Record ``name``'s profile while the body runs."""
    RESULTS.mkdir(exist_ok=True)
    raw = RESULTS / f"profile-{name}.txt"
    command = [
        str(BIN / "py-spy"), "record", "--pid", str(master_pid), "--subprocesses", "--idle",
        "--nolineno", "--rate", str(RATE), "--format", "raw",
        "--output", str(raw), "--nonblocking",
    ]  # fmt: skip
    recorder = subprocess.Popen(  # noqa: S603 (our own command)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes what it has, then exits
        try:
            recorder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            recorder.kill()
            recorder.wait()
    if raw.exists():
        (RESULTS / f"profile-{name}.md").write_text(summarise(raw, name))


def _stacks(raw: Path) -> Iterator[tuple[list[str], int]]:
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def summarise(raw: Path, name: str, top: int = 25) -> str:
    """The functions that take the largest share of the request time, as Markdown."""
    inclusive: Counter[str] = Counter()
    on_top: Counter[str] = Counter()
    total = 0
    for frames, count in _stacks(raw):
        entry = next((i for i, frame in enumerate(frames) if frame.endswith(_IN_REQUEST)), None)
        if entry is None:
            continue  # a worker waiting for the next request
        handled = frames[entry + 1 :]
        total += count
        for frame in set(handled):
            inclusive[frame] += count
        if handled:
            on_top[handled[-1]] += count
    if not total:
        return f"# Profile: {name}\n\nNo samples inside requests.\n"

    def rows(counter: Counter[str], skip_plumbing: bool) -> str:
        chosen = [
            (frame, count)
            for frame, count in counter.most_common()
            if not (skip_plumbing and any(part in frame for part in _PLUMBING))
        ][:top]
        return "\n".join(f"| {count / total:6.1%} | `{frame}` |" for frame, count in chosen)

    return (
        f"# Profile: {name}\n\n{total:,} samples inside requests ({RATE}/s per worker, idle "
        "included: waiting for the database counts).\n\n"
        "## Inclusive (the function and what it calls)\n\n| share | function |\n|--:|---|\n"
        f"{rows(inclusive, True)}\n\n"
        "## On top of the stack (the function itself)\n\n| share | function |\n|--:|---|\n"
        f"{rows(on_top, False)}\n"
    )
