"""Change feeds: what changed in a module since a point in time (see docs/changes.md).

``Model.objects.changes(since=None, state=None)`` returns a
:class:`ChangeFeed`; iterating it yields :class:`Change` objects and then
``feed.cursor`` says where the next feed starts.
"""

from vtorm.changes.feed import Change, ChangeFeed, Kind

__all__ = ["Change", "ChangeFeed", "Kind"]
