"""vtorm's model generator: a CRM's describe output -> Python source of typed model classes.

The command line is ``vtorm codegen`` / ``vtorm dump-schema`` (``vtorm.codegen.cli``,
``vtorm.codegen.dump``). As a library::

    from vtorm.codegen import from_dump, render
    text = render(from_dump("schema/"), date=datetime.date.today())

Modules: ``schema`` (parsing and checking describe output), ``source``
(live CRM, dump directory, emulator), ``naming`` (Python names), ``layout``
and ``render`` (the source text), ``drift`` (``--check``), ``output``
(atomic writes).
"""

from .drift import compare_file
from .render import render
from .schema import Schema, SchemaError
from .source import from_dump

__all__ = ["Schema", "SchemaError", "compare_file", "from_dump", "render"]
