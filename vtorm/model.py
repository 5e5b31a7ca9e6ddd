"""The runtime of generated model classes: ``Model``, its options, identity and dirty tracking.

A generated class (see ``docs/architecture.md``) is an attrs class deriving
from :class:`Model`, one attribute per describe field made with
:func:`field`, and its options in an inner ``class Meta:`` (``module``,
``id_prefix``, ``label_fields``), read once into ``Model._meta``. Instances
built from server rows (:meth:`Model._from_row`) keep the row itself as the
snapshot of what was loaded; :meth:`Model._changes` compares wire forms
against it only when asked, so loading stays cheap.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import attrs

from vtorm import errors, persistence
from vtorm.fields import FieldInfo, field, read_only_error
from vtorm.query.manager import ManagerDescriptor
from vtorm.rows import row_builder
from vtorm.types import to_python, to_wire, wire_equal

if TYPE_CHECKING:
    from vtorm.client import Client
    from vtorm.errors import InDoubtError

__all__ = ["FieldInfo", "Model", "ModelMeta", "ModelState", "field", "model_for_module"]

M = TypeVar("M", bound="Model")
_REPR_LABEL_MAX = 60


@attrs.frozen
class _Options:
    """The options a model class declares in its ``Meta`` (None: not declared)."""

    module: str | None = None
    id_prefix: str | None = None
    label_fields: tuple[str, ...] | None = None


_OPTION_NAMES = tuple(a.name for a in attrs.fields(_Options))
# The class attributes that held the options before ``Meta``, still read (deprecated).
_DUNDERS = {"__module_name__": "module", "__id_prefix__": "id_prefix",
            "__label_fields__": "label_fields"}


def _declared_options(cls: type) -> dict[str, Any]:
    """The options ``cls`` itself declares, from its ``Meta`` or (deprecated) its dunders."""
    meta = cls.__dict__.get("Meta")
    dunders = {name: cls.__dict__[name] for name in _DUNDERS if name in cls.__dict__}
    if meta is not None and dunders:
        raise TypeError(
            f"{cls.__name__} declares its options twice: in class Meta and as "
            f"{', '.join(dunders)}; keep class Meta only"
        )
    if meta is None:
        if dunders:
            warnings.warn(
                f"{cls.__name__}: {', '.join(dunders)} are deprecated; declare the options "
                "in an inner 'class Meta:' (module, id_prefix, label_fields), as "
                "vtorm codegen writes them",
                DeprecationWarning,
                stacklevel=3,  # the class statement (here, then __init_subclass__)
            )
        return {_DUNDERS[name]: value for name, value in dunders.items()}
    if not isinstance(meta, type):
        raise TypeError(f"{cls.__name__}.Meta must be a class")
    declared = {k: v for k, v in vars(meta).items() if not k.startswith("_")}
    unknown = sorted(set(declared) - set(_OPTION_NAMES))
    if unknown:
        raise TypeError(
            f"{cls.__name__}.Meta has unknown option(s) {', '.join(unknown)}; "
            f"the options are {', '.join(_OPTION_NAMES)}"
        )
    return declared


def _checked(cls: type, declared: dict[str, Any]) -> dict[str, Any]:
    name = cls.__name__
    module = declared.get("module")
    if "module" in declared and (not isinstance(module, str) or not module):
        raise TypeError(f"{name}: Meta.module must be the module's name, not {module!r}")
    prefix = declared.get("id_prefix")
    if "id_prefix" in declared and (not isinstance(prefix, str) or not prefix.isdigit()):
        raise TypeError(f"{name}: Meta.id_prefix must be digits such as '12', not {prefix!r}")
    if "label_fields" in declared:
        labels = declared["label_fields"]
        if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
            raise TypeError(
                f"{name}: Meta.label_fields must be a tuple of attribute names, not {labels!r}"
            )
        declared = {**declared, "label_fields": tuple(labels)}
    return declared


def _inherited_options(cls: type) -> _Options:
    for base in cls.__mro__[1:]:
        options = base.__dict__.get("_vtorm_options")
        if options is not None:
            return options  # type: ignore[no-any-return]
    return _Options()


@attrs.define
class ModelMeta:
    """A model's options and field table, built once per class (``Model._meta``)."""

    model: type[Model]
    module: str
    id_prefix: str
    fields: dict[str, FieldInfo]
    by_wire: dict[str, FieldInfo]
    label_fields: tuple[str, ...]
    editable: tuple[FieldInfo, ...] = ()
    #: Every attrs attribute of the class, fields of the CRM or not.
    attributes: frozenset[str] = frozenset()

    @classmethod
    def build(cls, model: type[Model]) -> ModelMeta:
        """Read ``model``'s options and the ``field()`` metadata of its attrs fields.

        A model that declares no ``module`` is named after its class.
        """
        fields: dict[str, FieldInfo] = {}
        for attribute in attrs.fields(model):
            info = attribute.metadata.get("vtorm")
            if isinstance(info, FieldInfo):
                fields[attribute.name] = attrs.evolve(info, attr=attribute.name)
        options: _Options = model.__dict__.get("_vtorm_options") or _Options()
        return cls(
            model=model,
            module=options.module or model.__name__,
            id_prefix=options.id_prefix or "",
            fields=fields,
            by_wire={info.wire: info for info in fields.values()},
            label_fields=options.label_fields or (),
            editable=tuple(info for info in fields.values() if info.editable),
            attributes=frozenset(attribute.name for attribute in attrs.fields(model)),
        )


