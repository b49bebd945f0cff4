"""Where a ``next`` parameter may send someone: only to a page of this site."""

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, otherwise None.

    Only a plain absolute path is accepted: no scheme, no host, no ``//`` or ``/\\`` (which
    browsers read as another host), no control characters.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target) or "\\" in target:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
