"""How ``make bench`` runs gunicorn, and what it reads about the servers and about the machine.

The servers themselves are started and stopped by ``process_group.Processes`` (``stop_all`` is
called from a ``finally``), so nothing outlives the bench even when a scenario fails.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def gunicorn_command(app: str, port: int, workers: int = 2, chdir: str | None = None) -> list[str]:
    """gunicorn with the portal's gunicorn.conf.py, bound to loopback ``port``."""
    command = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py")]
    if chdir:
        command += ["--chdir", chdir]
    return [*command, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), app]


def worker_pids(master: int) -> list[int]:
    """The pids of a gunicorn master's workers (its children)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


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
