"""listtypes, describe, create, retrieve, update, revise and delete."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from vtorm.testing.operations.actors import create_actor, delete_actor, is_gone
from vtorm.testing.operations.base import (
    DENIED,
    Context,
    Fatal,
    PlainText,
    RawJson,
    WsError,
    access_denied,
    internal_error,
    invalid_id,
    operation,
)
from vtorm.testing.operations.duplicates import check_unique
from vtorm.testing.operations.files import keep_upload, with_attachment
from vtorm.testing.operations.lineitems import (
    INVENTORY_MODULES,
    coerce_items,
    items_of,
    keep_items,
)
from vtorm.testing.schema import FieldSchema, ModuleSchema
from vtorm.testing.values import (
    NUMERIC_TYPES,
    coerce,
    format_decimal,
    id_parts,
    parse_element,
    php_text,
    reference,
    zero,
)

RESTRICTED = "Sorry! Attempt to access restricted file."

# Prefix of each module's record number ("CON1"), as a stock install numbers them.
NUMBER_PREFIXES: dict[str, str] = {
    "Accounts": "ACC",
    "Assets": "ASSET",
    "Campaigns": "CAM",
    "Contacts": "CON",
    "Documents": "DOC",
    "Faq": "FAQ",
    "HelpDesk": "TT",
    "Invoice": "INV",
    "Leads": "LEA",
    "Potentials": "POT",
    "PriceBooks": "PB",
    "Products": "PRO",
    "Project": "PROJ",
    "ProjectMilestone": "PM",
    "ProjectTask": "PT",
    "PurchaseOrder": "PO",
    "Quotes": "QUO",
    "SalesOrder": "SO",
    "ServiceContracts": "SERCON",
    "Services": "SER",
    "Vendors": "VEN",
}

# Fields the server fills on create with a fixed value when they were not sent.
_FIXED_DEFAULTS: dict[str, str] = {"source": "WEBSERVICE", "folderid": "22x1", "filesize": "0"}

# Numeric fields left empty on create, unlike the others (which get 0).
_NO_DEFAULT: frozenset[tuple[str, str]] = frozenset({("Calendar", "reminder_time")})

# A number as PHP's is_numeric() reads it: an owner written so is not read as an id.
_PHP_NUMERIC = re.compile(r"^[ \t\n\r\v\f]*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")

# id(schemas) -> (schemas, listtypes result, {module: describe JSON text}); the
# schemas are parsed once per process, so this is computed once too.
_CACHE: dict[int, tuple[Mapping[str, ModuleSchema], dict[str, Any], dict[str, str]]] = {}


def _cached(schemas: Mapping[str, ModuleSchema]) -> tuple[dict[str, Any], dict[str, str]]:
    found = _CACHE.get(id(schemas))
    if found is None or found[0] is not schemas:
        information = {
            name: dict(s.information)
            or {"isEntity": s.is_entity, "label": s.label, "singular": s.singular}
            for name, s in schemas.items()
        }
        listtypes = {"types": list(schemas), "information": information}
        describes = {
            name: json.dumps(s.describe, ensure_ascii=False, separators=(",", ":"))
            for name, s in schemas.items()
        }
        found = (schemas, listtypes, describes)
        _CACHE[id(schemas)] = found
    return found[1], found[2]


def _number_field(schema: ModuleSchema) -> FieldSchema | None:
    for field in schema.fields.values():
        if field.name.endswith("_no") and not field.editable and field.type == "string":
            return field
    return None


def _module(ctx: Context, name: str | None) -> ModuleSchema:
    schema = ctx.crm.schemas.get(name or "")
    if schema is None:
        raise access_denied()
    return schema


def _element(params: Mapping[str, str]) -> Any:
    return parse_element(params.get("element"))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _check_mandatory(schema: ModuleSchema, element: Mapping[str, Any], *, partial: bool) -> None:
    for field in schema.fields.values():
        if not field.mandatory or not field.editable or field.name == "id":
            continue
        if partial and field.name not in element:
            continue
        if _blank(element.get(field.name)):
            raise WsError("MANDATORY_FIELDS_MISSING", f"{field.name} does not have a value")


def _check_references(ctx: Context, schema: ModuleSchema, element: Mapping[str, Any]) -> None:
    """Reference values are checked first, before the mandatory fields, as the server does."""
    for name, raw in element.items():
        field = schema.fields.get(name)
        if field is not None and field.type == "reference" and name != "id":
            reference(field, raw, ctx.crm.store.prefixes)


def _coerce_all(
    ctx: Context, schema: ModuleSchema, element: Mapping[str, Any], *, mode: str
) -> dict[str, Any]:
    """Wire values to store for the editable fields sent; unknown and read-only ones dropped."""
    prefixes = ctx.crm.store.prefixes
    values: dict[str, Any] = {}
    for name, raw in element.items():
        field = schema.fields.get(name)
        if field is None or not field.editable or name in ("id", "tags"):
            # Tags are kept apart from the record: a write cannot set them.
            continue
        if field.type == "reference" and _blank(raw) and mode == "update":
            # update cannot clear a reference: an empty one is dropped.
            continue
        if field.type == "owner":
            values[name] = _owner(ctx, raw)
        elif _blank(raw) and (schema.name, name) in _NO_DEFAULT:
            values[name] = None
        else:
            values[name] = coerce(field, raw, prefixes)
    return values


def _owner(ctx: Context, raw: Any) -> str | None:
    """An owner as 8.4 stores it.

    A bare number (``"1"``, ``424242``) is not read as an id: the record goes
    to the user writing it. An id of a user or group that exists is kept
    (text after it ignored); one of nobody is stored as its bare number --
    the write happens, and its answer is the restricted-file text.
    """
    text = php_text(raw).strip()
    if text == "":
        return None
    if _PHP_NUMERIC.match(text):
        return _user_id(ctx)
    parts = id_parts(text)
    if parts is None:
        raise invalid_id()
    wsid = "x".join(parts)
    return wsid if ctx.crm.owner_exists(wsid) else parts[1]


def _user_id(ctx: Context) -> str | None:
    return ctx.user.wsid if ctx.user is not None else None


def _retrieved(ctx: Context, module: str, crmid: int) -> dict[str, Any]:
    row = ctx.crm.store.fetch(module, crmid)
    if row is None or is_gone(module, row):
        raise access_denied()
    record = ctx.crm.store.render(module, row, retrieve=True)
    if module in INVENTORY_MODULES and ctx.crm.quirks is None:
        record["LineItems"] = items_of(ctx.crm.store, module, crmid)
    return record


def _written(ctx: Context, schema: ModuleSchema, crmid: int) -> dict[str, Any]:
    """The answer to a write: the record as retrieve gives it.

    A record whose owner is nobody (stored as a bare number) cannot be
    answered: 8.4 has written it, then answers the restricted-file text.
    """
    record = _retrieved(ctx, schema.name, crmid)
    for field in schema.fields.values():
        owner = record.get(field.name) if field.type == "owner" else None
        if owner and not ctx.crm.owner_exists(str(owner)):
            raise PlainText(RESTRICTED)
    return record


@operation("listtypes", method="GET")
def listtypes(ctx: Context, params: Mapping[str, str]) -> Any:
    """Every module the user may use, optionally only those with fields of given types."""
    result, _ = _cached(ctx.crm.schemas)
    wanted = params.get("fieldTypeList")
    if wanted is None or wanted == "":
        return result
    try:
        types = json.loads(wanted)
    except ValueError:
        raise internal_error() from None
    if not isinstance(types, list):
        types = [types]
    kinds = {str(t) for t in types}
    names = [
        name
        for name, schema in ctx.crm.schemas.items()
        if schema.is_entity and any(_matches(name, f, kinds) for f in schema.fields.values())
    ]
    info = result["information"]
    # PHP's json_encode of an empty array is [] even where an object is meant.
    return {"types": names, "information": {n: info[n] for n in names} if names else []}


# The field types the server's uitype table knows (vtiger_ws_fieldtype): a
# filter on any other (string, date, integer, ...) lists no module at all.
_LISTED_TYPES = frozenset(
    {"autogenerated", "boolean", "currency", "email", "file", "image", "multipicklist"}
    | {"owner", "phone", "picklist", "reference", "skype", "text", "url"}
)
# Users is listed for these types only (its e-mail, text and reference fields are not counted).
_USERS_LISTED_TYPES = frozenset({"boolean", "phone", "picklist"})


def _matches(module: str, field: FieldSchema, kinds: set[str]) -> bool:
    # The id pseudo-field and the users' access key are not fields of the uitype table.
    if field.type not in kinds or field.type not in _LISTED_TYPES or field.name == "id":
        return False
    if module == "Users":
        return field.type in _USERS_LISTED_TYPES
    return True


@operation("describe", method="GET")
def describe(ctx: Context, params: Mapping[str, str]) -> Any:
    """The module's describe result, exactly as the schema dump holds it."""
    name = params.get("elementType") or ""
    _, describes = _cached(ctx.crm.schemas)
    text = describes.get(name)
    if text is None:
        raise access_denied(f"{DENIED} for name : {name}")
    return RawJson(text)


