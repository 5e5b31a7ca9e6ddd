"""vtorm: a typed, declarative object mapper for the Vtiger CRM web-service API."""

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
    ValidationError,
    VtigerError,
    VtormError,
)

__version__ = "0.1.0"

__all__ = [
    "AccessDeniedError",
    "AuthenticationError",
    "ConflictError",
    "DuplicateError",
    "FieldError",
    "FlushError",
    "InvalidIdError",
    "MandatoryFieldError",
    "MultipleObjectsReturned",
    "ObjectDoesNotExist",
    "ProtocolError",
    "QuerySyntaxError",
    "RecordNotFoundError",
    "ReferenceInvalidError",
    "SessionError",
    "TransportError",
    "ValidationError",
    "VtigerError",
    "VtormError",
]
