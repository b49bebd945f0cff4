"""A browser that sends each request to the next of several app servers in turn.

It keeps one cookie jar for all of them, as a browser does for one site behind a load balancer.
Production cookies are ``Secure``, which a cookie jar sends only over HTTPS; this test speaks plain
HTTP on loopback, so the browser writes the Cookie header itself from the jar (which still keeps,
replaces and expires cookies as the instances say).
"""

import re
from itertools import cycle
from urllib.parse import urlsplit

import requests

from tests.scaleout.processes import REQUEST_SECONDS

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class AlternatingBrowser:
    def __init__(self, instances: list[str]):
        self.instances = instances
        self._next = cycle(instances)
        self.session = requests.Session()
        # Which instance served each request, in order: the test shows it really alternated.
        self.served_by: list[str] = []

    def _url(self, path_or_url: str) -> str:
        """The next instance's address for a path, or for a link one of the instances made."""
        parts = urlsplit(path_or_url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        base = next(self._next)
        self.served_by.append(base)
        return base + path

    def is_portal(self, location: str) -> bool:
        parts = urlsplit(location)
        return not parts.netloc or any(parts.netloc == urlsplit(i).netloc for i in self.instances)

    def request(self, method: str, path: str, *, follow: bool = True, **kwargs):
        """Send one request to the next instance; follow the portal's own redirects, each to the
        instance after. A redirect elsewhere (Stripe, the object store) is returned as it is."""
        response = self._send(method, path, **kwargs)
        while follow and response.is_redirect and self.is_portal(response.headers["Location"]):
            response = self._send("GET", response.headers["Location"])
        return response

    def _send(self, method: str, path: str, **kwargs):
        self.session.cookies.clear_expired_cookies()
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.session.cookies)
        return self.session.request(
            method,
            self._url(path),
            headers={"Cookie": cookies} if cookies else {},
            allow_redirects=False,
            timeout=REQUEST_SECONDS,
            **kwargs,
        )

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def submit(self, path: str, fields: dict, *, form_page: str | None = None, **kwargs):
        """Fetch the page with the form (from one instance) and post it (to the next), with the
        CSRF token the page carried."""
        page = self.get(form_page or path)
        assert page.status_code == 200, f"{form_page or path}: {page.status_code}"
        match = _CSRF.search(page.text)
        assert match, f"no form on {form_page or path}"
        return self.request("POST", path, data={"csrf_token": match.group(1), **fields}, **kwargs)
