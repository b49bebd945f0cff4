"""The id of the request being served: on every log line written during it, in its response's
``X-Request-ID`` header, on its error page and on any error report, so one id ties together what
a person quotes to support and what the logs say.

An id the front proxy (or a caller) sent in ``X-Request-ID`` is kept when it is sane, so one id
follows a request through nginx and the portal; otherwise a new one is made.
"""

import re
import uuid

from flask import g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def request_id() -> str:
    """The id of the request being served ("" outside a request), made on first use."""
    if not has_request_context():
        return ""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id
