"""A plain-HTTP browser for setting up scenarios: signs in and reads CSRF tokens.

Production cookies are Secure, and a cookie jar rightly never sends those over plain HTTP, so
this keeps the cookies itself and sends them as a ``Cookie`` header. The header it ends with is
what wrk then sends on every request of a signed-in scenario.
"""

from __future__ import annotations

import re

import pyotp
import requests

#: The same User-Agent for the set-up and for wrk, so the session looks like one browser's.
USER_AGENT = "insight-bench/1.0"
_CSRF = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


class Browser:
    """Requests to one base URL with cookies kept by hand; redirects are not followed."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        self.http.cookies.clear()
        response = self.http.request(
            method,
            self.base_url + path,
            headers=headers,
            allow_redirects=False,
            timeout=60,
            **kwargs,
        )
        for cookie in response.cookies:
            if cookie.value:
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def csrf_token(self, path: str) -> str:
        """The CSRF token of the form on ``path`` (and the session cookie that goes with it)."""
        response = self.get(path)
        found = _CSRF.search(response.text)
        if found is None:
            raise RuntimeError(f"no CSRF token on {path} ({response.status_code})")
        return found.group(1)

    def post_form(self, path: str, data: dict[str, str], form_page: str | None = None):
        """POST a form the way a person does: with the token from the page that shows it."""
        token = self.csrf_token(form_page or path)
        return self.request("POST", path, data={"csrf_token": token, **data})

    def sign_in(self, email: str, password: str, totp_secret: str | None = None) -> None:
        """Sign in (with a code from the authenticator app when the account has two-factor)."""
        response = self.post_form("/sign-in", {"email": email, "password": password})
        if response.status_code != 302:
            raise RuntimeError(f"sign-in of {email} refused ({response.status_code})")
        if response.headers["Location"].endswith("/sign-in/two-factor"):
            if totp_secret is None:
                raise RuntimeError(f"{email} needs a two-factor code")
            code = pyotp.TOTP(totp_secret).now()
            response = self.post_form("/sign-in/two-factor", {"code": code})
            if response.status_code != 302:
                raise RuntimeError(f"two-factor sign-in of {email} refused")
