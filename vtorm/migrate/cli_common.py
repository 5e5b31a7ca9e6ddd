"""What ``vtorm export``, ``import`` and ``copy`` share: CRM options, job options, exit codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from vtorm import Client
from vtorm.errors import (
    AuthenticationError,
    ProtocolError,
    TransportError,
    VtormError,
)
from vtorm.migrate.report import EXIT_USAGE, Counts, write_report

__all__ = [
    "add_crm_options",
    "add_job_options",
    "client_from",
    "guarded",
    "positive",
    "summary",
    "write_counts",
]


def positive(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def add_crm_options(parser: argparse.ArgumentParser, role: str = "") -> None:
    """``--url/--username/--access-key`` (``--<role>-url``... for ``copy``) and their variables."""
    dash = f"{role}-" if role else ""
    env = f"VTIGER_{role.upper()}_" if role else "VTIGER_"
    title = f"{role} CRM" if role else "CRM"
    group = parser.add_argument_group(
        f"{title} (default: the {env}URL, {env}USERNAME, {env}ACCESS_KEY variables)"
    )
    group.add_argument(
        f"--{dash}url", metavar="URL", help=f"the CRM's base or webservice.php URL ({env}URL)"
    )
    group.add_argument(
        f"--{dash}username", metavar="USER", help=f"user to log in as ({env}USERNAME)"
    )
    group.add_argument(
        f"--{dash}access-key",
        metavar="KEY",
        help=f"the user's access key ({env}ACCESS_KEY; prefer the variable: "
        "arguments show in the process list)",
    )


def client_from(
    args: argparse.Namespace, role: str = "", environ: Mapping[str, str] | None = None
) -> Client:
    """The client the options (or variables) name; :class:`ValueError` saying what is missing."""
    env = os.environ if environ is None else environ
    prefix = f"{role}_" if role else ""
    variable = f"VTIGER_{role.upper()}_" if role else "VTIGER_"
    dash = f"--{role}-" if role else "--"
    url = getattr(args, f"{prefix}url") or env.get(f"{variable}URL")
    username = getattr(args, f"{prefix}username") or env.get(f"{variable}USERNAME")
    key = getattr(args, f"{prefix}access_key") or env.get(f"{variable}ACCESS_KEY")
    missing = [
        f"{dash}{option} or {variable}{name}"
        for option, name, value in (
            ("url", "URL", url),
            ("username", "USERNAME", username),
            ("access-key", "ACCESS_KEY", key),
        )
        if not value
    ]
    if missing:
        what = f"{role} CRM" if role else "CRM"
        raise ValueError(
            f"no {what} configured: give " + "; ".join(missing)
            + " (to rehearse offline, run `vtorm serve --db FILE` and point there)"
        )
    return Client(str(url), str(username), str(key))


def add_job_options(parser: argparse.ArgumentParser, *, rejects: bool = True) -> None:
    """``--journal --workers --dry-run --report`` (and ``--rejects``)."""
    job = parser.add_argument_group("job")
    job.add_argument(
        "--journal",
        metavar="FILE",
        help="SQLite file recording each row's target record as it is written: a rerun "
        "skips what is done and settles creates left in doubt (default: a temporary one)",
    )
    job.add_argument(
        "--workers", type=positive, default=4, metavar="N",
        help="writes sent at once (default 4)",
    )  # fmt: skip
    job.add_argument(
        "--dry-run", action="store_true",
        help="read and look up, send no write; report what would be done",
    )  # fmt: skip
    job.add_argument("--report", metavar="FILE", help="write the counts as JSON to FILE")
    if rejects:
        job.add_argument(
            "--rejects", metavar="FILE",
            help="write each row that was not written, with its reason, to FILE (JSON Lines)",
        )  # fmt: skip
    job.add_argument(
        "--quiet", action="store_true", help="no progress (the summary is still printed)"
    )


def summary(prog: str, counts: Counts, *, dry_run: bool, extra: str = "") -> None:
    """Print the closing line of a job."""
    prefix = "dry run, nothing written: " if dry_run else ""
    print(f"{prog}: {prefix}{counts.line()}{extra}")


def write_counts(path: str | Path | None, report: Mapping[str, Any]) -> None:
    """Write ``--report`` when asked."""
    if path:
        write_report(path, report)


def guarded(prog: str, job: Callable[[], int]) -> int:
    """Run ``job``; usage and connection errors print one line and give exit status 2."""
    try:
        return job()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; rerun the same command to resume", file=sys.stderr)
        return EXIT_USAGE
    except (AuthenticationError, TransportError, ProtocolError) as exc:
        print(f"{prog}: cannot talk to the CRM: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        # "[Errno 2] No such file or directory: 'x.csv'" reads better as the file and the reason.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{prog}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    except (VtormError, ValueError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
