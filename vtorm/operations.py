"""The operation table of ``webservice.php`` and how parameters become form values.

For each operation vtorm knows: where the server reads its parameters (the
query string for GET, the form body for POST), whether sending it twice is
harmless, and whether it needs a session.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

import attrs

from vtorm.errors import ValidationError

__all__ = ["OPERATIONS", "Method", "OperationSpec", "encode_params", "spec_for"]

Method = Literal["GET", "POST"]


@attrs.frozen
class OperationSpec:
    """How one web-service operation travels.

    ``method`` is where the server reads the parameters (query string for GET,
    form body for POST). ``repeatable`` says whether sending the request twice
    is harmless, which decides if a request whose outcome is unknown may be
    retried. ``session`` says whether the operation needs a ``sessionName``.
    ``writes`` says whether it changes records: such a request whose answer is
    not the envelope is in doubt (:class:`~vtorm.errors.InDoubtError`).
    """

    name: str
    method: Method
    repeatable: bool = True
    session: bool = True
    writes: bool = False


def _table(*specs: OperationSpec) -> dict[str, OperationSpec]:
    return {spec.name.lower(): spec for spec in specs}


OPERATIONS: dict[str, OperationSpec] = _table(
    OperationSpec("getchallenge", "GET", session=False),
    OperationSpec("login", "POST", session=False),
    OperationSpec("logout", "POST"),
    OperationSpec("extendsession", "POST"),
    OperationSpec("listtypes", "GET"),
    OperationSpec("describe", "GET"),
    OperationSpec("create", "POST", repeatable=False, writes=True),
    OperationSpec("retrieve", "GET"),
    OperationSpec("update", "POST", writes=True),
    OperationSpec("revise", "POST", writes=True),
    OperationSpec("delete", "POST", writes=True),
    OperationSpec("query", "GET"),
    OperationSpec("sync", "GET"),
    OperationSpec("retrieve_inventory", "GET"),
    OperationSpec("relatedtypes", "GET"),
    OperationSpec("retrieve_related", "GET"),
    OperationSpec("query_related", "GET"),
    OperationSpec("add_related", "POST", repeatable=False, writes=True),
    OperationSpec("convertlead", "POST", repeatable=False, writes=True),
    OperationSpec("files_retrieve", "GET"),
)


def spec_for(operation: str, method: str | None = None) -> OperationSpec:
    """The spec of ``operation``; ``method`` overrides the registered method.

    An operation vtorm does not know is sent as GET unless told otherwise, and
    is treated as a write, unsafe to repeat, when sent as POST.
    """
    chosen: Method | None = None
    if method is not None:
        upper = method.upper()
        if upper == "GET":
            chosen = "GET"
        elif upper == "POST":
            chosen = "POST"
        else:
            raise ValueError(f"method must be 'GET' or 'POST', not {method!r}")
    known = OPERATIONS.get(operation.lower())
    if known is not None:
        if chosen is None or chosen == known.method:
            return known
        return attrs.evolve(known, method=chosen)
    chosen = chosen or "GET"
    return OperationSpec(operation, chosen, repeatable=chosen == "GET", writes=chosen == "POST")


def encode_params(operation: str, params: Mapping[str, Any]) -> dict[str, str]:
    """Form/query-string values for ``params``.

    Mappings and lists become JSON text (the server's *encoded* parameters such
    as ``element`` and ``fieldTypeList``); values inside them are sent as they
    are — converting field values is the model layer's job. ``None`` is left
    out, booleans become ``"1"``/``"0"``.
    """
    encoded: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            encoded[key] = "1" if value else "0"
        elif isinstance(value, str):
            encoded[key] = value
        elif isinstance(value, (int, float)):
            encoded[key] = str(value)
        elif isinstance(value, (Mapping, list, tuple)):
            encoded[key] = _to_json(operation, key, value)
        else:
            raise ValidationError(
                f"{operation}: parameter {key!r} has a value of type "
                f"{type(value).__name__}; send str, int, float, dict or list"
            )
    return encoded


def _to_json(operation: str, key: str, value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        # The message names the offending type, never the value (it may be personal data).
        raise ValidationError(
            f"{operation}: parameter {key!r} cannot be sent as JSON ({exc}); "
            "convert field values to their wire form first"
        ) from None