@operation("create", method="POST")
def create(ctx: Context, params: Mapping[str, str]) -> Any:
    """Create a record; answers it as retrieve would."""
    schema = _module(ctx, params.get("elementType"))
    if params.get("element") is None:
        raise Fatal("create without element")
    element = _element(params)
    if not isinstance(element, dict):
        raise internal_error()
    _check_references(ctx, schema, element)
    _check_mandatory(schema, element, partial=False)
    store = ctx.crm.store
    if not store.layouts[schema.name].entity:
        number = create_actor(ctx, schema, element)
        return store.render(schema.name, store.fetch(schema.name, number) or {}, retrieve=True)
    items: list[dict[str, Any]] | None = None
    if schema.name in INVENTORY_MODULES:
        if ctx.crm.quirks == "8.4" and element.get("LineItems"):
            # 8.4 reads the id of the element being created while building the
            # inventory record, so every create with line items fails.
            raise invalid_id()
        items = coerce_items(store, ctx.crm.schemas, element.get("LineItems"))
    values = _coerce_all(ctx, schema, element, mode="create")
    _fill_defaults(ctx, schema, values)
    upload = None
    if schema.name == "Documents":
        upload = _document_file(values, ctx.files.get("filename"))
    check_unique(store, schema, values, None)
    crmid = store.insert(schema.name, values, _user_id(ctx))
    if items is not None:
        keep_items(store, schema, crmid, items, _user_id(ctx))
    if upload is not None:
        # A multipart create keeps its file: an attachment the answer names.
        keep_upload(store, crmid, upload)
        return with_attachment(store, _written(ctx, schema, crmid))
    return _written(ctx, schema, crmid)


