"""The ``tinysr`` command line: one subcommand per stage, each defined in ``tinysr/commands/<name>.py``.

Each command module provides ``add_parser(subparsers)`` and ``run(args) -> int``. Results go to stdout
(``--json``: one JSON object), progress to stderr. Errors are one line on stderr with exit status 2
(``TINYSR_DEBUG=1`` shows the traceback); an interrupted run says how to resume and exits 130.
"""
from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

__all__ = ["COMMANDS", "build_parser", "main"]

COMMANDS = ("search", "train", "evaluate", "profile", "run", "presets", "study", "upscale", "export", "notebooks",
            "download")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tinysr", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="{" + ",".join(COMMANDS) + "}")
    for name in COMMANDS:
        importlib.import_module(f"tinysr.commands.{name}").add_parser(sub)
    return parser


#: commands that checkpoint (their last checkpoint survives a failed write) and commands that take --out
CHECKPOINTED, WITH_OUT = ("search", "train", "run", "study"), ("search", "train", "run", "study", "upscale", "download")


def _os_message(exc: OSError, command: str = "") -> str:
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return (f"the disk is full{where}: free some space"
                + (" or choose another --out" if command in WITH_OUT else "")
                + ("; the last checkpoint is kept: rerun with --resume" if command in CHECKPOINTED else ""))
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write{where}: permission denied or read-only; " +
                ("choose a folder you can write with --out" if command in WITH_OUT else "choose a place you can write"))
    if exc.errno == errno.ENOTDIR or isinstance(exc, NotADirectoryError):
        return f"{exc.strerror or exc}{where}: --out must name a folder, not a file"
    return f"{exc.strerror or exc}{where}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = os.environ.get("TINYSR_DEBUG") == "1"
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        if debug:
            raise
        why = str(exc) or ("interrupted (Ctrl-C): stopped; the last checkpoint is kept, rerun with --resume"
                           if args.command in CHECKPOINTED else "interrupted (Ctrl-C): stopped; finished outputs are "
                           "complete, none is left half-written")
        print(f"tinysr {args.command}: {why}", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, FileExistsError, NotADirectoryError, FloatingPointError) as exc:
        if debug:
            raise
        print(f"tinysr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        if debug:
            raise
        print(f"tinysr {args.command}: error: {_os_message(exc, args.command)}", file=sys.stderr)
        return 2
