"""``Manager``: ``Model.objects``, built from the QuerySet as Django builds it.

A manager holds no query logic of its own. :meth:`BaseManager.from_queryset`
makes a manager class with one method per public QuerySet method, each
calling it on a fresh ``get_queryset()``: ``Contacts.objects.filter(...)`` is
``Contacts.objects.get_queryset().filter(...)``. ``Manager`` is the manager
of :class:`~vtorm.query.queryset.QuerySet`; a user's own queryset gets its
manager the same way::

    class ContactQuerySet(QuerySet[Contacts]):
        def managers(self) -> QuerySet[Contacts]:
            return self.filter(title__like="%manager%")

    class Contacts(...):
        objects: ClassVar[Any] = Manager.from_queryset(ContactQuerySet)()

A QuerySet method marked :func:`~vtorm.query.queryset.queryset_only` (such as
``delete``), or whose name starts with ``_``, stays off the manager.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from vtorm.query.queryset import QuerySet

if TYPE_CHECKING:
    from typing_extensions import Self

    from vtorm.client import Client
    from vtorm.model import Model
    from vtorm.query.q import Q

__all__ = ["BaseManager", "Manager", "ManagerDescriptor"]

M = TypeVar("M", bound="Model")


class BaseManager(Generic[M]):
    """The entry point of queries on one model, through one client (the default one
    unless ``using()`` names another).

    A manager put on a model class (``objects = MyManager()``) serves the
    class it is read from, subclasses included.
    """

    _queryset_class: ClassVar[type[QuerySet[Any]]] = QuerySet

    def __init__(self, model: type[M] | None = None, client: Client | None = None) -> None:
        #: The model class this manager queries; None until the manager is read
        #: from a model class (see __get__).
        self.model: type[M] = cast("type[M]", model)
        self._client = client

    def __get__(self, instance: object, owner: type[Any]) -> Self:
        if instance is not None:
            raise AttributeError(
                f"{type(self).__name__} is reachable through the class, not through a "
                f"{owner.__name__} instance"
            )
        # A copy per read: the manager on the class serves every subclass.
        bound = copy.copy(self)
        bound.model = owner
        return bound

    def __repr__(self) -> str:
        model = getattr(self.model, "__name__", "(no model)")
        return f"<{type(self).__name__} {model}>"

    def get_queryset(self) -> QuerySet[M]:
        """A QuerySet of every record of the model (of this manager's QuerySet class)."""
        if self.model is None:
            raise TypeError(f"{type(self).__name__} is not attached to a model class")
        queryset: QuerySet[M] = self._queryset_class(self.model, client=self._client)
        return queryset

    @classmethod
    def from_queryset(
        cls, queryset_class: type[QuerySet[Any]], class_name: str | None = None
    ) -> type[BaseManager[Any]]:
        """A manager class with ``queryset_class``'s public methods (Django's name)."""
        if class_name is None:
            class_name = f"{cls.__name__}From{queryset_class.__name__}"
        namespace: dict[str, Any] = {
            "_queryset_class": queryset_class,
            "__module__": cls.__module__,
            "__doc__": f"Manager of {queryset_class.__name__}: "
            + (cls.__doc__ or "").strip().partition("\n")[0],
            **cls._get_queryset_methods(queryset_class),
        }
        made: type[BaseManager[Any]] = type(class_name, (cls,), namespace)
        return made

    @classmethod
    def _get_queryset_methods(cls, queryset_class: type[QuerySet[Any]]) -> dict[str, Any]:
        """One manager method per public QuerySet method the manager lacks."""

        def proxy(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(method)
            def manager_method(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
                return getattr(self.get_queryset(), name)(*args, **kwargs)

            return manager_method

        methods: dict[str, Any] = {}
        for name, method in inspect.getmembers(queryset_class, predicate=inspect.isfunction):
            if hasattr(cls, name):
                continue
            only = getattr(method, "queryset_only", None)
            if only or (only is None and name.startswith("_")):
                continue
            methods[name] = proxy(name, method)
        return methods


if TYPE_CHECKING:
    # To a type checker the manager has the QuerySet's methods, typed for the
    # model; at run time they are made by from_queryset.
    class Manager(BaseManager[M], QuerySet[M]):
        """Queries and writes for one model: every QuerySet method but ``delete``."""

        # QuerySet's chaining methods return Self, so a subclass's own methods
        # chain typed; a manager's return a plain QuerySet of its model.
        def all(self) -> QuerySet[M]: ...  # type: ignore[override]
        def none(self) -> QuerySet[M]: ...  # type: ignore[override]
        def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]: ...  # type: ignore[override]
        def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]: ...  # type: ignore[override]
        def order_by(self, *names: str) -> QuerySet[M]: ...  # type: ignore[override]
        def reverse(self) -> QuerySet[M]: ...  # type: ignore[override]
        def using(self, client: Client) -> QuerySet[M]: ...  # type: ignore[override]
        def only(self, *names: str) -> QuerySet[M]: ...  # type: ignore[override]

else:
    Manager = BaseManager.from_queryset(QuerySet, "Manager")
    Manager.__doc__ = "Queries and writes for one model: every QuerySet method but ``delete``."


class ManagerDescriptor:
    """``Model.objects``: a :class:`Manager` for the class it is read from."""

    def __get__(self, instance: object, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError(
                f"objects is reachable through the class, not through a "
                f"{owner.__name__} instance"
            )
        return Manager(owner)
