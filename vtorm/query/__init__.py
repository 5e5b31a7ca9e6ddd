"""Queries: ``Q`` expressions, lazy ``QuerySet`` objects and the ``Manager``."""

from vtorm.errors import UnsupportedQueryError
from vtorm.query.manager import Manager, ManagerDescriptor
from vtorm.query.q import Q
from vtorm.query.queryset import QuerySet

__all__ = ["Manager", "ManagerDescriptor", "Q", "QuerySet", "UnsupportedQueryError"]
