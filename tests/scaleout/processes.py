"""Commands, ports and waits of the scale-out test, every wait bounded. The servers themselves
are started and stopped by ``process_group.Processes``."""

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from process_group import Processes

ROOT = Path(__file__).resolve().parents[2]
# How long a server may take to start on a busy machine, and a request to answer.
START_SECONDS = 60
REQUEST_SECONDS = 30


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


def standin_argv(host: str, port: int, env: dict[str, str], webhook_url: str) -> list[str]:
    """The Stripe stand-in's command, with the keys ``env`` gives the portal; Stripe delivers
    every event to the one ``webhook_url``."""
    return [
        sys.executable,
        "-m",
        "stripe_standin",
        "--host",
        host,
        "--port",
        str(port),
        "--secret-key",
        env["STRIPE_SECRET_KEY"],
        "--webhook-secret",
        env["STRIPE_WEBHOOK_SECRET"],
        "--webhook-url",
        webhook_url,
    ]


def add_logs_to_report(report, processes: Processes, lines: int = 40) -> None:
    """End a failed test's report with the last ``lines`` each started server logged."""
    if report.failed:
        for name, _process in processes.started:
            report.sections.append((f"log of {name}", processes.log_tail(name, lines=lines)))
