"""The ``tinysr`` command line: one subcommand per stage, each defined in ``tinysr/commands/<name>.py``.

Each command module provides ``add_parser(subparsers)`` and ``run(args) -> int``. Results go to stdout
(``--json``: one JSON object), progress to stderr.
"""
from __future__ import annotations

import argparse
import importlib
import sys

COMMANDS = ("search", "train", "evaluate", "profile", "run")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinysr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name in COMMANDS:
        importlib.import_module(f"tinysr.commands.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:
        print(f"tinysr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinysr {args.command}: interrupted", file=sys.stderr)
        return 130
