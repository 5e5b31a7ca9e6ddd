"""``vtorm codegen``: typed model classes from a CRM or a schema dump; ``--check`` for drift.

Where the schema comes from: ``--schema DIR`` (a ``vtorm dump-schema``
directory), else ``--url``/``--username``/``--access-key`` or the
``VTIGER_URL``/``VTIGER_USERNAME``/``VTIGER_ACCESS_KEY`` variables, else the
embedded emulator (said on stderr). Exit status: 0 done (or no drift), 1 drift
found, 2 error.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

import attrs

from vtorm.errors import VtormError

from .drift import compare_text, recorded_modules
from .output import write_atomic
from .render import render
from .schema import Schema, SchemaError, SourceInfo
from .source import (
    EMULATOR_SOURCE,
    credentials_from,
    fetch_raw,
    from_dump,
    from_raw,
    live_client,
)

__all__ = ["DESCRIPTION", "add_arguments", "add_crm_arguments", "load_schema", "main", "run"]

PROG = "vtorm codegen"
#: What ``--help`` says (plain text: argparse shows it as it is).
DESCRIPTION = """\
Write typed model classes for a Vtiger CRM's modules, or with --check compare
an existing file with the CRM's schema.

The schema comes from --schema DIR (a vtorm dump-schema directory), else from
--url/--username/--access-key or the VTIGER_URL, VTIGER_USERNAME and
VTIGER_ACCESS_KEY variables, else from the embedded emulator's stock modules.
Exit status: 0 done (or no drift), 1 drift found, 2 error."""


def add_crm_arguments(parser: argparse.ArgumentParser) -> None:
    """The options naming a live CRM and the modules to read (shared with ``dump-schema``)."""
    crm = parser.add_argument_group("CRM (default: the VTIGER_* variables, else the emulator)")
    crm.add_argument("--url", help="the CRM's base or webservice.php URL (VTIGER_URL)")
    crm.add_argument("--username", help="user to log in as (VTIGER_USERNAME)")
    crm.add_argument(
        "--access-key",
        help="the user's access key (VTIGER_ACCESS_KEY; prefer the variable: "
        "arguments show in the process list)",
    )
    parser.add_argument(
        "--modules",
        metavar="A,B",
        type=_module_list,
        default=None,
        help="only these modules (comma-separated; default: every module the user sees)",
    )


def _module_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("no module named")
    return names


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm codegen``."""
    parser.add_argument(
        "--schema",
        metavar="DIR",
        help="read a vtorm dump-schema directory instead of a CRM "
        "(describe results or whole envelopes)",
    )
    add_crm_arguments(parser)
    parser.add_argument("--out", metavar="FILE", required=True, help="the module to write")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the differences when FILE no longer "
        "matches the schema (default modules: those FILE was generated for)",
    )
    parser.add_argument(
        "--date",
        type=_date,
        default=None,
        help="the date in the header, YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today, UTC)",
    )


def generation_date(explicit: datetime.date | None = None) -> datetime.date:
    """The header date: ``explicit``, else ``SOURCE_DATE_EPOCH``, else today (UTC)."""
    if explicit is not None:
        return explicit
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    return datetime.datetime.now(datetime.timezone.utc).date()


def _command(args: argparse.Namespace, source: list[str]) -> str:
    parts = ["vtorm", "codegen", *source]
    if args.modules:
        parts += ["--modules", ",".join(args.modules)]
    parts += ["--out", str(args.out)]
    return shlex.join(parts)


def load_schema(args: argparse.Namespace, prog: str = PROG) -> Schema:
    """The schema the options name (dump, live CRM or emulator), its header filled in."""
    modules: Sequence[str] | None = args.modules
    if getattr(args, "schema", None):
        if args.url:
            raise SchemaError("give either --schema or --url, not both")
        schema = from_dump(args.schema, modules)
        command = _command(args, ["--schema", Path(args.schema).as_posix()])
        return attrs.evolve(schema, info=attrs.evolve(schema.info, command=command))
    credentials = credentials_from(args.url, args.username, args.access_key)
    if credentials is None:
        print(
            f"{prog}: no CRM configured (--url or VTIGER_URL); "
            "reading the embedded emulator's stock schema",
            file=sys.stderr,
        )
    with live_client(credentials) as (client, emulated):
        # The emulator's URL (a fresh port) would mean nothing in a message.
        raw = fetch_raw(client, modules, where=EMULATOR_SOURCE if emulated else None)
    # The emulator's URL (a fresh port each run) means nothing once it has stopped.
    info = SourceInfo(
        description=EMULATOR_SOURCE if emulated else raw.url,
        user=raw.username,
        vtiger_version=raw.vtiger_version,
        api_version=raw.api_version,
        command=_command(args, [] if emulated else ["--url", raw.url, "--username", raw.username]),
    )
    return from_raw(raw, info)


def _check(args: argparse.Namespace) -> int:
    path = Path(args.out)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(
            f"{path} does not exist, so there is nothing to check; "
            "generate it first (the same command without --check)"
        ) from None
    if args.modules is None:
        # A file generated for some modules is checked for those, not for
        # every module of the CRM.
        args = argparse.Namespace(**{**vars(args), "modules": recorded_modules(text)})
    schema = load_schema(args)
    differences = compare_text(text, path, schema)
    if differences:
        print(f"{path} does not match {schema.info.description}:")
        for line in differences:
            print(f"  {line}")
        return 1
    print(f"{path} matches {schema.info.description} ({len(schema.modules)} modules)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Generate (or, with ``--check``, compare) the models file."""
    try:
        if args.check:
            return _check(args)
        out_dir = Path(args.out).parent
        if not out_dir.is_dir():
            # Before the CRM is read: nothing could be written anyway.
            raise FileNotFoundError(
                f"cannot write {args.out}: the directory {out_dir} does not exist"
            )
        schema = load_schema(args)
        text = render(schema, date=generation_date(args.date))
        write_atomic(args.out, text)
    except (VtormError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    fields = sum(len(module.record_fields) for module in schema.modules)
    print(f"wrote {args.out}: {len(schema.modules)} models, {fields} fields", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vtorm.codegen``: the same as ``vtorm codegen``."""
    import logging

    parser = argparse.ArgumentParser(
        prog="python -m vtorm.codegen",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return run(args)
