"""``Manager``: ``Model.objects``, the entry point of queries and bulk writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from vtorm.query.q import Q
from vtorm.query.queryset import QuerySet

if TYPE_CHECKING:
    from vtorm.changes import ChangeFeed
    from vtorm.client import Client
    from vtorm.model import Model
    from vtorm.persistence import BulkResult

M = TypeVar("M", bound="Model")


class Manager(Generic[M]):
    """Queries and writes for one model, through one client (the default one
    unless ``using()`` names another)."""

    def __init__(self, model: type[M], client: Client | None = None) -> None:
        self.model = model
        self._client = client

    def __repr__(self) -> str:
        return f"<Manager {self.model.__name__}>"

    def get_queryset(self) -> QuerySet[M]:
        """A QuerySet of every record of the model."""
        return QuerySet(self.model, client=self._client)

    def using(self, client: Client) -> Manager[M]:
        """This manager, sending through ``client``."""
        return Manager(self.model, client)

    def _get_client(self) -> Client:
        if self._client is not None:
            return self._client
        from vtorm.connection import get_client

        return get_client()

    # ------------------------------------------------------------ reading

    def all(self) -> QuerySet[M]:
        """Every record."""
        return self.get_queryset()

    def none(self) -> QuerySet[M]:
        """No record (sends nothing)."""
        return self.get_queryset().none()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """See :meth:`QuerySet.filter`."""
        return self.get_queryset().filter(*args, **kwargs)

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """See :meth:`QuerySet.exclude`."""
        return self.get_queryset().exclude(*args, **kwargs)

    def order_by(self, *names: str) -> QuerySet[M]:
        """See :meth:`QuerySet.order_by`."""
        return self.get_queryset().order_by(*names)

    def only(self, *names: str) -> QuerySet[M]:
        """See :meth:`QuerySet.only`."""
        return self.get_queryset().only(*names)

    def values(self, *names: str) -> QuerySet[Any]:
        """See :meth:`QuerySet.values`."""
        return self.get_queryset().values(*names)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[Any]:
        """See :meth:`QuerySet.values_list`."""
        return self.get_queryset().values_list(*names, flat=flat)

    def iterator(self) -> Iterator[M]:
        """See :meth:`QuerySet.iterator`."""
        return self.get_queryset().iterator()

    def get(self, *args: Q, **kwargs: Any) -> M:
        """See :meth:`QuerySet.get`."""
        return self.get_queryset().get(*args, **kwargs)

    def first(self) -> M | None:
        """See :meth:`QuerySet.first`."""
        return self.get_queryset().first()

    def last(self) -> M | None:
        """See :meth:`QuerySet.last`."""
        return self.get_queryset().last()

    def count(self) -> int:
        """See :meth:`QuerySet.count`."""
        return self.get_queryset().count()

    def exists(self) -> bool:
        """See :meth:`QuerySet.exists`."""
        return self.get_queryset().exists()

    def in_bulk(self, id_list: Iterable[str] | None = None, *, field_name: str = "id"
                ) -> dict[Any, M]:
        """See :meth:`QuerySet.in_bulk`."""
        return self.get_queryset().in_bulk(id_list, field_name=field_name)

    def changes(self, since: Any = None, state: Any = None) -> ChangeFeed[M]:
        """See :meth:`QuerySet.changes`."""
        return self.get_queryset().changes(since, state)

    # ------------------------------------------------------------ writing

    def create(self, **fields: Any) -> M:
        """Create a record on the server and return it as loaded."""
        from vtorm import persistence

        obj: M = persistence.create(self.model, self._get_client(), fields)
        return obj

    def bulk_create(self, objs: Iterable[M], *, workers: int = 8) -> BulkResult[M]:
        """Create many records, ``workers`` requests at a time (see vtorm.persistence)."""
        from vtorm import persistence

        return persistence.bulk_create(objs, client=self._client, workers=workers)

    def bulk_update(self, objs: Iterable[M], fields: Iterable[str] | None = None, *,
                    workers: int = 8) -> BulkResult[M]:
        """Send the changes of many records (only ``fields`` when given)."""
        from vtorm import persistence

        return persistence.bulk_update(objs, fields, client=self._client, workers=workers)

    def get_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any
                      ) -> tuple[M, bool]:
        """The record matching ``lookups``, or a new one made from the exact
        lookups and ``defaults``; the flag tells whether it was created."""
        try:
            return self.get(**lookups), False
        except self.model.DoesNotExist:
            return self.create(**_create_params(lookups, defaults)), True

    def update_or_create(self, defaults: dict[str, Any] | None = None, **lookups: Any
                         ) -> tuple[M, bool]:
        """Set ``defaults`` on the record matching ``lookups`` and save it, or
        create it; the flag tells whether it was created."""
        try:
            obj = self.get(**lookups)
        except self.model.DoesNotExist:
            return self.create(**_create_params(lookups, defaults)), True
        for name, value in (defaults or {}).items():
            setattr(obj, name, value)
        obj.save()
        return obj, False


def _create_params(lookups: dict[str, Any], defaults: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in lookups.items():
        name, _, lookup = key.partition("__")
        if lookup in ("", "exact", "iexact") and name not in ("id", "pk"):
            params[name] = value
    params.update(defaults or {})
    return params


class ManagerDescriptor:
    """``Model.objects``: a Manager for the class it is read from."""

    def __get__(self, instance: object, owner: type[M]) -> Manager[M]:
        if instance is not None:
            raise AttributeError(
                f"objects is reachable through the class, not through a "
                f"{owner.__name__} instance"
            )
        return Manager(owner)
