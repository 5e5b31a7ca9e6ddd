"""vtorm: a typed, declarative object mapper for the Vtiger CRM web-service API."""

import os as _os

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
