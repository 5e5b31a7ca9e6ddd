"""vtorm: a typed, declarative object mapper for the Vtiger CRM web-service API."""

from vtorm.client import Client, LoginResult, SyncResult
from vtorm.connection import connect, get_client
from vtorm.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    DuplicateError,
    FieldError,
    FlushError,
    InvalidIdError,
    MandatoryFieldError,
    MultipleObjectsReturned,
    ObjectDoesNotExist,
    ProtocolError,
    QuerySyntaxError,
    RecordNotFoundError,
    ReferenceInvalidError,
    SessionError,
    TransportError,
    UnsupportedQueryError,
    ValidationError,
    VtigerError,
    VtormError,
)
from vtorm.model import FieldInfo, Model, field
from vtorm.persistence import BulkResult
from vtorm.query import Manager, Q, QuerySet
from vtorm.unit_of_work import UnitOfWork

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "BulkResult",
    "Client",
    "ConflictError",
    "DuplicateError",
    "FieldError",
    "FieldInfo",
    "FlushError",
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
    "RecordNotFoundError",
    "ReferenceInvalidError",
    "SessionError",
    "SyncResult",
    "TransportError",
    "UnitOfWork",
    "UnsupportedQueryError",
    "ValidationError",
    "VtigerError",
    "VtormError",
    "connect",
    "field",
    "get_client",
]
