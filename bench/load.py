"""Driving a scenario with wrk: a fixed time at a fixed concurrency, on loopback.

Each run gets a Lua script made of the scenario's request part (a method, a body, a list of paths
to cycle through) and a common ``done`` that prints one JSON line with the counts and the
latency percentiles wrk measured (``--latency`` alone prints no 95th percentile).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass

from client import USER_AGENT

DURATION_S = 10
WARM_UP_S = 2
THREADS = 2
CONNECTIONS = 16
TIMEOUT_S = 10

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d, "max": %d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""

# Each thread starts at its own place in the list of paths, so two threads never ask for the
# same path at the same time (what paying for one order twice at once would be).
_CYCLE = """
local paths = {%(paths)s}
local threads = 0
local i = 0
setup = function(thread)
  thread:set("first", threads)
  threads = threads + 1
end
init = function(args)
  i = math.floor((first or 0) * #paths / %(threads)d)
end
request = function()
  i = i %% #paths + 1
  return wrk.format(nil, paths[i])
end
"""


@dataclass
class Load:
    """What wrk measured in one run."""

    requests: int
    seconds: float
    bytes: int
    errors: int  # socket errors, timeouts and responses other than 2xx/3xx
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    connections: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def mb_per_second(self) -> float:
        return self.bytes / self.seconds / 1e6 if self.seconds else 0.0


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string


def script(
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    paths: list[str] | None = None,
) -> str:
    """The Lua for a scenario: ``method`` with ``body`` and ``headers`` on each request, cycling
    through ``paths`` when given (else the URL's own path)."""
    lines = [f"wrk.method = {_lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in {"User-Agent": USER_AGENT, **(headers or {})}.items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if paths:
        listed = ", ".join(_lua_string(path) for path in paths)
        lines.append(_CYCLE % {"paths": listed, "threads": THREADS})
    return "\n".join(lines) + "\n" + _DONE


def run_wrk(
    url: str,
    lua: str,
    *,
    seconds: int = DURATION_S,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> Load:
    """Run wrk against ``url`` with the ``lua`` script and return what it measured."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(lua)
        file.flush()
        command = [
            "wrk",
            f"--threads={min(threads, connections)}",
            f"--connections={connections}",
            f"--duration={seconds}s",
            f"--timeout={TIMEOUT_S}s",
            "--latency",
            f"--script={file.name}",
            url,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode or not lines:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    figures = json.loads(lines[-1].removeprefix("BENCH "))
    return Load(
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        bytes=figures["bytes"],
        errors=sum(figures[k] for k in ("connect", "read", "write", "status", "timeout")),
        p50_ms=figures["p50"] / 1000,
        p95_ms=figures["p95"] / 1000,
        p99_ms=figures["p99"] / 1000,
        max_ms=figures["max"] / 1000,
        connections=connections,
    )


def measure(
    url: str, lua: str, *, connections: int = CONNECTIONS, warm_up_lua: str | None = None
) -> Load:
    """A short warm-up (first requests compile templates, open connections), with ``warm_up_lua``
    when given (else the same script), then the run."""
    run_wrk(url, warm_up_lua or lua, seconds=WARM_UP_S, connections=connections)
    return run_wrk(url, lua, connections=connections)