class _MetaAccessor:
    """``Model._meta``: the class's ModelMeta, built on first use."""

    def __get__(self, instance: object, owner: type[Model]) -> ModelMeta:
        meta = owner.__dict__.get("_vtorm_meta")
        if meta is None:
            meta = ModelMeta.build(owner)
            type.__setattr__(owner, "_vtorm_meta", meta)
        return meta


class ModelState:
    """Per-instance bookkeeping: where it came from and what was loaded.

    ``loaded`` maps wire names to wire values as the server last sent them
    (the row itself, not a copy); ``adding`` is True until the record exists;
    ``in_doubt`` the :class:`~vtorm.errors.InDoubtError` of a write whose
    outcome is unknown, until it is settled.
    """

    __slots__ = ("adding", "client", "in_doubt", "loaded")

    def __init__(self, client: Client | None, loaded: Mapping[str, Any], adding: bool) -> None:
        self.client = client
        self.loaded = loaded
        self.adding = adding
        #: The error of a write of this instance whose outcome is unknown (see resolve()).
        self.in_doubt: InDoubtError | None = None

    def __repr__(self) -> str:
        return f"<ModelState adding={self.adding} loaded={len(self.loaded)} fields>"


_MODELS: dict[str, type[Model]] = {}


def model_for_module(module: str) -> type[Model] | None:
    """The model class most recently declared for the Vtiger module ``module``."""
    return _MODELS.get(module)


def _new_state() -> ModelState:
    return ModelState(None, {}, True)