def _document_file(
    values: dict[str, Any], upload: tuple[str, str, bytes] | None
) -> tuple[str, str, bytes] | None:
    """The upload a Documents create keeps: only an internal file (``filelocationtype`` "I").

    Without a location type the file and any ``filename`` are dropped; an
    external one ("E") keeps the ``filename`` it names (a URL) and no upload.
    """
    kind = values.get("filelocationtype")
    if kind != "I":
        if kind != "E":
            values["filename"] = None
        return None
    return upload


def _fill_defaults(ctx: Context, schema: ModuleSchema, values: dict[str, Any]) -> None:
    """What the server computes on create for fields that were not sent."""
    for field in schema.fields.values():
        name = field.name
        if values.get(name) is not None or name == "id":
            continue
        if name in _FIXED_DEFAULTS:
            values[name] = _FIXED_DEFAULTS[name]
        elif field.type == "boolean":
            values[name] = "0"
        elif (
            field.type in NUMERIC_TYPES
            and field.editable
            and (schema.name, name) not in _NO_DEFAULT
        ):
            values[name] = zero(field)
        elif name == "creator" and field.type == "reference":
            values[name] = _user_id(ctx)
        elif field.type == "owner":
            # A record sent without an owner belongs to the user creating it.
            values[name] = _user_id(ctx)
        elif field.type == "datetime" and name in ("CreatedTime", "ModifiedTime"):
            # PBXManager's own creation and modification times.
            values[name] = _now(ctx)
    numbered = _number_field(schema)
    if numbered is not None:
        prefix = NUMBER_PREFIXES.get(schema.name, schema.name[:3].upper())
        values[numbered.name] = f"{prefix}{ctx.crm.store.next_number(schema.name)}"
    values.update(_forecast(schema, values))
    _duration(schema, values)


