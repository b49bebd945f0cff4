"""Servers started for a run of ``make bench`` or ``make scaleout``, and stopped at its end.

Each is started in its own session, so that ``Processes.stop_all``, signalling its process group,
reaches whatever it forked too (gunicorn's workers) and nothing outlives the run. Its output goes
to ``<log_dir>/<name>.log``, for the reader of a failed run; it reads nothing (stdin is /dev/null),
so it cannot take the terminal's input. Every wait is bounded.
"""

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

# The commands run from the repository root, where gunicorn.conf.py and wsgi.py are.
ROOT = Path(__file__).resolve().parent
# How long a server may take to finish its requests and exit after SIGTERM.
STOP_SECONDS = 15


class Processes:
    """The processes started for one run, by name (the name of their log file too)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def start(
        self, name: str, argv: list[str], env: dict[str, str], port: int | None = None
    ) -> subprocess.Popen:
        """Start ``argv``; with ``port``, return only once it accepts connections there."""
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
                argv,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.started.append((name, process))
        if port is not None:
            try:
                wait_for_port(port, process=process)
            except RuntimeError as error:
                raise RuntimeError(f"{name} did not start ({error}); see {log_path}") from None
        return process

    def check_running(self) -> None:
        """Fail, with the end of its log, when a started process has exited."""
        for name, process in self.started:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{self.log_tail(name)}"
                )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        """SIGTERM to every group still running, newest first, then SIGKILL to any group whose
        leader has not exited within ``STOP_SECONDS``. Signalled together, the servers take their
        time to stop side by side rather than one after another."""
        newest_first = [process for _name, process in reversed(self.started)]
        for process in newest_first:
            if process.poll() is None:
                _signal_group(process, signal.SIGTERM)
        for process in newest_first:
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=5)
        self.started.clear()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    # The group may have gone since its leader was last seen running.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signum)


def wait_for_port(
    port: int, seconds: float = 30.0, process: subprocess.Popen | None = None
) -> None:
    """Return once something accepts connections on 127.0.0.1:``port``; fail early if
    ``process``, which should be the one listening, has exited."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}")
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on port {port} after {seconds:.0f} s")
