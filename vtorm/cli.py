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

# sub-command -> (module, one-line help); imported only when chosen, so
# `vtorm serve` never pays for the code generator and the reverse.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("vtorm.testing.serve", "run the embedded CRM emulator in the foreground"),
    "codegen": ("codegen.cli", "generate typed model classes from a CRM or a schema dump"),
    "dump-schema": ("codegen.dump", "save listtypes and every module's describe to a directory"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``vtorm`` command, every sub-command included."""
    parser = argparse.ArgumentParser(prog="vtorm", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        module.add_arguments(sub)
        sub.set_defaults(_module=module_name)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vtorm`` console script."""
    args = build_parser().parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    module = importlib.import_module(args._module)
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
