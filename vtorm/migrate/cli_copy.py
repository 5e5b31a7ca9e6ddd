"""``vtorm copy --modules A,B --journal FILE``: modules from one CRM to another.

Exit status: 0 every record written or unchanged, 1 some rejected or in
doubt, 2 usage or connection error (the journal keeps what was done).
"""

from __future__ import annotations

import argparse

from vtorm.migrate.cli_common import (
    add_crm_options,
    add_job_options,
    client_from,
    guarded,
    write_counts,
)
from vtorm.migrate.copier import Copier
from vtorm.migrate.journal import Journal
from vtorm.migrate.progress import Progress
from vtorm.migrate.report import EXIT_USAGE, Counts, Rejects, exit_status
from vtorm.migrate.source_feed import parse_since
from vtorm.migrate.upsert import ConnectionLost

__all__ = ["add_arguments", "run"]

PROG = "vtorm copy"


def _modules(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("no module named")
    return names


def _key(text: str) -> tuple[str, list[str]]:
    module, sep, fields = text.partition("=")
    names = [f.strip() for f in fields.split(",") if f.strip()]
    if not sep or not module.strip() or not names:
        raise argparse.ArgumentTypeError(f"{text!r}: expected MODULE=FIELD[,FIELD]")
    return module.strip(), names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm copy``."""
    parser.description = (
        "Copy the records of MODULES from a source CRM to a target CRM. Modules go in "
        "reference order (from describe's refersTo); every reference is rewritten to the "
        "target's id through the journal; references to the same module (Accounts 'Member "
        "Of') and cycles are filled in a second pass; owners are mapped by user name and "
        "group name; picklist values are checked against the target. Rerun the same "
        "command to resume, or later to copy what changed: copied records are revised "
        "with what differs, nothing is created twice."
    )
    parser.epilog = (
        "exit status: 0 every record written or unchanged; 1 some rejected or in doubt; "
        "2 usage or connection error.  "
        "example: VTIGER_SOURCE_URL=... VTIGER_TARGET_URL=... vtorm copy "
        "--modules Accounts,Contacts,Potentials --journal copy.journal --report copy.json"
    )
    parser.add_argument(
        "--modules", metavar="A,B,C", type=_modules, required=True,
        help="the modules to copy (comma-separated; any order: they are sorted by references)",
    )  # fmt: skip
    parser.add_argument(
        "--key", metavar="MODULE=F[,F]", type=_key, action="append", default=[],
        help="match records the target already has by these fields instead of creating "
        "new ones (repeatable, e.g. --key Accounts=accountname --key Contacts=email)",
    )  # fmt: skip
    parser.add_argument(
        "--since", metavar="last|DATETIME",
        help="copy only what changed: 'last' = since the point the journal saved at the end "
        "of the last clean run (deletions included: a record deleted on the source is deleted "
        "on the target); or an ISO date and time with its offset, e.g. 2024-06-01T00:00:00Z "
        "(deletions cannot be seen). Default: read every record (unchanged ones are not written)",
    )  # fmt: skip
    add_job_options(parser)
    # The journal is what maps source ids to target ids: a copy needs one that lasts.
    for action in parser._actions:
        if action.dest == "journal":
            action.required = True
            action.help = (
                "SQLite file mapping each source record to its target record (required: "
                "references are rewritten through it, and a rerun resumes from it)"
            )
    add_crm_options(parser, "source")
    add_crm_options(parser, "target")


def run(args: argparse.Namespace) -> int:
    """Copy the modules."""
    rejects: Rejects | None = None
    journal: Journal | None = None
    copier: Copier | None = None

    def job() -> int:
        nonlocal rejects, journal, copier
        since = parse_since(args.since)
        source = client_from(args, "source")
        target = client_from(args, "target")
        rejects = Rejects(args.rejects)
        journal = Journal(args.journal)

        def progress(label: str) -> Progress:
            return Progress(label, enabled=not args.quiet)

        copier = Copier(
            source, target, args.modules, journal=journal, keys=dict(args.key),
            workers=args.workers, dry_run=args.dry_run, rejects=rejects, progress=progress,
            since=since,
        )  # fmt: skip
        print(f"{PROG}: order {', '.join(copier.plan.order)}", flush=True)
        try:
            counts = copier.run()
        except ConnectionLost as exc:
            _finish(args, copier.counts, stopped=True)
            print(f"{PROG}: {exc}; rerun the same command to resume", flush=True)
            return EXIT_USAGE
        except KeyboardInterrupt:
            # The report says what this run did, not what an earlier one did.
            _finish(args, copier.counts, stopped=True, why="interrupted")
            raise
        _finish(args, counts, stopped=False)
        if rejects.count and args.rejects:
            print(f"{PROG}: {rejects.count} record(s) not written: see {args.rejects}")
        else:
            for entry in rejects.first[:5]:
                print(f"  {entry.get('module')} {entry.get('id')}: {entry['reason']}")
        return exit_status(counts)

    try:
        return guarded(PROG, job)
    finally:
        if journal is not None:
            journal.close()
        if rejects is not None:
            rejects.close()


def _finish(
    args: argparse.Namespace, counts: dict[str, Counts], *, stopped: bool, why: str = "stopped"
) -> None:
    write_counts(args.report, {module: c.as_dict() for module, c in counts.items()})
    prefix = "dry run, nothing written: " if args.dry_run else ""
    for module, c in counts.items():
        print(f"{PROG}: {module}: {prefix}{c.line()}{f' ({why})' if stopped else ''}")
