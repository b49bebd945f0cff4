"""Stripe's form encoding: ``line_items[0][price_data][unit_amount]=14500`` into nested data.

Stripe-python sends every request as ``application/x-www-form-urlencoded`` (query string for GET)
with bracketed keys: ``a[b]`` for objects, ``a[0]`` for list items (``a[]`` is accepted too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import invalid

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_APPEND = object()


def _split_key(key: str) -> list[Any]:
    head, bracket, _ = key.partition("[")
    if not head:
        raise invalid(f"Invalid parameter name: {key}")
    if not bracket:
        return [head]
    rest = key[len(head) :]
    segments = _SEGMENT.findall(rest)
    if "".join(f"[{s}]" for s in segments) != rest:
        raise invalid(f"Invalid parameter name: {key}", key)
    return [head, *(s if s else _APPEND for s in segments)]


def _listify(value: Any) -> Any:
    """Turn dicts marked as lists (all keys integers) into lists, recursively."""
    if isinstance(value, _ListBuilder):
        return [_listify(value.items[index]) for index in sorted(value.items)]
    if isinstance(value, dict):
        return {key: _listify(item) for key, item in value.items()}
    return value


class _ListBuilder:
    """A list being assembled from ``a[0]``/``a[]`` keys, which may arrive in any order."""

    def __init__(self) -> None:
        self.items: dict[int, Any] = {}

    def slot(self, segment: Any) -> int:
        if segment is _APPEND:
            return max(self.items, default=-1) + 1
        return int(segment)


def _is_index(segment: Any) -> bool:
    return segment is _APPEND or (isinstance(segment, str) and segment.isdigit())


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Parse form pairs into nested dicts and lists, as Stripe's API reads them.

    Raises a 400 ``invalid_request_error`` when keys contradict each other (``a=1&a[b]=2``).
    """
    root: dict[str, Any] = {}
    for key, value in pairs:
        segments = _split_key(key)
        container: Any = root
        for position, segment in enumerate(segments):
            last = position == len(segments) - 1
            if isinstance(container, _ListBuilder):
                if not _is_index(segment):
                    raise invalid(f"Invalid array parameter: {key}", key)
                slot: Any = container.slot(segment)
                store = container.items
            else:
                if segment is _APPEND:
                    raise invalid(f"Invalid parameter name: {key}", key)
                slot = segment
                store = container
            if last:
                if slot in store:
                    raise invalid(f"Received the parameter {key} more than once.", key)
                store[slot] = value
                break
            want_list = _is_index(segments[position + 1])
            existing = store.get(slot)
            if existing is None:
                existing = _ListBuilder() if want_list else {}
                store[slot] = existing
            elif isinstance(existing, str) or isinstance(existing, _ListBuilder) != want_list:
                raise invalid(f"Invalid parameters: conflicting values for {key}", key)
            container = existing
    return _listify(root)


def canonical(params: Any) -> Any:
    """A comparable form of parsed parameters (for idempotency checks)."""
    if isinstance(params, dict):
        return tuple(sorted((key, canonical(value)) for key, value in params.items()))
    if isinstance(params, list):
        return tuple(canonical(item) for item in params)
    return params
