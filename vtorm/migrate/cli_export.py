"""``vtorm export MODULE --out FILE``: a module's records to a JSON Lines or CSV file.

Exit status: 0 written, 2 usage or connection error.
"""

from __future__ import annotations

import argparse

from vtorm.migrate.cli_common import add_crm_options, client_from, guarded
from vtorm.migrate.export import export_records, parse_filter
from vtorm.migrate.files import file_format
from vtorm.migrate.models import cheap_count, models_for
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import EXIT_OK

__all__ = ["add_arguments", "run"]

PROG = "vtorm export"


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("no field named")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm export``."""
    parser.description = (
        "Stream every record of MODULE (or those matching --filter) to FILE: JSON Lines "
        "(.jsonl) or CSV (.csv), with `id` and the fields' wire names as keys/columns. "
        "Values are written so that `vtorm import` reads them back unchanged. "
        "Memory stays flat; requests: one describe and one query per 100 records, plus one."
    )
    parser.epilog = (
        "example: vtorm export Contacts --out contacts.csv "
        "--fields firstname,lastname,email --filter mailingcountry=France"
    )
    parser.add_argument("module", metavar="MODULE", help="the module to export, e.g. Contacts")
    parser.add_argument(
        "--out", metavar="FILE", required=True,
        help="the file to write (.jsonl or .csv); written as FILE.part, renamed when complete",
    )  # fmt: skip
    parser.add_argument(
        "--fields", metavar="A,B", type=_names,
        help="only these fields (wire names, comma-separated; default: every field)",
    )  # fmt: skip
    parser.add_argument(
        "--filter", metavar="FIELD__LOOKUP=VALUE", action="append", default=[],
        help="only records matching (repeatable, ANDed); lookups: exact (default), ne, lt, "
        "lte, gt, gte, in (comma-separated values), like, contains, startswith, endswith",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress")
    add_crm_options(parser)


def run(args: argparse.Namespace) -> int:
    """Export the records."""

    def job() -> int:
        file_format(args.out)
        client = client_from(args)
        model = models_for(client, [args.module])[args.module]
        filters = [parse_filter(model, text) for text in args.filter]
        progress = Progress(f"export {args.module}", enabled=not args.quiet, unit="record")
        if progress.is_bar and not filters:
            progress.set_total(cheap_count(client, args.module))
        written = export_records(
            model, client, args.out, fields=args.fields, filters=filters, progress=progress
        )
        print(f"{PROG}: wrote {written} {args.module} records to {args.out}")
        return EXIT_OK

    return guarded(PROG, job)

