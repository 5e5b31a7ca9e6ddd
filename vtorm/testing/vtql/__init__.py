"""The query language of the emulated CRM: VTQL parsed as 8.4 parses it, answered from SQLite.

``translate(text, schemas, quirks=...)`` checks and parses a statement the
way a stock Vtiger 8.4 server does and gives the SQL (values only as bound
parameters) that answers it from the emulator's store; ``install(conn)``
registers the collation and functions that SQL uses.
"""

from vtorm.testing.vtql.errors import VtqlError
from vtorm.testing.vtql.functions import install
from vtorm.testing.vtql.translate import Translation, translate

__all__ = ["Translation", "VtqlError", "install", "translate"]