@attrs.define(kw_only=True, eq=False, slots=False)
class Model:
    """Base of every generated model class: one instance is one CRM record.

    A model's options go in an inner class (read into ``_meta``)::

        class Meta:
            module = "Contacts"                    # the Vtiger module (default: the class name)
            id_prefix = "12"                       # the prefix of its record ids
            label_fields = ("firstname", "lastname")   # shown in repr

    A subclass inherits the options it does not declare.
    """

    DoesNotExist: ClassVar[type[errors.ObjectDoesNotExist]] = errors.ObjectDoesNotExist
    MultipleObjectsReturned: ClassVar[type[errors.MultipleObjectsReturned]] = (
        errors.MultipleObjectsReturned
    )

    objects: ClassVar[ManagerDescriptor] = ManagerDescriptor()
    _meta = _MetaAccessor()

    id: str | None = field("id", "autogenerated", label="Record Id", editable=False)
    _state: ModelState = attrs.field(init=False, repr=False, factory=_new_state)

    if not TYPE_CHECKING:  # mypy would allow any attribute name if it saw a __setattr__

        def __setattr__(self, name: str, value: Any) -> None:
            """Refuse a read-only field, and a name that is no field (it would never be saved).

            ``contact.emial = "x"`` would otherwise make a new attribute that
            ``save()`` never sends. Names starting with ``_``, attrs attributes
            and attributes the class defines may be set as usual.
            """
            cls = type(self)
            meta = cls._meta
            info = meta.fields.get(name)
            if info is not None:
                if not info.editable:
                    raise read_only_error(cls.__name__, info, value)
            elif name[:1] != "_" and name not in meta.attributes and not hasattr(cls, name):
                hint = errors.did_you_mean(name, meta.fields)
                raise errors.FieldError(
                    f"{cls.__name__} has no field {name!r}{hint}: an attribute of another "
                    f"name would never be saved (tried {value!r})"
                )
            object.__setattr__(self, name, value)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        qualname = cls.__qualname__
        for name in ("DoesNotExist", "MultipleObjectsReturned"):
            base = getattr(cls, name)
            made = type(
                name, (base,), {"__module__": cls.__module__, "__qualname__": f"{qualname}.{name}"}
            )
            setattr(cls, name, made)
        if "__repr__" not in cls.__dict__:
            # A __repr__ of the class's own keeps attrs from writing its default one.
            def __repr__(self: Model) -> str:
                return self._model_repr()

            __repr__.__qualname__ = f"{qualname}.__repr__"
            cls.__repr__ = __repr__  # type: ignore[method-assign]
        declared = _checked(cls, _declared_options(cls))
        options = attrs.evolve(_inherited_options(cls), **declared)
        type.__setattr__(cls, "_vtorm_options", options)
        if "module" in declared:
            _MODELS[declared["module"]] = cls

    # ------------------------------------------------------------------ loading

    @classmethod
    def _from_row(cls: type[M], row: Mapping[str, Any], client: Client | None = None) -> M:
        """A clean instance from a wire row; fields absent from the row are None."""
        built: M = row_builder(cls)(row, client)
        return built

    def _mark_clean(self, row: Mapping[str, Any]) -> None:
        """Take the values of the server row ``row`` and make it the snapshot."""
        meta = type(self)._meta
        values = self.__dict__
        for wire, wire_value in row.items():
            info = meta.by_wire.get(wire)
            if info is None:
                continue
            new = to_python(info, wire_value)
            old = values.get(info.attr)
            # A referenced instance stays in place when the server confirms its id.
            if isinstance(old, Model) and old.id is not None and old.id == new:
                continue
            values[info.attr] = new
        state = self._state
        merged = dict(state.loaded)
        merged.update(row)
        state.loaded = merged
        state.adding = False

    # ------------------------------------------------------------------ writing

    def _to_wire(self, fields: Iterable[str] | None = None) -> dict[str, Any]:
        """The wire form of the named wire fields (every field that is set when None)."""
        meta = type(self)._meta
        module = meta.module
        if fields is None:
            infos = [i for i in meta.fields.values() if getattr(self, i.attr) is not None]
        else:
            infos = [self._info(wire) for wire in fields]
        return {i.wire: to_wire(i, getattr(self, i.attr), module) for i in infos}

    def _info(self, wire: str) -> FieldInfo:
        meta = type(self)._meta
        info = meta.by_wire.get(wire)
        if info is None:
            raise errors.FieldError(f"{type(self).__name__} has no field {wire!r}")
        return info

    def _changes(self) -> dict[str, Any]:
        """Wire name -> new wire value of each editable field that differs from the snapshot.

        A new object reports every editable field that is not None. A value
        that cannot be converted raises :class:`~vtorm.errors.ValidationError`.
        """
        module = type(self)._meta.module
        return {info.wire: to_wire(info, value, module) for info, value in self._differing()}

    def _differing(self) -> list[tuple[FieldInfo, Any]]:
        """Each editable field whose value differs from the snapshot, with the value.

        A value that cannot be converted differs (saving it reports why).
        """
        found: list[tuple[FieldInfo, Any]] = []
        meta = type(self)._meta
        module = meta.module
        state = self._state
        loaded = state.loaded
        values = self.__dict__
        adding = state.adding
        for info in meta.editable:
            wire = info.wire
            value = values.get(info.attr)
            if adding or wire not in loaded:
                if value is not None:
                    found.append((info, value))
                continue
            old = loaded[wire]
            # Shortcuts for what most unchanged fields look like: the same
            # text as loaded (text, ids), or still empty.
            if value is None:
                if old is None or old == "":
                    continue
            elif value.__class__ is str and value == old:
                continue
            try:
                same = wire_equal(info, value, old, module)
            except errors.ValidationError:
                same = False
            if not same:
                found.append((info, value))
        return found

    @property
    def dirty_fields(self) -> list[str]:
        """Names of the attributes ``save()`` would send (peewee's name).

        A loaded instance lists the editable fields whose value differs from
        what was loaded; a new one, every editable field that is set.
        """
        return [info.attr for info, _ in self._differing()]

    def is_dirty(self) -> bool:
        """Whether any field changed since the instance was loaded or saved (peewee's name).

        A new instance with no field set is not dirty, but ``save()`` still creates it.
        """
        return bool(self._differing())

    def _pending_references(self) -> dict[str, Model]:
        """Wire name -> unsaved instance, for each reference holding one."""
        pending: dict[str, Model] = {}
        for info in type(self)._meta.fields.values():
            if info.type in ("reference", "owner"):
                value = getattr(self, info.attr)
                if isinstance(value, Model) and value.id is None:
                    pending[info.wire] = value
        return pending

    def save(
        self,
        *,
        update_fields: Iterable[str] | None = None,
        check_conflict: bool = False,
        client: Client | None = None,
    ) -> None:
        """Create the record, or revise the fields that changed (nothing if none did).

        See :func:`vtorm.persistence.save` for ``update_fields``,
        ``check_conflict`` and ``client``.
        """
        persistence.save(
            self, update_fields=update_fields, check_conflict=check_conflict, client=client
        )

    def delete(self, *, client: Client | None = None) -> None:
        """Delete the record on the server; the instance becomes unsaved."""
        persistence.delete(self, client=client)

    def refresh(self, *, client: Client | None = None) -> None:
        """Load the record again from the server, dropping unsaved changes."""
        persistence.refresh(self, client=client)

    @property
    def in_doubt(self) -> InDoubtError | None:
        """The error of a write of this instance whose outcome is unknown, else None.

        While it is set, ``save()`` and ``delete()`` refuse to write: call
        :meth:`resolve` first.
        """
        return self._state.in_doubt

    def resolve(
        self,
        id: str | None = None,
        *,
        carried_out: bool | None = None,
        client: Client | None = None,
    ) -> bool:
        """Settle a write in doubt: find out whether the server carried it out.

        Returns True when it was (the instance now holds the record as
        stored), False when it was not (the instance keeps its values, and
        ``save()`` sends them again). See :func:`vtorm.persistence.resolve`.
        """
        return persistence.resolve(self, id, carried_out=carried_out, client=client)

    # ------------------------------------------------------------------ identity

    @property
    def pk(self) -> str | None:
        """The record id (Django's name for the primary key): the same as ``id``."""
        return self.id

    def __eq__(self, other: object) -> bool:
        """The same record: the same module and id. An unsaved instance equals only itself."""
        if self is other:
            return True
        if not isinstance(other, Model):
            return NotImplemented
        ident = self.__dict__.get("id")
        return (
            ident is not None
            and ident == other.__dict__.get("id")
            and type(self)._meta.module == type(other)._meta.module
        )

    def __hash__(self) -> int:
        # Like equality: by record, and by identity until the record exists. So
        # the hash changes when an instance is saved or deleted: an instance
        # kept in a set or as a dict key across save() is not found there again.
        ident = self.__dict__.get("id")
        if ident is None:
            return object.__hash__(self)
        return hash((type(self)._meta.module, ident))

    # ------------------------------------------------------------------ display

    def _model_repr(self) -> str:
        ident = self.__dict__.get("id") or "unsaved"
        labels = type(self)._meta.label_fields
        parts = [str(v) for name in labels if (v := self.__dict__.get(name))]
        label = " ".join(parts)
        if len(label) > _REPR_LABEL_MAX:
            label = label[: _REPR_LABEL_MAX - 3] + "..."
        shown = f" {label!r}" if label else ""
        return f"<{type(self).__name__} {ident}{shown}>"

    def __repr__(self) -> str:
        return self._model_repr()
