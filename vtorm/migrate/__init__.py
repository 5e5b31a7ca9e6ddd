"""Data migrations: export, import (upsert by key) and copy between CRMs.

Idempotent and resumable: a journal (SQLite) records each row's target
record as it is written, creates that may have been carried out without an
answer are settled by looking their key up before anything is resent, and
rows are matched to records the way the server compares text. The commands
``vtorm export``, ``vtorm import`` and ``vtorm copy`` are built on this
package; see ``docs/migrations.md``.

```python
from vtorm.migrate import copy_modules, export_file, import_file
counts = import_file("Contacts", "people.csv", key=["email"], journal="people.journal")
export_file("Contacts", "contacts.jsonl")
copy_modules(old_crm, new_crm, ["Accounts", "Contacts"], journal="move.journal")
```
"""

from vtorm.migrate.api import (
    copy_modules,
    export_file,
    import_file,
    import_records,
    model_of,
)
from vtorm.migrate.convert import DateRule
from vtorm.migrate.journal import Journal
from vtorm.migrate.mapping import FieldMap, MapError, load_map
from vtorm.migrate.report import Counts, Rejects
from vtorm.migrate.rows import UsageError

__all__ = [
    "Counts",
    "DateRule",
    "FieldMap",
    "Journal",
    "MapError",
    "Rejects",
    "UsageError",
    "copy_modules",
    "export_file",
    "import_file",
    "import_records",
    "load_map",
    "model_of",
]
