"""Starting and stopping the servers of the scale-out test: each in its own process group, its
output in a log file, every wait bounded."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# How long a server may take to start on a busy machine, and a request to answer.
START_SECONDS = 60
REQUEST_SECONDS = 30


class Processes:
    """The processes started for one run; ``stop_all`` ends every one of them (and their
    children: gunicorn's workers), newest first."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.started: list[tuple[str, subprocess.Popen]] = []

    def __enter__(self) -> "Processes":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(  # noqa: S603 - our own commands, no shell
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so its children stop with it
        )
        log.close()
        self.started.append((name, process))
        return process

    def check_running(self) -> None:
        """Fail, with the end of its log, when a started process has exited."""
        for name, process in self.started:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {process.returncode}:\n{self.log_tail(name)}"
                )

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_all(self) -> None:
        for _name, process in reversed(self.started):
            _stop(process)
        self.started.clear()


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def run(argv: list[str], env: dict[str, str], timeout: float = 120) -> str:
    """Run a command to its end; its output, or an error carrying it."""
    done = subprocess.run(  # noqa: S603 - our own commands, no shell
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As the servers do: a connection of an earlier run waiting out TIME_WAIT is no obstacle.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until_answers(url: str, processes: Processes, status: int = 200) -> None:
    """Wait until GET ``url`` answers ``status``; fail if the server dies or time runs out."""
    deadline = time.monotonic() + START_SECONDS
    last = "no answer"
    while time.monotonic() < deadline:
        processes.check_running()
        try:
            answer = requests.get(url, timeout=5, allow_redirects=False)
        except requests.RequestException as error:
            last = str(error)
        else:
            if answer.status_code == status:
                return
            last = f"status {answer.status_code}"
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer {status} within {START_SECONDS}s ({last})")


def wait_for(check, what: str, seconds: float = REQUEST_SECONDS, every: float = 0.5):
    """Call ``check`` until it returns something true, and return that; fail after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what} after {seconds}s")
