"""``vtorm dump-schema``: save a CRM's listtypes and every module's describe to a directory.

The directory holds ``listtypes.json`` and one ``describe-<Module>.json`` per
module, each the raw ``result`` the server answered, plus ``vtorm-dump.json``
saying where and as whom it was taken (never the access key). ``vtorm codegen
--schema DIR`` and ``vtorm serve --schema DIR`` read it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vtorm.describe import LISTTYPES_FILE, describe_file
from vtorm.errors import VtormError

from .cli import add_crm_arguments
from .output import write_atomic
from .schema import SchemaError, parse_describe, parse_listtypes, unwrap_envelope
from .source import (
    DUMP_INFO,
    EMULATOR_SOURCE,
    RawDump,
    credentials_from,
    fetch_raw,
    live_client,
)

__all__ = ["add_arguments", "dump", "run"]

PROG = "vtorm dump-schema"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm dump-schema``."""
    add_crm_arguments(parser)
    parser.add_argument("--out", metavar="DIR", required=True, help="directory to write into")


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def _selected_listtypes(listtypes: Any, modules: Sequence[str]) -> Any:
    result = unwrap_envelope(listtypes, "listtypes")
    if not isinstance(result, Mapping):
        return result
    kept = set(modules)
    information = result.get("information")
    selected = dict(result)
    selected["types"] = [name for name in result.get("types", []) if name in kept]
    if isinstance(information, Mapping):
        selected["information"] = {k: v for k, v in information.items() if k in kept}
    return selected


def dump(raw: RawDump, directory: str | Path, *, source: str) -> list[Path]:
    """Write ``raw`` into ``directory`` (created if needed); return the files written.

    Every describe is checked first, so a malformed answer writes nothing.
    """
    listing = parse_listtypes(raw.listtypes)
    for name, describe in raw.describes.items():
        if "/" in name or "\\" in name or name.startswith("."):
            raise SchemaError("the module name cannot be a file name", module=name)
        parse_describe(describe, module=name, singular=listing.singular.get(name, ""))
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    listtypes = raw.listtypes
    if set(raw.describes) != set(listing.types):
        listtypes = _selected_listtypes(listtypes, list(raw.describes))
    path = root / LISTTYPES_FILE
    write_atomic(path, _json(unwrap_envelope(listtypes, "listtypes")))
    written.append(path)
    for name, describe in raw.describes.items():
        path = root / describe_file(name)
        write_atomic(path, _json(unwrap_envelope(describe, f"describe of {name}")))
        written.append(path)
    info = {
        "source": source,
        "url": raw.url,
        "username": raw.username,
        "user_id": raw.user_id,
        "vtiger_version": raw.vtiger_version,
        "api_version": raw.api_version,
        "dumped": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    path = root / DUMP_INFO
    write_atomic(path, _json(info))
    written.append(path)
    return written


def run(args: argparse.Namespace) -> int:
    """Read the CRM (or the emulator) and write the dump."""
    try:
        credentials = credentials_from(args.url, args.username, args.access_key)
        if credentials is None:
            print(
                f"{PROG}: no CRM configured (--url or VTIGER_URL); "
                "dumping the embedded emulator's stock schema",
                file=sys.stderr,
            )
        with live_client(credentials) as (client, emulated):
            raw = fetch_raw(client, args.modules, where=EMULATOR_SOURCE if emulated else None)
        if emulated:
            # The emulator's port changes every run; its URL means nothing later.
            source = EMULATOR_SOURCE
            raw = RawDump(
                listtypes=raw.listtypes,
                describes=raw.describes,
                url="",
                username=raw.username,
                user_id=raw.user_id,
                vtiger_version=raw.vtiger_version,
                api_version=raw.api_version,
            )
        else:
            source = raw.url
        written = dump(raw, args.out, source=source)
    except (VtormError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} files to {args.out}", file=sys.stderr)
    return 0
