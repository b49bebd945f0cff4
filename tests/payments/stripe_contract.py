"""Stripe's contract, as stripe-python's generated types state it: a request's parameters
against its ``stripe.params`` TypedDict (unknown names, types, enum values), and an object
Stripe returns against its resource class (unknown fields, types, enum values).

The types end their enums in ``| str`` so that new values do not break old SDKs: a ``Literal``
joined with ``str`` is checked here against the values listed, which is what the API accepts
today. Names imported only for type checkers are read as "anything".
"""

from __future__ import annotations

import builtins
import re
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ForwardRef, Literal, NotRequired, Required, Union, get_args, get_origin

import stripe
from stripe._stripe_object import StripeObject
from typing_extensions import is_typeddict

#: The request each call is made of, by method and path (ids as ``{id}``).
REQUESTS: dict[tuple[str, str], type] = {
    ("POST", "/v1/checkout/sessions"): stripe.params.checkout.SessionCreateParams,
    ("GET", "/v1/checkout/sessions/{id}"): stripe.params.checkout.SessionRetrieveParams,
    ("POST", "/v1/checkout/sessions/{id}/expire"): stripe.params.checkout.SessionExpireParams,
    ("GET", "/v1/checkout/sessions"): stripe.params.checkout.SessionListParams,
    ("GET", "/v1/checkout/sessions/{id}/line_items"): (
        stripe.params.checkout.SessionListLineItemsParams
    ),
    ("POST", "/v1/refunds"): stripe.params.RefundCreateParams,
    ("GET", "/v1/refunds/{id}"): stripe.params.RefundRetrieveParams,
    ("GET", "/v1/charges/{id}"): stripe.params.ChargeRetrieveParams,
    ("GET", "/v1/payment_intents/{id}"): stripe.params.PaymentIntentRetrieveParams,
    ("GET", "/v1/events/{id}"): stripe.params.EventRetrieveParams,
}

#: The resource class of each ``object`` value.
RESOURCES: dict[str, type] = {
    "checkout.session": stripe.checkout.Session,
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "event": stripe.Event,
    "item": stripe.LineItem,
}

_ID = re.compile(r"/(cs|pi|ch|re|evt)_[A-Za-z0-9_]+")
#: Options every request may carry; they are headers, not parameters.
_OPTIONS = frozenset(stripe.RequestOptions.__annotations__)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    checked: int = 0

    def add(self, where: str, problem: str) -> None:
        self.problems.append(f"{where}: {problem}")


class _Lenient(dict):
    """Names for ``eval`` of an annotation: the module's, else builtins', else Any."""

    def __init__(self, module_globals: dict) -> None:
        super().__init__()
        self.module_globals = module_globals

    def __missing__(self, name: str) -> Any:
        if name in self.module_globals:
            return self.module_globals[name]
        return getattr(builtins, name, Any)


def _resolve(annotation: Any, owner: type) -> Any:
    """An annotation with its strings and forward references, at any depth, evaluated in
    ``owner``'s module (and among its nested classes)."""
    if isinstance(annotation, ForwardRef):
        annotation = annotation.__forward_arg__
    if isinstance(annotation, str):
        module = sys.modules[owner.__module__]
        scope = _Lenient(vars(module))
        # Nested classes are named bare inside their owner (``CustomerDetails``).
        scope.update({k: v for k, v in vars(owner).items() if isinstance(v, type)})
        try:
            annotation = eval(annotation, {"__builtins__": builtins}, scope)  # noqa: S307
        except Exception:
            return Any
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is None or origin is Literal or not args:
        return annotation
    inner = tuple(_resolve(arg, owner) for arg in args)
    if origin in (Union, types.UnionType):
        return Union[inner]  # noqa: UP007 - built from a tuple
    try:
        return annotation.copy_with(inner)
    except AttributeError:
        return annotation


def fields_of(cls: type) -> dict[str, Any]:
    """The annotated fields of a TypedDict or resource class and its bases (not request
    options), resolved."""
    found: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        for name, annotation in vars(klass).get("__annotations__", {}).items():
            if name in _OPTIONS and is_typeddict(cls):
                continue
            found[name] = (annotation, klass)
    return {name: _resolve(annotation, klass) for name, (annotation, klass) in found.items()}


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _enum(tp: Any) -> tuple | None:
    """The listed values of an enum typed ``Literal[...] | str``, or of a plain ``Literal``."""
    if get_origin(tp) is Literal:
        return get_args(tp)
    if _is_union(tp):
        args = [a for a in get_args(tp) if a is not type(None)]
        literals = [a for a in args if get_origin(a) is Literal]
        if literals and all(a is str or get_origin(a) is Literal for a in args):
            return tuple(v for a in literals for v in get_args(a))
    return None


# -- requests ------------------------------------------------------------------------------------


def request_problems(method: str, path: str, params: dict, findings: Findings) -> None:
    """Check one request's parameters (as form-decoded: text, dicts and lists)."""
    template = _ID.sub(lambda m: "/{id}", path)
    cls = REQUESTS.get((method, template))
    where = f"{method} {template}"
    if cls is None:
        findings.add(where, "a call the contract does not know")
        return
    findings.checked += 1
    _check_param(params, cls, where, findings)


