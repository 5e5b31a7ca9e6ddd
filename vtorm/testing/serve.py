"""``vtorm serve``: run the embedded CRM in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import errno
import sqlite3
import sys
from pathlib import Path

from vtorm.testing.emulator import Emulator
from vtorm.testing.state import SESSION_IDLE


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535)")
    return port


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def _db_file(text: str) -> Path:
    path = Path(text)
    if not path.parent.is_dir():
        folder = str(path.parent)
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {folder!r} does not exist")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vtorm serve``."""
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="port to listen on (default: a free one, printed at start)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    parser.add_argument(
        "--schema", metavar="DIR", default=None, help="describe dump to emulate (default: stock)"
    )
    parser.add_argument(
        "--db",
        metavar="FILE",
        type=_db_file,
        default=None,
        help="SQLite file keeping the data (and the access key) between runs; default: memory",
    )
    parser.add_argument(
        "--access-key",
        metavar="KEY",
        default=None,
        help="the admin's access key (default: a random one, or the one kept in --db)",
    )
    parser.add_argument("--demo", action="store_true", help="seed the demo data set")
    parser.add_argument(
        "--quirks",
        choices=("8.4", "none"),
        default="8.4",
        help="reproduce stock 8.4 on PHP 8 (default) or the designed behaviour",
    )
    parser.add_argument(
        "--session-idle",
        metavar="SECONDS",
        type=_idle,
        default=SESSION_IDLE,
        help=f"end a session unused this long; 0: never (default {SESSION_IDLE:g})",
    )
    parser.add_argument(
        "--linger",
        metavar="S",
        type=_seconds,
        default=0.0,
        help="after answering a write, keep that connection's worker busy S seconds, "
        "as Apache + Vtiger does (e.g. 0.03); default 0",
    )


def _idle(text: str) -> float | None:
    return _seconds(text) or None


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print how to reach it, serve until interrupted."""
    try:
        crm = Emulator(
            port=args.port,
            host=args.host,
            schema_dir=args.schema,
            db_path=args.db,
            demo=args.demo,
            quirks=None if args.quirks == "none" else args.quirks,
            session_idle=args.session_idle,
            access_key=args.access_key,
            linger=args.linger,
        )
        crm.start()
    except (OSError, ValueError, sqlite3.Error) as exc:
        # One line, as for a usage error: the port is taken, the file is not a database...
        message = str(exc)
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            message = (
                f"port {args.port} of {args.host} is in use (another vtorm serve?): "
                "choose another --port, or leave --port out for a free one"
            )
        print(f"vtorm serve: error: {message}", file=sys.stderr)
        return 2
    try:
        # Inside the try: a Ctrl-C right after the lines are out still stops cleanly.
        print(f"URL:        {crm.url}")
        print(f"User name:  {crm.username}")
        print(f"Access key: {crm.access_key}")
        print("Serving until Ctrl-C.", flush=True)
        crm.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        crm.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m vtorm.testing.serve``: the same as ``vtorm serve``."""
    parser = argparse.ArgumentParser(prog="vtorm serve", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
