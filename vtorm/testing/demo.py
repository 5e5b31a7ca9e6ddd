"""Demo data for ``Emulator(demo=True)`` and ``vtorm serve --demo``.

A realistic, deterministic data set: the same records, ids and times on every
run (a seeded random generator and a fixed base time). Accounts with their
Contacts, Leads, Potentials, HelpDesk tickets and Products, references between
them, picklist values taken from the schemas, names with accents, CJK
characters and apostrophes, and some empty emails and phones. Records are
written straight into the store, which keeps seeding well under a second.
"""

from __future__ import annotations

import datetime
import random
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtorm.testing.schema import ModuleSchema
from vtorm.testing.values import NUMERIC_TYPES, format_decimal, zero

if TYPE_CHECKING:
    from vtorm.testing.state import CrmState

__all__ = ["BASE_TIME", "COUNTS", "SEED", "seed"]

SEED = 8404
# Every demo record is created and modified at or after this time (UTC).
BASE_TIME = datetime.datetime(2026, 1, 5, 9, 0, 0)

COUNTS: Mapping[str, int] = {
    "Products": 24,
    "Accounts": 60,
    "Contacts": 150,
    "Leads": 120,
    "Potentials": 70,
    "HelpDesk": 60,
}

# Record number prefixes, as a stock install numbers records ("ACC1", "CON1").
_NUMBERS = {
    "Accounts": ("account_no", "ACC"),
    "Contacts": ("contact_no", "CON"),
    "Leads": ("lead_no", "LEA"),
    "Potentials": ("potential_no", "POT"),
    "HelpDesk": ("ticket_no", "TT"),
    "Products": ("product_no", "PRO"),
}

FIRST_NAMES = (
    "John", "Mary", "Seán", "José", "Zoë", "Amélie", "Björn", "Łukasz", "Ngozi",
    "Ana", "Priya", "Mohammed", "Olga", "Chloé", "Jürgen", "Siobhán", "Kenji",
    "太郎", "小明", "花子", "Wei", "Fatima", "Liam", "Noah", "Emma", "Sofía",
)  # fmt: skip
LAST_NAMES = (
    "Smith", "O'Brien", "Müller-Ñúñez", "Ångström", "D'Angelo", "Dubois", "García",
    "Nowak", "Okafor", "Rossi", "Kowalski", "van der Berg", "O'Neill", "Lefèvre",
    "Svensson", "山田", "王", "佐藤", "Nakamura", "Johnson", "Brown", "Kim", "Silva",
)  # fmt: skip
COMPANY_STEMS = (
    "Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Société Générale",
    "Müller", "O'Reilly", "株式会社テスト", "Nordic", "Café", "Blue Sky", "Pioneer",
    "Zenith", "Orion", "Atlas", "Vertex", "Helios", "Quantum",
)  # fmt: skip
COMPANY_SUFFIXES = ("Ltd", "Inc.", "GmbH", "S.A.", "& Sons", "Corporation", "Group", "LLC")
CITIES = (
    "Springfield", "Montréal", "München", "São Paulo", "Kraków", "東京", "Dublin",
    "Lagos", "Bangalore", "Reykjavík", "Zürich", "Lyon",
)  # fmt: skip
PRODUCTS = (
    "Widget", "Gadget", "Sprocket", "Gizmo", "Flux Capacitor", "Thingamajig",
    "Doohickey", "Whatsit", "Contraption", "Module", "Adapter", "Sensor",
)  # fmt: skip
TICKET_SUBJECTS = (
    "Cannot log in", "Invoice is wrong", "Widget broken", "Slow delivery",
    "Refund request", "Password reset", "Feature request: export", "Error 500 on save",
    "Ça ne marche pas", "Wrong address on file", "画面が表示されない",
)  # fmt: skip
# Owners: mostly the administrator, some the second user and a group.
OWNERS = ("19x1", "19x1", "19x1", "19x5", "20x3")


