"""Where the portal's time goes during a scenario: py-spy sampling the gunicorn workers (and,
for the webhook burst, the background job workers: ``profile-webhook-jobs``).

With ``--profile``, each scenario's measured run is sampled by ``py-spy record`` attached to the
gunicorn master and its workers (``--subprocesses``), idle frames included so that waiting for
PostgreSQL or the stand-in counts as time spent. Only samples taken while a worker handles a
request (or runs a job) count. The collapsed stacks go to bench/results/profile-<scenario>.txt
and a summary (the functions with the largest share of request time, inclusive and on top of the
stack) to bench/results/profile-<scenario>.md. Sampling slows the workers a little: the table of
a profiled run is not the one to quote.
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
#: The frame a worker handles a request under: the sync worker's, or the threaded worker's.
_IN_REQUEST = (
    "handle_request (gunicorn/workers/sync.py)",
    "handle_request (gunicorn/workers/gthread.py)",
)
#: The frame a background job worker runs a job under.
_IN_JOB = ("perform_job (rq/worker/base.py)",)
# Frames every request passes through: the share they show says nothing.
_PLUMBING = (
    "gunicorn/",
    "flask/app.py",
    "werkzeug/",
    "flask_limiter/",
    "sentry_sdk/",
    "<module>",
    "threading.py",
    "rq/",
    "click/",
)


@contextmanager
def sampling(master_pid: int, name: str) -> Iterator[None]:
    """Record ``name``'s profile of the gunicorn workers while the body runs."""
    with _recording([master_pid], name, _IN_REQUEST):
        yield


@contextmanager
def sampling_jobs(worker_pids: list[int], name: str) -> Iterator[None]:
    """Record ``name``'s profile of the background job workers ``worker_pids`` while the body
    runs: only samples taken while a worker runs a job count."""
    with _recording(worker_pids, name, _IN_JOB):
        yield


@contextmanager
def _recording(pids: list[int], name: str, entry: tuple[str, ...]) -> Iterator[None]:
    RESULTS.mkdir(exist_ok=True)
    raw = RESULTS / f"profile-{name}.txt"
    parts = [RESULTS / f"profile-{name}.{n}.part" for n in range(len(pids))]
    recorders = [
        subprocess.Popen(  # noqa: S603 (our own command)
            _record_command(pid, part), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for pid, part in zip(pids, parts, strict=True)
    ]
    try:
        yield
    finally:
        for recorder in recorders:
            recorder.send_signal(signal.SIGINT)  # py-spy writes what it has, then exits
        for recorder in recorders:
            try:
                recorder.wait(timeout=60)
            except subprocess.TimeoutExpired:
                recorder.kill()
                recorder.wait()
    raw.write_text("".join(part.read_text() for part in parts if part.exists()))
    for part in parts:
        part.unlink(missing_ok=True)
    (RESULTS / f"profile-{name}.md").write_text(summarise(raw, name, entry))


def _record_command(pid: int, output: Path) -> list[str]:
    return [
        str(BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--idle",
        "--nolineno", "--rate", str(RATE), "--format", "raw",
        "--output", str(output), "--nonblocking",
    ]  # fmt: skip


def _stacks(raw: Path) -> Iterator[tuple[list[str], int]]:
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            yield stack.split(";"), int(count)


def summarise(
    raw: Path, name: str, entry_frames: tuple[str, ...] = _IN_REQUEST, top: int = 25
) -> str:
    """The functions that take the largest share of the request (or job) time, as Markdown."""
    inclusive: Counter[str] = Counter()
    on_top: Counter[str] = Counter()
    total = 0
    for frames, count in _stacks(raw):
        entry = next((i for i, frame in enumerate(frames) if frame.endswith(entry_frames)), None)
        if entry is None:
            continue  # a worker waiting for the next request (or job)
        handled = frames[entry + 1 :]
        total += count
        for frame in set(handled):
            inclusive[frame] += count
        if handled:
            on_top[handled[-1]] += count
    if not total:
        return f"# Profile: {name}\n\nNo samples inside requests or jobs.\n"

    def rows(counter: Counter[str], skip_plumbing: bool) -> str:
        chosen = [
            (frame, count)
            for frame, count in counter.most_common()
            if not (skip_plumbing and any(part in frame for part in _PLUMBING))
        ][:top]
        return "\n".join(f"| {count / total:6.1%} | `{frame}` |" for frame, count in chosen)

    return (
        f"# Profile: {name}\n\n{total:,} samples inside requests or jobs ({RATE}/s per worker, "
        "idle included: waiting for the database counts).\n\n"
        "## Inclusive (the function and what it calls)\n\n| share | function |\n|--:|---|\n"
        f"{rows(inclusive, True)}\n\n"
        "## On top of the stack (the function itself)\n\n| share | function |\n|--:|---|\n"
        f"{rows(on_top, False)}\n"
    )
