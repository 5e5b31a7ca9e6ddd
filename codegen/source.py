"""Where describes come from: a live CRM, a schema dump directory, or the embedded emulator.

Every source gives a :class:`~codegen.schema.Schema`. A live CRM is read
through one :class:`vtorm.Client`, its describes fetched concurrently.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from vtorm.client import Client
from vtorm.describe import LISTTYPES_FILE, describe_file, describe_files
from vtorm.errors import VtormError, did_you_mean

from .schema import (
    Schema,
    SchemaError,
    SourceInfo,
    parse_describe,
    parse_listtypes,
    sorted_modules,
)

__all__ = [
    "DUMP_INFO",
    "EMULATOR_SOURCE",
    "Credentials",
    "RawDump",
    "credentials_from",
    "fetch_raw",
    "from_dump",
    "from_raw",
    "live_client",
    "read_dump",
]

# Written by `vtorm dump-schema` next to the describes: who and what the dump
# came from, so code generated from it can say so.
DUMP_INFO = "vtorm-dump.json"
log = logging.getLogger("vtorm.codegen")
EMULATOR_SOURCE = "the embedded vtorm emulator"
_WORKERS = 8


@attrs.frozen
class Credentials:
    """A CRM to read: URL, user and access key (hidden from repr)."""

    url: str
    username: str
    access_key: str = attrs.field(repr=False)


def credentials_from(
    url: str | None,
    username: str | None,
    access_key: str | None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """Credentials from the arguments, else the ``VTIGER_*`` variables; ``None`` if no URL.

    A URL without a user name or access key raises :class:`SchemaError`
    naming what is missing.
    """
    env = os.environ if environ is None else environ
    url = url or env.get("VTIGER_URL") or None
    if url is None:
        return None
    username = username or env.get("VTIGER_USERNAME") or None
    access_key = access_key or env.get("VTIGER_ACCESS_KEY") or None
    missing = [
        what
        for what, value in (
            ("a user name (--username or VTIGER_USERNAME)", username),
            ("an access key (--access-key or VTIGER_ACCESS_KEY)", access_key),
        )
        if value is None
    ]
    if missing:
        raise SchemaError(f"a CRM URL is set ({url}) but not " + " nor ".join(missing))
    assert username is not None and access_key is not None
    return Credentials(url=url, username=username, access_key=access_key)


@attrs.frozen
class RawDump:
    """What a source answered, unparsed: listtypes, describes by module, login details."""

    listtypes: Any
    describes: Mapping[str, Any]
    url: str
    username: str
    user_id: str | None = None
    vtiger_version: str | None = None
    api_version: str | None = None


def _unknown(name: str, available: Sequence[str]) -> str:
    """``'Contact' (did you mean 'Contacts'?)``: the closest module name, if one is close."""
    return f"{name!r}{did_you_mean(name, available)}"


def _select(available: Sequence[str], wanted: Sequence[str] | None, where: str) -> list[str]:
    if wanted is None:
        return list(available)
    unknown = [name for name in wanted if name not in available]
    if unknown:
        names = ", ".join(_unknown(name, available) for name in unknown)
        raise SchemaError(f"{where} has no module {names}")
    return list(dict.fromkeys(wanted))


def fetch_raw(
    client: Client, modules: Sequence[str] | None = None, *, where: str | None = None
) -> RawDump:
    """Log in, list the modules and describe them (concurrently) through ``client``.

    ``where`` names the CRM in errors (default: the client's URL).
    """
    login = client.login()
    listtypes = client.call("listtypes")
    types = parse_listtypes(listtypes).types
    names = _select(types, modules, where or client.url)
    log.info("describing %d of %d modules of %s", len(names), len(types), where or client.url)

    def describe(module: str) -> Any:
        log.debug("describe %s", module)
        try:
            return client.describe(module)
        except VtormError as exc:
            raise SchemaError(f"describe failed: {exc}", module=module) from exc

    with ThreadPoolExecutor(max_workers=max(1, min(_WORKERS, len(names)))) as pool:
        results = list(pool.map(describe, names))
    return RawDump(
        listtypes=listtypes,
        describes=dict(zip(names, results, strict=True)),
        url=client.url,
        username=client.username,
        user_id=login.user_id or None,
        vtiger_version=login.vtiger_version or None,
        api_version=login.version or None,
    )


def from_raw(raw: RawDump, info: SourceInfo) -> Schema:
    """Parse a raw dump into a schema."""
    listing = parse_listtypes(raw.listtypes)
    modules = [
        parse_describe(describe, module=name, singular=listing.singular.get(name, ""))
        for name, describe in raw.describes.items()
    ]
    return Schema(modules=sorted_modules(modules), info=info)


@contextmanager
def live_client(credentials: Credentials | None) -> Iterator[tuple[Client, bool]]:
    """A client of the CRM of ``credentials``, or of a fresh embedded emulator when ``None``.

    Yields the client and whether it is the emulator's.
    """
    if credentials is not None:
        with Client(credentials.url, credentials.username, credentials.access_key) as client:
            yield client, False
        return
    from vtorm.testing import Emulator

    with (
        Emulator() as crm,
        Client(crm.url, crm.username, crm.access_key) as client,
    ):
        yield client, True


def _load_json(path: Path, module: str | None) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaError(f"cannot read {path.name}: {exc.strerror}", module=module) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
            module=module,
        ) from exc


def read_dump(directory: str | Path, modules: Sequence[str] | None = None) -> RawDump:
    """Read a directory written by ``vtorm dump-schema`` (results or whole envelopes).

    Modules are those ``listtypes.json`` lists (every ``describe-*.json`` when
    it is absent), or ``modules``; a listed module without its describe file
    is an error.
    """
    root = Path(directory)
    if not root.is_dir():
        raise SchemaError(f"schema directory {str(directory)!r} does not exist")
    files = describe_files(root)
    listtypes_path = root / LISTTYPES_FILE
    if listtypes_path.exists():
        listtypes = _load_json(listtypes_path, None)
        available = list(parse_listtypes(listtypes).types)
    else:
        available = sorted(files)
        listtypes = {"types": available, "information": {}}
    names = _select(available, modules, f"schema dump {str(directory)!r}")
    log.info("reading %d of %d modules of schema dump %s", len(names), len(available), directory)
    describes: dict[str, Any] = {}
    for name in names:
        path = files.get(name)
        if path is None:
            raise SchemaError(f"{describe_file(name)} is missing from the dump", module=name)
        describes[name] = _load_json(path, name)
    info_path = root / DUMP_INFO
    info = _load_json(info_path, None) if info_path.exists() else {}
    if not isinstance(info, Mapping):
        info = {}

    def text(key: str) -> str | None:
        value = info.get(key)
        return str(value) if isinstance(value, (str, int, float)) and value != "" else None

    return RawDump(
        listtypes=listtypes,
        describes=describes,
        url=text("url") or text("source") or "",
        username=text("username") or "",
        user_id=text("user_id"),
        vtiger_version=text("vtiger_version"),
        api_version=text("api_version"),
    )


def from_dump(directory: str | Path, modules: Sequence[str] | None = None) -> Schema:
    """The schema of a dump directory, its header naming the directory (and the CRM if known)."""
    raw = read_dump(directory, modules)
    description = f"schema dump {Path(directory).as_posix()}"
    if raw.url:
        description += f" of {raw.url}"
    info = SourceInfo(
        description=description,
        user=raw.username or None,
        vtiger_version=raw.vtiger_version,
        api_version=raw.api_version,
    )
    return from_raw(raw, info)
