"""The portal's public address, ``PUBLIC_URL``, and the one way to build an absolute link.

Every absolute address the portal gives out — links in emails, the pages Stripe sends people
back to — is built here from the configured address, never from the request that caused it: a
request's ``Host`` (or a proxy's ``X-Forwarded-Host``/``-Prefix``) is whatever the sender typed,
and a reset email must not point to their site. The same code works outside a request (jobs,
commands), where there is no request to copy an address from.
"""

from functools import cache
from urllib.parse import urlsplit

from flask import current_app

#: Names of this machine: the server's own health checks and a laptop reach the portal by these.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def external_url(endpoint: str, **values) -> str:
    """The absolute address of ``endpoint`` (with ``values``) on the configured public site."""
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme
    )
    current_app.inject_url_defaults(endpoint, values)
    return adapter.build(endpoint, values, force_external=True)


@cache  # asked on every request, of the one configured address
def served_hosts(public_url: str) -> frozenset[str | None]:
    """The host names a request may name: the public address's, and this machine's own."""
    return frozenset({host_name(urlsplit(public_url).netloc), *LOOPBACK_HOSTS})


def host_name(host: str) -> str | None:
    """The name in a ``Host`` header (``name``, ``name:port``, ``[::1]:port``), in lower case
    and without the port; None for anything that is not one."""
    try:
        parts = urlsplit(f"//{host}")
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        return None
    if parts.path or parts.query or parts.fragment or parts.username is not None:
        return None
    return parts.hostname or None


def public_url_problem(value: str) -> str | None:
    """Why ``value`` cannot be the portal's address, or None when it can."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
    ):
        return (
            f"PUBLIC_URL must be the address people reach the portal at, such as "
            f"https://reports.socitm.example (a path is allowed; no query), not {value!r}."
        )
    return None
