"""vtorm: a typed, declarative object mapper for the Vtiger CRM web-service API."""

import importlib as _importlib
import os as _os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtorm.client import Client, LoginResult, SyncResult
    from vtorm.context import connect, get_client
    from vtorm.errors import (
        AccessDeniedError,
        AuthenticationError,
        ConflictError,
        ConnectError,
        ConnectionLost,
        ConnectTimeout,
        DuplicateError,
        FieldError,
        FlushError,
        InDoubtError,
        InvalidIdError,
        MandatoryFieldError,
        MultipleObjectsReturned,
        ObjectDoesNotExist,
        ProtocolError,
        QuerySyntaxError,
        ReadTimeout,
        RecordNotFoundError,
        ReferenceInvalidError,
        SessionError,
        TLSError,
        TransportError,
        UnknownUserError,
        UnsupportedOperationError,
        UnsupportedQueryError,
        ValidationError,
        VtigerError,
        VtormError,
    )
    from vtorm.features import Features
    from vtorm.model import FieldInfo, Model, field
    from vtorm.persistence import BulkResult
    from vtorm.query import Manager, Q, QuerySet
    from vtorm.unit_of_work import UnitOfWork

# Public name -> the module that defines it. Imported on first use (PEP 562), so
# that `import vtorm` -- and the pytest plugin every pytest run loads once vtorm
# is installed -- costs almost nothing until a name is used.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("Client", "LoginResult", "SyncResult"), "vtorm.client"),
    **dict.fromkeys(("connect", "get_client"), "vtorm.context"),
    "Features": "vtorm.features",
    **dict.fromkeys(("FieldInfo", "Model", "field"), "vtorm.model"),
    "BulkResult": "vtorm.persistence",
    **dict.fromkeys(("Manager", "Q", "QuerySet"), "vtorm.query"),
    "UnitOfWork": "vtorm.unit_of_work",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name) or ("vtorm.errors" if name in __all__ else None)
    if module is None:
        # A submodule not imported yet (``vtorm.context``), as an eager package would have it.
        try:
            return _importlib.import_module(f"vtorm.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vtorm.{name}":
                raise
        raise AttributeError(f"module 'vtorm' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value  # found once: later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__version__ = "0.2.0"

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "BulkResult",
    "Client",
    "ConflictError",
    "ConnectError",
    "ConnectTimeout",
    "ConnectionLost",
    "DuplicateError",
    "Features",
    "FieldError",
    "FieldInfo",
    "FlushError",
    "InDoubtError",
    "InvalidIdError",
    "LoginResult",
    "Manager",
    "MandatoryFieldError",
    "Model",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "ProtocolError",
    "Q",
    "QuerySet",
    "QuerySyntaxError",
    "ReadTimeout",
    "RecordNotFoundError",
    "ReferenceInvalidError",
    "SessionError",
    "SyncResult",
    "TLSError",
    "TransportError",
    "UnitOfWork",
    "UnknownUserError",
    "UnsupportedOperationError",
    "UnsupportedQueryError",
    "ValidationError",
    "VtigerError",
    "VtormError",
    "connect",
    "field",
    "get_client",
]

# Installed, the generator is the subpackage vtorm/codegen. In a source checkout
# its folder is codegen/ beside this one: let ``vtorm.codegen`` find it there too.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if not _os.path.isdir(_os.path.join(__path__[0], "codegen")) and _os.path.isfile(
    _os.path.join(_checkout, "codegen", "__init__.py")
):
    __path__.append(_checkout)
