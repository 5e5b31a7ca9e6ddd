"""vtorm's model generator: a CRM's describe output -> Python source of typed model classes.

The command line is ``vtorm codegen`` / ``vtorm dump-schema`` (``codegen.cli``,
``codegen.dump``). As a library::

    from codegen import from_dump, render
    text = render(from_dump("schema/"), date=datetime.date.today())

Modules: ``schema`` (parsing and checking describe output), ``source``
(live CRM, dump directory, emulator), ``naming`` (Python names), ``layout``
and ``render`` (the source text), ``drift`` (``--check``), ``output``
(atomic writes).
"""

from codegen.drift import compare_file
from codegen.render import render
from codegen.schema import Schema, SchemaError
from codegen.source import from_dump

__all__ = ["Schema", "SchemaError", "compare_file", "from_dump", "render"]