def _check_param(value: Any, tp: Any, where: str, findings: Findings) -> bool:
    """Whether ``value`` (form-encoded) fits ``tp``; adds what does not to ``findings``."""
    origin = get_origin(tp)
    if tp is Any:
        return True
    if origin in (NotRequired, Required):
        return _check_param(value, get_args(tp)[0], where, findings)
    if (listed := _enum(tp)) is not None:
        if not isinstance(value, str):
            findings.add(where, f"expected one of {sorted(map(str, listed))}, got {value!r}")
            return False
        if value in {str(v) for v in listed if not isinstance(v, bool)} or (
            value in ("true", "false") and any(isinstance(v, bool) for v in listed)
        ):
            return True
        findings.add(where, f"{value!r} is not one of {sorted(map(str, listed))}")
        return False
    if _is_union(tp):
        for option in get_args(tp):
            trial = Findings()
            if _check_param(value, option, where, trial):
                return True
        findings.add(where, f"{value!r} fits none of {tp}")
        return False
    if is_typeddict(tp):
        if not isinstance(value, dict):
            findings.add(where, f"expected an object, got {value!r}")
            return False
        known = fields_of(tp)
        fine = True
        for name, item in value.items():
            if name not in known:
                findings.add(where, f"unknown parameter {name!r}")
                fine = False
            else:
                fine &= _check_param(item, known[name], f"{where}[{name}]", findings)
        return fine
    if origin in (list, typing.List):  # noqa: UP006 - the SDK's own spelling
        if not isinstance(value, list):
            findings.add(where, f"expected a list, got {value!r}")
            return False
        return all(
            _check_param(v, get_args(tp)[0], f"{where}[{i}]", findings) for i, v in enumerate(value)
        )
    if origin in (dict, dict) or (isinstance(origin, type) and issubclass(origin, StripeObject)):
        if not isinstance(value, dict):
            findings.add(where, f"expected an object, got {value!r}")
            return False
        return all(isinstance(v, str) for v in value.values())
    return _scalar(value, tp, where, findings)


def _scalar(value: Any, tp: Any, where: str, findings: Findings) -> bool:
    checks: dict[Any, Callable[[Any], bool]] = {
        str: lambda v: isinstance(v, str),
        int: lambda v: isinstance(v, str) and re.fullmatch(r"-?\d+", v) is not None,
        float: lambda v: isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v) is not None,
        bool: lambda v: v in ("true", "false"),
    }
    check = checks.get(tp)
    if check is None or check(value):
        return True
    findings.add(where, f"{value!r} is not {getattr(tp, '__name__', tp)}")
    return False


# -- responses -----------------------------------------------------------------------------------


def object_problems(obj: dict, findings: Findings, where: str = "") -> None:
    """Check an object Stripe returned (or a list of them, or an event and its object)."""
    kind = obj.get("object")
    if kind == "list":
        for index, item in enumerate(obj.get("data") or []):
            object_problems(item, findings, f"{where}list[{index}]")
        return
    cls = RESOURCES.get(kind)
    if cls is None:
        findings.add(where or str(kind), f"an object the contract does not know: {kind!r}")
        return
    findings.checked += 1
    _check_object(obj, cls, where or kind, findings)
    if kind == "event":
        object_problems(obj["data"]["object"], findings, f"{where or kind}.data.object:")


def _check_object(obj: dict, cls: type, where: str, findings: Findings) -> None:
    known = fields_of(cls)
    for name, value in obj.items():
        if name not in known:
            findings.add(where, f"unknown field {name!r}")
            continue
        _check_value(value, known[name], f"{where}.{name}", findings)


def _check_value(value: Any, tp: Any, where: str, findings: Findings) -> bool:
    origin = get_origin(tp)
    if tp is Any or (value is None and (_is_union(tp) and type(None) in get_args(tp))):
        return True
    if (listed := _enum(tp)) is not None:
        if value in listed:
            return True
        findings.add(where, f"{value!r} is not one of {sorted(map(str, listed))}")
        return False
    if _is_union(tp):
        options = [a for a in get_args(tp) if a is not type(None)]
        for option in options:
            trial = Findings()
            if _check_value(value, option, where, trial) and not trial.problems:
                _check_value(value, option, where, findings)
                return True
        findings.add(where, f"{value!r} fits none of {tp}")
        return False
    if isinstance(tp, type) and issubclass(tp, StripeObject):
        if (
            isinstance(value, str)
            and tp.__module__.startswith("stripe._")
            and tp in RESOURCES.values()
        ):
            return True  # an id where the object is not expanded
        if not isinstance(value, dict):
            findings.add(where, f"expected an object, got {value!r}")
            return False
        if isinstance(value.get("object"), str) and value["object"] in RESOURCES:
            object_problems(value, findings, f"{where}:")
        elif tp.__annotations__ if hasattr(tp, "__annotations__") else False:
            _check_object(value, tp, where, findings)
        return True
    if origin in (list, typing.List):  # noqa: UP006
        if not isinstance(value, list):
            findings.add(where, f"expected a list, got {value!r}")
            return False
        inner = get_args(tp)[0]
        return all(_check_value(v, inner, f"{where}[{i}]", findings) for i, v in enumerate(value))
    if origin in (dict, typing.Dict):  # noqa: UP006
        return isinstance(value, dict)
    simple = {str: str, int: int, bool: bool, float: (int, float)}
    if tp in simple:
        fine = isinstance(value, simple[tp]) and (tp is bool or not isinstance(value, bool))
        if not fine:
            findings.add(where, f"{value!r} is not {tp.__name__}")
        return fine
    return True