class _Seeder:
    """Builds the records of one store, in dependency order."""

    def __init__(self, state: CrmState) -> None:
        self.state = state
        self.store = state.store
        self.schemas: Mapping[str, ModuleSchema] = state.schemas
        self.rnd = random.Random(SEED)
        self.clock = 0
        self.ids: dict[str, list[str]] = {}

    # -- helpers ----------------------------------------------------------------------

    def pick(self, module: str, field: str) -> str | None:
        """A picklist value from the module's schema (None when it has no values)."""
        found = self.schemas[module].fields.get(field)
        if found is None or not found.picklist:
            return None
        return self.rnd.choice(found.picklist)

    def person(self) -> tuple[str, str]:
        return self.rnd.choice(FIRST_NAMES), self.rnd.choice(LAST_NAMES)

    def email(self, first: str, last: str, domain: str) -> str | None:
        if self.rnd.random() < 0.15:
            return None
        # Accents dropped (Zoë -> zoe); names with no Latin letters get a generic address.
        plain = unicodedata.normalize("NFKD", f"{first}.{last}".lower())
        local = "".join(c for c in plain if (c.isascii() and c.isalnum()) or c == ".")
        return f"{local.strip('.') or 'contact'}{self.rnd.randint(1, 99)}@{domain}"

    def phone(self) -> str | None:
        if self.rnd.random() < 0.2:
            return None
        return f"+1 555 {self.rnd.randint(100, 999):03d} {self.rnd.randint(0, 9999):04d}"

    def times(self) -> tuple[str, str]:
        """Created and modified times, increasing through the data set."""
        self.clock += self.rnd.randint(60, 3600)
        created = BASE_TIME + datetime.timedelta(seconds=self.clock)
        modified = created + datetime.timedelta(seconds=self.rnd.choice((0, 0, 120, 86400)))
        return created.strftime("%Y-%m-%d %H:%M:%S"), modified.strftime("%Y-%m-%d %H:%M:%S")

    def some(self, module: str) -> str | None:
        found = self.ids.get(module)
        return self.rnd.choice(found) if found else None

    def add(self, module: str, values: dict[str, Any]) -> str:
        """Insert one record with the values create would fill; returns its id."""
        schema = self.schemas[module]
        created, modified = self.times()
        row: dict[str, Any] = {"createdtime": created, "modifiedtime": modified}
        row.update(values)
        row.setdefault("assigned_user_id", self.rnd.choice(OWNERS))
        numbered = _NUMBERS.get(module)
        if numbered is not None:
            name, prefix = numbered
            row[name] = f"{prefix}{self.store.next_number(module)}"
        for field in schema.fields.values():
            if field.name in row or field.name == "id":
                continue
            if field.name == "source":
                row["source"] = "WEBSERVICE"
            elif field.type == "boolean":
                row[field.name] = "0"
            elif field.type in NUMERIC_TYPES and field.editable:
                row[field.name] = zero(field)
        crmid = self.store.insert(module, row, "19x1")
        wsid = self.store.wsid(module, crmid)
        self.ids.setdefault(module, []).append(wsid)
        return wsid

    def money(self, low: int, high: int) -> str:
        return format_decimal(Decimal(self.rnd.randint(low, high)) / 4, 8)

    # -- modules --------------------------------------------------------------------------

    def products(self) -> None:
        for index in range(COUNTS["Products"]):
            name = f"{PRODUCTS[index % len(PRODUCTS)]} {'Pro' if index >= len(PRODUCTS) else ''}"
            self.add(
                "Products",
                {
                    "productname": name.strip(),
                    "unit_price": self.money(40, 40000),
                    "qtyinstock": format_decimal(Decimal(self.rnd.randint(0, 500)), 3),
                    "discontinued": "1" if self.rnd.random() < 0.85 else "0",
                    "manufacturer": self.pick("Products", "manufacturer"),
                    "productcategory": self.pick("Products", "productcategory"),
                    "usageunit": self.pick("Products", "usageunit"),
                },
            )

    def accounts(self) -> None:
        for index in range(COUNTS["Accounts"]):
            stem = COMPANY_STEMS[index % len(COMPANY_STEMS)]
            name = f"{stem} {COMPANY_SUFFIXES[index // len(COMPANY_STEMS) % len(COMPANY_SUFFIXES)]}"
            domain = "".join(c for c in stem.lower() if c.isascii() and c.isalnum()) or "example"
            self.add(
                "Accounts",
                {
                    "accountname": name,
                    "industry": self.pick("Accounts", "industry"),
                    "accounttype": self.pick("Accounts", "accounttype"),
                    "rating": self.pick("Accounts", "rating"),
                    "phone": self.phone(),
                    "email1": None if self.rnd.random() < 0.2 else f"info@{domain}.example",
                    "website": f"https://{domain}.example",
                    "employees": str(self.rnd.randint(1, 5000)),
                    "annual_revenue": self.money(40000, 400000000),
                    "bill_city": self.rnd.choice(CITIES),
                },
            )

    def contacts(self) -> None:
        for _ in range(COUNTS["Contacts"]):
            first, last = self.person()
            birthday = datetime.date(1950, 1, 1) + datetime.timedelta(
                days=self.rnd.randint(0, 18000)
            )
            self.add(
                "Contacts",
                {
                    "firstname": first,
                    "lastname": last,
                    "account_id": self.some("Accounts") if self.rnd.random() < 0.9 else None,
                    "email": self.email(first, last, "mail.example"),
                    "phone": self.phone(),
                    "mobile": self.phone(),
                    "title": self.rnd.choice(
                        ("CEO", "CTO", "Buyer", "Engineer", "Directrice", None)
                    ),
                    "leadsource": self.pick("Contacts", "leadsource"),
                    "birthday": birthday.isoformat() if self.rnd.random() < 0.6 else None,
                    "mailingcity": self.rnd.choice(CITIES),
                    "emailoptout": "1" if self.rnd.random() < 0.1 else "0",
                },
            )

    def leads(self) -> None:
        for _ in range(COUNTS["Leads"]):
            first, last = self.person()
            company = f"{self.rnd.choice(COMPANY_STEMS)} {self.rnd.choice(COMPANY_SUFFIXES)}"
            self.add(
                "Leads",
                {
                    "firstname": first,
                    "lastname": last,
                    "company": company,
                    "email": self.email(first, last, "leads.example"),
                    "phone": self.phone(),
                    "leadsource": self.pick("Leads", "leadsource"),
                    "leadstatus": self.pick("Leads", "leadstatus"),
                    "industry": self.pick("Leads", "industry"),
                    "rating": self.pick("Leads", "rating"),
                    "annualrevenue": self.money(0, 40000000),
                    "noofemployees": str(self.rnd.randint(0, 900)),
                    "city": self.rnd.choice(CITIES),
                },
            )

    def potentials(self) -> None:
        for index in range(COUNTS["Potentials"]):
            title = f"Deal {index + 1:03d} \N{EN DASH} {self.rnd.choice(PRODUCTS)}"
            amount = Decimal(self.rnd.randint(5, 2000) * 100)
            probability = Decimal(self.rnd.choice((10, 20, 25, 50, 75, 80, 90, 100)))
            closing = datetime.date(2026, 1, 15) + datetime.timedelta(days=self.rnd.randint(0, 540))
            account = self.some("Accounts")
            self.add(
                "Potentials",
                {
                    "potentialname": title,
                    "related_to": account,
                    "contact_id": self.some("Contacts") if self.rnd.random() < 0.7 else None,
                    "amount": format_decimal(amount, 8),
                    "probability": format_decimal(probability, 3),
                    "forecast_amount": format_decimal(amount * probability / 100, 8),
                    "closingdate": closing.isoformat(),
                    "sales_stage": self.pick("Potentials", "sales_stage"),
                    "opportunity_type": self.pick("Potentials", "opportunity_type"),
                    "leadsource": self.pick("Potentials", "leadsource"),
                },
            )

    def tickets(self) -> None:
        for _ in range(COUNTS["HelpDesk"]):
            self.add(
                "HelpDesk",
                {
                    "ticket_title": self.rnd.choice(TICKET_SUBJECTS),
                    "parent_id": self.some("Accounts"),
                    "contact_id": self.some("Contacts") if self.rnd.random() < 0.8 else None,
                    "product_id": self.some("Products") if self.rnd.random() < 0.5 else None,
                    "ticketstatus": self.pick("HelpDesk", "ticketstatus"),
                    "ticketpriorities": self.pick("HelpDesk", "ticketpriorities"),
                    "ticketseverities": self.pick("HelpDesk", "ticketseverities"),
                    "ticketcategories": self.pick("HelpDesk", "ticketcategories"),
                    "description": 'Reported by phone.\nCustomer says: "it\'s broken".',
                },
            )


_STEPS: tuple[tuple[str, Callable[[_Seeder], None]], ...] = (
    ("Products", _Seeder.products),
    ("Accounts", _Seeder.accounts),
    ("Contacts", _Seeder.contacts),
    ("Leads", _Seeder.leads),
    ("Potentials", _Seeder.potentials),
    ("HelpDesk", _Seeder.tickets),
)


def seed(state: CrmState) -> None:
    """Fill the emulated CRM with the demo data set (modules missing from its schemas skipped).

    A store that already holds records (a ``db_path`` seeded before) is left as it is.
    """
    if state.store.execute("SELECT 1 AS found FROM crmentity LIMIT 1"):
        return
    seeder = _Seeder(state)
    with state.store.lock:
        state.store.conn.execute("BEGIN")
        try:
            for module, step in _STEPS:
                if module in seeder.schemas:
                    step(seeder)
        except BaseException:
            state.store.conn.execute("ROLLBACK")
            raise
        state.store.conn.execute("COMMIT")
