"""Queries: ``Q`` expressions, lazy ``QuerySet`` objects and the ``Manager`` built from them."""

from vtorm.errors import UnsupportedQueryError
from vtorm.query.manager import BaseManager, Manager, ManagerDescriptor
from vtorm.query.q import Q
from vtorm.query.queryset import QuerySet, queryset_only

__all__ = [
    "BaseManager",
    "Manager",
    "ManagerDescriptor",
    "Q",
    "QuerySet",
    "UnsupportedQueryError",
    "queryset_only",
]
