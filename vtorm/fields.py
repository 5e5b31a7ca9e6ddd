"""Field declarations of model classes: ``field()`` and the ``FieldInfo`` it records.

A generated class declares one attribute per describe field with
:func:`field`; :class:`FieldInfo` is what vtorm then knows of that field.
What a field's Vtiger type means lives in :mod:`vtorm.types` (``info.kind``).
"""

from __future__ import annotations

from typing import Any

import attrs

from vtorm.errors import FieldError
from vtorm.types import FieldType, field_type

__all__ = ["FieldInfo", "field", "read_only_error"]


@attrs.frozen
class FieldInfo:
    """What vtorm knows of one field: names, Vtiger type and describe flags.

    ``attr`` is the Python attribute name, ``wire`` the server's field name,
    ``type`` the Vtiger type name; ``default`` is the describe default as wire
    text; ``refers_to`` the modules a reference may point at; ``picklist`` the
    values describe listed (possibly only those of the describing user's role).
    """

    attr: str
    wire: str
    type: str
    label: str = ""
    mandatory: bool = False
    editable: bool = True
    default: Any = None
    refers_to: tuple[str, ...] = ()
    picklist: tuple[str, ...] = ()
    nullable: bool = True

    @property
    def read_only(self) -> bool:
        """True when the server ignores values sent for this field."""
        return not self.editable

    @property
    def kind(self) -> FieldType:
        """The registry entry of this field's Vtiger type."""
        return field_type(self.type)


def field(
    wire_name: str,
    type_name: str,
    *,
    label: str = "",
    mandatory: bool = False,
    editable: bool = True,
    default: Any = None,
    refers_to: tuple[str, ...] = (),
    picklist: tuple[str, ...] = (),
    nullable: bool = True,
) -> Any:
    """Declare a model attribute for the server field ``wire_name`` of type ``type_name``.

    Every attribute defaults to ``None`` (instances may be built partially);
    ``default`` is only the CRM's default as describe reports it. A field
    that is not editable cannot be assigned on an instance.
    """
    info = FieldInfo(
        attr=wire_name,  # the attribute name is known once the class exists
        wire=wire_name,
        type=type_name,
        label=label,
        mandatory=mandatory,
        editable=editable,
        default=default,
        refers_to=tuple(refers_to),
        picklist=tuple(picklist),
        nullable=nullable,
    )
    # Assignments are checked by Model.__setattr__ (read-only fields, misspelt
    # names); NO_OP keeps attrs from writing a __setattr__ of its own over it,
    # and makes __init__ set the fields directly.
    return attrs.field(default=None, metadata={"vtorm": info}, on_setattr=attrs.setters.NO_OP)


def read_only_error(model: str, info: FieldInfo, value: Any) -> FieldError:
    """The error for assigning ``value`` to the read-only field ``info`` of ``model``."""
    label = f" ({info.label})" if info.label and info.label != info.attr else ""
    return FieldError(
        f"{model}.{info.attr}{label} is read-only: the CRM sets it "
        f"and ignores any value sent, so it cannot be assigned (tried {value!r})"
    )
