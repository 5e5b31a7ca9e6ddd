"""The ``vtorm`` command.

Each sub-command lives in the module that owns its work; this file only wires
them into one argument parser. Every sub-command module exposes
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

# sub-command -> (module, one-line help); a module is imported only when its
# sub-command is chosen, so `vtorm serve` never pays for the code generator.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("vtorm.testing.serve", "run the embedded CRM emulator in the foreground"),
    "codegen": (
        "vtorm.codegen.cli",
        "generate typed model classes from a CRM or a schema dump",
    ),
    "dump-schema": (
        "vtorm.codegen.dump",
        "save listtypes and every module's describe to a directory",
    ),
    "export": ("vtorm.migrate.cli_export", "stream a module's records to a .jsonl or .csv file"),
    "import": ("vtorm.migrate.cli_import", "upsert a .jsonl or .csv file into a module by key"),
    "copy": ("vtorm.migrate.cli_copy", "copy modules from one CRM to another, references kept"),
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser of the ``vtorm`` command.

    Only the module of ``command`` is imported to declare its arguments; the
    others are listed by name and help text alone.
    """
    parser = argparse.ArgumentParser(
        prog="vtorm", description="Typed models, queries and an embedded CRM for Vtiger."
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {_version()}"
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        # Also after the sub-command (`vtorm codegen -v`); counted with the first.
        sub.add_argument(
            "-v", "--verbose", action="count", default=0, dest="sub_verbose", help="more logging"
        )
        if name == command:
            importlib.import_module(module_name).add_arguments(sub)
        sub.set_defaults(_module=module_name)
    return parser


def _version() -> str:
    from vtorm import __version__

    return __version__


def _chosen(argv: Sequence[str]) -> str | None:
    return next((arg for arg in argv if arg in COMMANDS), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vtorm`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(_chosen(argv)).parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose + args.sub_verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    module = importlib.import_module(args._module)
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
