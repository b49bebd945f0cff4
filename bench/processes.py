"""How ``make bench`` runs gunicorn, and what it reads about the servers and about the machine.

The servers themselves are started and stopped by ``process_group.Processes`` (``stop_all`` is
called from a ``finally``), so nothing outlives the bench even when a scenario fails.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def gunicorn_command(app: str, port: int, workers: int = 2, chdir: str | None = None) -> list[str]:
    """gunicorn with the portal's gunicorn.conf.py, bound to loopback ``port``."""
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
    if chdir:
        command += ["--chdir", chdir]
    return [*command, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), app]


def neutral_gunicorn_command(
    app: str, port: int, environment: dict[str, str], workers: int = 2, chdir: str | None = None
) -> list[str]:
    """gunicorn with its own defaults and nothing else but what serves requests the way the
    portal's gunicorn.conf.py does under ``environment``: the same number of workers, of the
    same class, with as many threads. No hooks, no logging settings, no worker restarts."""
    settings = _portal_gunicorn_settings(environment)
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "bench" / "gunicorn_neutral.py")]
    if chdir:
        command += ["--chdir", chdir]
    command += ["--worker-class", str(settings.get("worker_class", "sync"))]
    command += ["--threads", str(settings.get("threads", 1))]
    return [*command, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), app]


def _portal_gunicorn_settings(environment: dict[str, str]) -> dict:
    """The settings gunicorn.conf.py makes under ``environment`` (read in a child process, so
    this one's environment is left alone)."""
    code = (
        "import json, runpy, sys; s = runpy.run_path(sys.argv[1]); "
        "print(json.dumps({k: s[k] for k in ('worker_class', 'threads') if k in s}))"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code, str(ROOT / "gunicorn.conf.py")],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def worker_pids(master: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


class WorkerWatch:
    """Readings of a gunicorn master's workers (CPU time, peak resident memory), taken every
    ``every`` seconds in a thread from entering to leaving: gunicorn replaces a worker after
    ``max_requests``, perhaps right after the request being measured, and a worker that exits
    keeps its last reading. Peaks are reset (``reset_peak_memory``) on entering."""

    def __init__(self, master: int, every: float = 0.02):
        self.master, self.every = master, every
        self.first: dict[int, tuple[int, int]] = {}  # pid: (CPU ticks, VmRSS KiB) when first seen
        self.last: dict[int, tuple[int, int]] = {}  # pid: (CPU ticks, VmHWM KiB) when last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> WorkerWatch:
        for pid in worker_pids(self.master):
            reset_peak_memory(pid)
        self._read()
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._read()

    def busiest(self) -> int:
        """The worker whose CPU time grew most: the one that served a lone request."""
        return max(self.last, key=lambda pid: self.last[pid][0] - self.first[pid][0])

    def _sample(self) -> None:
        while not self._stop.wait(self.every):
            self._read()

    def _read(self) -> None:
        try:
            pids = worker_pids(self.master)
        except OSError:
            return
        for pid in pids:
            try:
                ticks, rss = cpu_ticks(pid), status_kib(pid, "VmRSS")
                peak = status_kib(pid, "VmHWM")
            except (OSError, KeyError):  # exited meanwhile
                continue
            self.first.setdefault(pid, (ticks, rss))
            self.last[pid] = (ticks, peak)


def status_kib(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB (``VmRSS``, ``VmHWM``)."""
    return status_like(Path(f"/proc/{pid}/status"), key)


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def reset_peak_memory(pid: int) -> bool:
    """Reset a process's VmHWM to its current resident size (Linux ``clear_refs`` 5)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _first_line(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    except OSError:
        return "unknown"
    return ((done.stdout or done.stderr).strip().splitlines() or ["unknown"])[0]


def machine(postgres_version: str) -> dict[str, str]:
    """A description of this machine and the software measured."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = status_like(Path("/proc/meminfo"), "MemTotal")
    from importlib.metadata import version

    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "Memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "PostgreSQL": postgres_version,
        "gunicorn": version("gunicorn"),
        "Flask": version("flask"),
        "wrk": _first_line(["wrk", "--version"]).split(" [")[0],
        # The machine may be shared: other work running at the end of the bench shows here.
        "Load average (1, 5, 15 min) at the end": ", ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def status_like(path: Path, key: str) -> int:
    """A ``key: value kB`` figure from a /proc file such as /proc/meminfo."""
    for line in path.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)