def _now(ctx: Context) -> str:
    return datetime.datetime.fromtimestamp(ctx.crm.now(), datetime.timezone.utc).strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def _duration(schema: ModuleSchema, values: dict[str, Any]) -> None:
    """An activity's duration, from its start to its end (a task ends with its due day)."""
    if "duration_minutes" not in schema.fields or not values.get("date_start"):
        return
    try:
        start = datetime.datetime.fromisoformat(
            f"{values['date_start']} {values.get('time_start') or '00:00:00'}"
        )
        due = datetime.date.fromisoformat(values.get("due_date") or values["date_start"])
        if values.get("time_end"):
            end = datetime.datetime.fromisoformat(f"{due.isoformat()} {values['time_end']}")
        else:
            end = datetime.datetime.combine(due + datetime.timedelta(days=1), datetime.time())
    except ValueError:
        return
    seconds = max(int((end - start).total_seconds()), 0)
    # A numeric field left out was filled with "0" (Calendar's is described as
    # a time but holds whole hours): the server computes it then. With an end
    # time the duration is the server's, whatever was sent.
    if (
        not values.get("duration_hours")
        or values["duration_hours"] == "0"
        or values.get("time_end")
    ):
        values["duration_hours"] = str(seconds // 3600)
    if not values.get("duration_minutes") or values["duration_minutes"] == "0":
        values["duration_minutes"] = str(seconds % 3600 // 60)


def _forecast(schema: ModuleSchema, values: Mapping[str, Any]) -> dict[str, Any]:
    """A Potential's forecast: amount x probability / 100, rounded to 2 decimals."""
    if not {"forecast_amount", "amount", "probability"} <= set(schema.fields):
        return {}
    amount = Decimal(values.get("amount") or 0)
    probability = Decimal(values.get("probability") or 0)
    forecast = (amount * probability / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return {"forecast_amount": format_decimal(forecast, 8)}


@operation("retrieve", method="GET")
def retrieve(ctx: Context, params: Mapping[str, str]) -> Any:
    """One record by id."""
    module, _, row = ctx.crm.store.locate(params.get("id"))
    _check_resolvable(ctx, module, row)
    if is_gone(module, row):
        raise access_denied()
    record = ctx.crm.store.render(module, row, retrieve=True)
    if module == "Documents":
        return with_attachment(ctx.crm.store, record)
    if module in INVENTORY_MODULES and ctx.crm.quirks is None:
        record["LineItems"] = items_of(ctx.crm.store, module, row["crmid"])
    return record


def _check_resolvable(ctx: Context, module: str, row: Mapping[str, Any]) -> None:
    """A task saved without an activity type cannot be resolved to a module.

    8.4 answers every retrieve, revise, update and delete of it with
    ``INVALID_ID_ATTRIBUTE``, and no query lists it: such a task is there for good.
    """
    if (
        module == "Calendar"
        and "activitytype" in ctx.crm.schemas[module].fields
        and not row["activitytype"]
    ):
        raise invalid_id()


def _target(ctx: Context, element: Any) -> tuple[ModuleSchema, int]:
    if not isinstance(element, dict) or not element.get("id"):
        raise invalid_id()
    module, crmid, row = ctx.crm.store.locate(str(element["id"]))
    if not ctx.crm.store.layouts[module].entity:
        raise access_denied()
    _check_resolvable(ctx, module, row)
    return ctx.crm.schemas[module], crmid


@operation("update", method="POST")
def update(ctx: Context, params: Mapping[str, str]) -> Any:
    """Replace a record: every mandatory field must be sent; fields not sent keep their values."""
    return _write(ctx, params, mode="update")


@operation("revise", method="POST")
def revise(ctx: Context, params: Mapping[str, str]) -> Any:
    """Change only the fields sent; ``""`` or null clears a reference."""
    return _write(ctx, params, mode="revise")


def _write(ctx: Context, params: Mapping[str, str], *, mode: str) -> Any:
    # update and revise differ only in the mandatory check and in how values coerce.
    element = _element(params)
    schema, crmid = _target(ctx, element)
    _check_references(ctx, schema, element)
    _check_mandatory(schema, element, partial=mode == "revise")
    store = ctx.crm.store
    items = None
    if schema.name in INVENTORY_MODULES and element.get("LineItems"):
        items = coerce_items(store, ctx.crm.schemas, element["LineItems"])
    values = _coerce_all(ctx, schema, element, mode=mode)
    if schema.name == "Events" and "reminder_time" in schema.fields:
        # An event's reminder is saved with each write: one not sent is cleared.
        values.setdefault("reminder_time", None)
    merged = {**(store.fetch(schema.name, crmid) or {}), **values}
    values.update(_forecast(schema, merged))
    check_unique(store, schema, merged, crmid)
    store.update(schema.name, crmid, values, _user_id(ctx))
    if items is not None:
        keep_items(store, schema, crmid, items, _user_id(ctx))
    return _written(ctx, schema, crmid)


@operation("delete", method="POST")
def delete(ctx: Context, params: Mapping[str, str]) -> Any:
    """Delete a record. Deleting a user deactivates it, as the real server does."""
    store = ctx.crm.store
    module, crmid, row = store.locate(params.get("id"))
    _check_resolvable(ctx, module, row)
    if module == "Users":
        user = ctx.crm.users.get(crmid)
        if user is not None:
            ctx.crm.deactivate(user)
        return {"status": "successful"}
    if not store.layouts[module].entity:
        delete_actor(ctx, module, crmid)
        return {"status": "successful"}
    store.delete(crmid)
    return {"status": "successful"}
