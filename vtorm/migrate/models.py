"""Model classes for modules named on the command line, made from the CRM's describe.

The commands work on any module of any CRM, custom fields included, without a
generated models file: the classes are made the way ``vtorm codegen`` makes
them (its renderer, run in memory), so they carry the same field types and
checks as the classes a user generates.
"""

from __future__ import annotations

import datetime
import importlib
import types
from collections.abc import Sequence
from typing import Any

from vtorm import Client, Model
from vtorm.errors import AuthenticationError, VtigerError, VtormError, did_you_mean
from vtorm.migrate.rows import UsageError

__all__ = ["cheap_count", "describe_fields", "models_for", "unique_fields"]


def models_for(client: Client, modules: Sequence[str]) -> dict[str, type[Model]]:
    """One model class per module in ``modules``, from ``client``'s describe.

    References between the named modules are typed as in generated code; the
    classes live in a fresh in-memory Python module.
    """
    # The generator is imported only here, and only when a command needs classes.
    render = importlib.import_module("vtorm.codegen.render").render
    schema_module = importlib.import_module("vtorm.codegen.schema")
    parse_describe = schema_module.parse_describe

    specs = []
    for name in dict.fromkeys(modules):
        try:
            raw = client.describe(name)
        except VtigerError as exc:
            if isinstance(exc, AuthenticationError):
                raise
            try:
                known = client.list_types()
            except VtormError:
                known = []
            raise UsageError(
                f"{client.url} has no module {name!r}{did_you_mean(name, known)}; "
                f"the server answered {exc}"
            ) from exc
        specs.append(parse_describe(raw, module=name, singular=str(raw.get("label") or name)))
    schema = schema_module.Schema(
        modules=schema_module.sorted_modules(specs),
        info=schema_module.SourceInfo(description=client.url),
    )
    source = render(schema, date=datetime.date(2000, 1, 1))
    namespace = types.ModuleType(f"vtorm_migrate_models_{id(schema):x}")
    code = compile(source, f"<models of {client.url}>", "exec")
    exec(code, namespace.__dict__)
    found: dict[str, type[Model]] = {}
    for value in vars(namespace).values():
        if isinstance(value, type) and issubclass(value, Model) and value is not Model:
            found[value._meta.module] = value
    return {name: found[name] for name in modules}


def describe_fields(client: Client, module: str) -> dict[str, dict[str, Any]]:
    """Wire name -> the describe entry of each field of ``module`` (cached by the client)."""
    fields = client.describe(module).get("fields") or []
    return {str(f.get("name")): f for f in fields if isinstance(f, dict)}


def unique_fields(client: Client, module: str) -> frozenset[str]:
    """Wire names of the fields duplicate prevention checks (``isunique`` in describe)."""
    return frozenset(
        name
        for name, entry in describe_fields(client, module).items()
        if entry.get("isunique") in (True, 1, "1", "true")
    )


def cheap_count(client: Client, module: str) -> int | None:
    """How many records ``module`` has, when one ``count(*)`` says it (None on stock 8.4).

    For a progress bar's time left: stock 8.4 answers ``count(*)`` with an
    empty list, and counting by paging ids would cost as much as the job.
    """
    try:
        answer = client.query(f"SELECT count(*) FROM {module};")
    except VtigerError:
        return None
    if answer and isinstance(answer[0], dict):
        try:
            return int(answer[0].get("count", ""))
        except ValueError:
            return None
    return None
