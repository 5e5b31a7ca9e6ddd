"""``vtorm import MODULE --in FILE --key F[,F]``: upsert a file's rows into a module.

Exit status: 0 every row written or unchanged, 1 some rows rejected or in
doubt, 2 usage or connection error (the journal keeps what was done).
"""

from __future__ import annotations

import argparse

from vtorm.migrate.cli_common import (
    add_crm_options,
    add_job_options,
    client_from,
    guarded,
    summary,
    write_counts,
)
from vtorm.migrate.convert import DateRule
from vtorm.migrate.files import count_records, file_format, fingerprint, read_records
from vtorm.migrate.importer import ConnectionLost, Importer
from vtorm.migrate.journal import Journal
from vtorm.migrate.mapping import load_map
from vtorm.migrate.models import models_for
from vtorm.migrate.owners import Owners
from vtorm.migrate.prepare import Preparer
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import EXIT_USAGE, Rejects, exit_status

__all__ = ["add_arguments", "run"]

PROG = "vtorm import"


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("no key field named")
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm import``."""
    parser.description = (
        "Upsert the rows of FILE (.jsonl or .csv) into MODULE: each row's record is "
        "found by --key (100 keys per query); it is created when absent, revised with only "
        "the fields that differ when present, left alone when equal. Values are checked "
        "against the module's field types before anything is sent; rows that fail are "
        "rejected with their reason. Rerunning the same command writes nothing twice."
    )
    parser.epilog = (
        "exit status: 0 every row written or unchanged; 1 some rows rejected or in doubt; "
        "2 usage or connection error.  "
        "example: vtorm import Contacts --in people.csv --key email --map people.toml "
        "--journal people.journal --rejects rejected.jsonl --report report.json"
    )
    parser.add_argument("module", metavar="MODULE", help="the module to load, e.g. Contacts")
    parser.add_argument(
        "--in", dest="input", metavar="FILE", required=True,
        help="the rows to load: JSON Lines (.jsonl) or CSV (.csv, UTF-8, header row)",
    )  # fmt: skip
    parser.add_argument(
        "--key", metavar="F[,F]", type=_names, required=True,
        help="the field(s) that identify a row's record on the target (wire names); "
        "a read-only key such as id or contact_no only updates existing records",
    )  # fmt: skip
    parser.add_argument(
        "--map", metavar="FILE",
        help="a JSON or TOML map: rename (column -> field), ignore, set (field -> constant), "
        "default (field -> value when empty), values (field -> {input: value}), "
        "hook ('module:function'); see docs/migrations.md",
    )  # fmt: skip
    parser.add_argument(
        "--delimiter", default=",", metavar="CHAR",
        help="CSV cell separator (default ','; '\\t' for a tab)"
    )
    dates = parser.add_argument_group(
        "dates in the input (default: only YYYY-MM-DD is accepted; nothing is guessed)"
    )
    order = dates.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst", dest="dayfirst", action="store_true", default=None,
        help="read 01/02/2024 as 1 February 2024",
    )  # fmt: skip
    order.add_argument(
        "--monthfirst", dest="dayfirst", action="store_false",
        help="read 01/02/2024 as 2 January 2024",
    )  # fmt: skip
    order.add_argument(
        "--date-format", metavar="FORMAT",
        help="a strptime format for dates, e.g. %%d.%%m.%%Y",
    )  # fmt: skip
    add_job_options(parser)
    add_crm_options(parser)


def run(args: argparse.Namespace) -> int:
    """Import the file."""
    rejects: Rejects | None = None
    journal: Journal | None = None
    importer: Importer | None = None

    def job() -> int:
        nonlocal rejects, journal, importer
        if args.delimiter in ("\\t", "tab"):  # a tab is hard to type in a shell
            args.delimiter = "\t"
        if len(args.delimiter) != 1:
            raise ValueError("--delimiter must be one character (or '\\t' for a tab)")
        file_format(args.input)
        field_map = load_map(args.map) if args.map else None
        client = client_from(args)
        model = models_for(client, [args.module])[args.module]
        preparer = Preparer(
            model, args.key, field_map=field_map, owners=Owners(client),
            dates=DateRule(date_format=args.date_format, dayfirst=args.dayfirst),
        )  # fmt: skip
        rejects = Rejects(args.rejects)
        journal = Journal(args.journal) if args.journal else None
        progress = Progress(f"import {args.module}", enabled=not args.quiet)
        if progress.is_bar:
            progress.set_total(count_records(args.input, delimiter=args.delimiter))
        importer = Importer(
            model, client, preparer, journal=journal, workers=args.workers,
            dry_run=args.dry_run, rejects=rejects, progress=progress,
            source=fingerprint(args.input),
        )  # fmt: skip
        try:
            counts = importer.run(read_records(args.input, delimiter=args.delimiter))
        except ConnectionLost as exc:
            write_counts(args.report, importer.counts.as_dict())
            summary(PROG, importer.counts, dry_run=args.dry_run, extra=" (stopped)")
            print(f"{PROG}: {exc}; rerun the same command to resume", flush=True)
            return EXIT_USAGE
        except KeyboardInterrupt:
            # The report says what this run did, not what an earlier one did.
            write_counts(args.report, importer.counts.as_dict())
            summary(PROG, importer.counts, dry_run=args.dry_run, extra=" (interrupted)")
            raise
        write_counts(args.report, counts.as_dict())
        summary(PROG, counts, dry_run=args.dry_run)
        if rejects.count and args.rejects:
            print(f"{PROG}: {rejects.count} row(s) not written: see {args.rejects}")
        elif rejects.first:
            for entry in rejects.first[:5]:
                where = entry.get("line")
                print(f"  line {where}: {entry['reason']}")
        return exit_status(counts)

    try:
        return guarded(PROG, job)
    finally:
        if importer is not None:
            importer.close()
        if journal is not None:
            journal.close()
        if rejects is not None:
            rejects.close()
