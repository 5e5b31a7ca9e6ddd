"""convertlead: a Lead becomes an Account, a Contact and a Potential.

Like the stock server, the conversion is not atomic: the entities are created
one by one (Accounts, Contacts, Potentials) and a failure leaves the ones
already made in place. Each one made has ``isconvertedfromlead`` "1"; an
Account whose name is taken fails the conversion with the duplicate error. A
converted Lead is hidden from queries and sync reports it as deleted, yet
retrieve still answers it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from vtorm.testing.operations import records
from vtorm.testing.operations.base import NO_RESULT, Context, WsError, operation
from vtorm.testing.operations.duplicates import DUPLICATES
from vtorm.testing.store import Store
from vtorm.testing.values import parse_element

__all__ = ["ENTITY_ORDER", "LEAD_MAPPING", "convertlead", "is_converted"]

ENTITY_ORDER = ("Accounts", "Contacts", "Potentials")

# Lead field -> field of the new record, the stock conversion mapping (a value
# given in ``entities`` wins).
LEAD_MAPPING: dict[str, dict[str, str]] = {
    "Accounts": {
        "company": "accountname",
        "industry": "industry",
        "annualrevenue": "annual_revenue",
        "noofemployees": "employees",
        "phone": "phone",
        "website": "website",
        "rating": "rating",
        "lane": "bill_street",
        "city": "bill_city",
        "code": "bill_code",
        "country": "bill_country",
        "state": "bill_state",
        "pobox": "bill_pobox",
        "description": "description",
    },
    "Contacts": {
        "salutationtype": "salutationtype",
        "firstname": "firstname",
        "lastname": "lastname",
        "email": "email",
        "secondaryemail": "secondaryemail",
        "phone": "phone",
        "mobile": "mobile",
        "fax": "fax",
        "designation": "title",
        "leadsource": "leadsource",
        "lane": "mailingstreet",
        "city": "mailingcity",
        "code": "mailingzip",
        "country": "mailingcountry",
        "state": "mailingstate",
        "pobox": "mailingpobox",
        "description": "description",
    },
    "Potentials": {"leadsource": "leadsource", "description": "description"},
}


def is_converted(store: Store, crmid: int) -> bool:
    """Whether the Lead ``crmid`` has been converted (hidden from queries)."""
    rows = store.execute(
        f"SELECT _hidden FROM {store.layouts['Leads'].table} WHERE crmid = ?", (crmid,)
    )
    return bool(rows and rows[0]["_hidden"])


def _values(
    name: str, spec: Mapping[str, Any], source: Mapping[str, Any], created: Mapping[str, str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for lead_field, field in LEAD_MAPPING.get(name, {}).items():
        if source.get(lead_field):
            values[field] = source[lead_field]
    values.update({k: v for k, v in spec.items() if k not in ("create", "name")})
    if name == "Contacts" and "Accounts" in created:
        values.setdefault("account_id", created["Accounts"])
    if name == "Potentials":
        if "Accounts" in created:
            values.setdefault("related_to", created["Accounts"])
        if "Contacts" in created:
            values.setdefault("contact_id", created["Contacts"])
    return values


@operation("convertlead", method="POST")
def convertlead(ctx: Context, params: Mapping[str, str]) -> Any:
    """Create the entities the element asks for from the lead; their ids by module."""
    element = parse_element(params.get("element"))
    if not isinstance(element, dict):
        element = {}
    store = ctx.crm.store
    module, crmid, source = store.locate(str(element.get("leadId") or ""))
    if module == "Leads" and is_converted(store, crmid):
        raise WsError("LEAD_ALREADY_CONVERTED", "Lead is already converted")
    entities = element.get("entities")
    if not isinstance(entities, dict) or not entities:
        # The stock server answers {"success":true} with no result at all.
        return NO_RESULT
    owner = element.get("assignedTo") or source.get("assigned_user_id")
    if not owner and ctx.user is not None:
        owner = ctx.user.wsid
    created: dict[str, str] = {}
    for name in ENTITY_ORDER:
        spec = entities.get(name)
        if not isinstance(spec, dict) or not spec.get("create"):
            continue
        values = _values(name, spec, source, created)
        values.setdefault("assigned_user_id", owner)
        # Every record a conversion makes says so.
        values["isconvertedfromlead"] = "1"
        try:
            record = records.create(
                ctx, {"elementType": name, "element": json.dumps(values, ensure_ascii=False)}
            )
        except WsError as error:
            if error.message == DUPLICATES:
                # A duplicate is answered as it is, not as a failed conversion.
                raise
            raise WsError("UNKNOWN_OPERATION", f"{error.message} : {name}") from None
        created[name] = record["id"]
    if module == "Leads":
        store.hide(crmid)
        store.update("Leads", crmid, {}, ctx.user.wsid if ctx.user is not None else None)
    return created
