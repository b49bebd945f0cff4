"""Response headers that every page carries (security headers, and whether caches may keep the
page), the per-request nonce for inline scripts, and limits on what a request may send."""

import secrets
from collections.abc import Callable

from flask import Flask, Response, abort, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.storage import download_origin


def csp_nonce() -> str:
    """The nonce that lets this response's own inline script run under the CSP."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


#: Stand for the nonce and the CSRF token in a page drawn once and served to many
#: (``drawn_for_reuse``): neither is a value the portal would ever issue.
_NONCE_STAND_IN = "nonce-of-this-response"
_CSRF_STAND_IN = "csrf-token-of-this-visitor"


def drawn_for_reuse(draw: Callable[[], str]) -> str:
    """Draw a page that will be served to other visitors too, with stand-ins for the nonce and
    the CSRF token of its forms: ``reused`` gives each response its own."""
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    g.csp_nonce = _NONCE_STAND_IN
    setattr(g, csrf_field, _CSRF_STAND_IN)  # what Flask-WTF's generate_csrf returns if set
    try:
        return draw()
    finally:
        g.pop("csp_nonce", None)
        g.pop(csrf_field, None)


#: What a visitor's session may hold and still be served a page drawn for every such visitor: the
#: form token such a page gave them, and flask-login's note that nobody signed in.
_SHARED_PAGE_SESSION_KEYS = frozenset({"_fresh"})


def sees_shared_pages() -> bool:
    """Whether this visitor sees what every visitor without a session sees: nobody signed in, and
    their session holds nothing a page shows (no basket, no message waiting), at most the form
    token an earlier shared page gave them. Such a page is ``reused`` with their own token."""
    if current_user.is_authenticated:
        return False
    csrf_field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return set(session.keys()) <= _SHARED_PAGE_SESSION_KEYS | {csrf_field}


def reused(page: str) -> str:
    """A page from ``drawn_for_reuse``, with this response's own nonce and, where the page has a
    form, this visitor's own CSRF token (which starts their session, as drawing it would)."""
    page = page.replace(_NONCE_STAND_IN, csp_nonce())
    if _CSRF_STAND_IN in page:
        page = page.replace(_CSRF_STAND_IN, generate_csrf())
    return page


def _set_security_headers(response: Response) -> Response:
    nonce = g.get("csp_nonce")
    script_src = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    # Browsers apply form-action to where a form's answer redirects too: placing an order
    # redirects to the payment page, and a subscriber's download button (with object storage)
    # ends on a pre-signed URL of the object store, so those origins are allowed as well.
    form_action = " ".join(
        filter(None, ["'self'", current_app.config.get("PAYMENT_PAGE_ORIGIN"), download_origin()])
    )
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; "
        f"script-src {script_src}; "
        "style-src 'self'; img-src 'self' data:; font-src 'self'; "
        f"object-src 'none'; base-uri 'self'; form-action {form_action}; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    # No page uses the camera, microphone or location: deny them, so injected code cannot either.
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # A page we open (the payment page, an emailed link) cannot reach back into our window.
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        # Only where the site is served over HTTPS (production): browsers then refuse plain HTTP
        # for a year, so the session cookie never crosses the network unencrypted.
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
        )
    return response


def body_limit(max_bytes: int) -> Callable:
    """Declare the largest body a view accepts, below the application's ``MAX_CONTENT_LENGTH``.

    A larger declared ``Content-Length`` is refused (413) before anything reads the body, and a
    body sent without one (chunked) is cut off with 413 once it passes ``max_bytes``.
    """

    def declare(view: Callable) -> Callable:
        view.max_body_bytes = max_bytes
        return view

    return declare


def _apply_body_limit() -> None:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    limit = getattr(view, "max_body_bytes", None)
    if limit is None:
        return
    # Set before anything opens the body: the input stream is limited when first opened.
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        abort(413)


def public_page(view: Callable) -> Callable:
    """Declare a view's page the same for every visitor without a session (the home page, the
    catalogue): caches may keep it as it is. Every other response — and a public page drawn for
    someone signed in or with a session — is private (``_keep_private_pages_out_of_caches``).

    Put it under the route decorator, so the view registered is the one marked."""
    view.public_page = True
    return view


def _keep_private_pages_out_of_caches(response: Response) -> Response:
    """No cache keeps a private page: ``no-store``, added to whatever caching the view chose
    itself. Private by default, so a page nobody thought about is private too."""
    if request.endpoint == "static":
        return response  # the same files for everyone
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    remember_cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    # A signed-in person always has a session (Flask-Login keeps their id there); a "remember
    # me" return may not have one yet. Asking the session this way does not mark it read.
    visitor_without_session = not session and remember_cookie not in request.cookies
    if getattr(view, "public_page", False) and visitor_without_session:
        return response
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    elif not response.cache_control.no_store:
        # A download's own "no-cache" (revalidate by ETag) stays; no cache may store it either.
        response.cache_control.public = False
        response.cache_control.no_store = True
    return response


def searched_text(*names: str) -> Callable[[Callable], Callable]:
    """Declare query arguments of a view that are free text it reads as plain words (a search
    box), NUL characters included: those are not refused (``_refuse_nul_characters``); the view
    drops them. Put it under the route decorator."""

    def mark(view: Callable) -> Callable:
        view.searched_text = frozenset(names)
        return view

    return mark


def _refuse_nul_characters() -> None:
    """No legitimate request carries a NUL character; PostgreSQL cannot store one in text. A
    search box's text may (pasted from anywhere): the view reads it as plain words."""
    values = [request.path]
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    searched = getattr(view, "searched_text", frozenset())
    sources = [request.args, request.form] if request.method == "POST" else [request.args]
    for source in sources:
        for name, given in source.lists():
            if source is request.args and name in searched:
                continue
            values.extend(given)
    if any("\x00" in value for value in values):
        abort(400)


def init_app(app: Flask) -> None:
    app.add_template_global(csp_nonce)
    app.before_request(_apply_body_limit)  # before anything below reads a form
    app.before_request(_refuse_nul_characters)
    app.after_request(_set_security_headers)
    app.after_request(_keep_private_pages_out_of_caches)
