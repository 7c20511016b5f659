"""The ``tinysr`` command line: one subcommand per stage, each defined in ``tinysr/commands/<name>.py``.

Each command module provides ``add_parser(subparsers)`` and ``run(args) -> int``. Results go to stdout
(``--json``: one JSON object), progress to stderr. Errors are one line on stderr with exit status 2
(``TINYSR_DEBUG=1`` shows the traceback); an interrupted run says how to resume and exits 130.
"""
from __future__ import annotations

import argparse
import importlib
import os
import re
import signal
import sys
import threading

from .runtime.devices import is_oom
from .utils import os_error_message

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
    out = command in WITH_OUT
    return os_error_message(
        exc, "choose a folder you can write with --out" if out else "choose a place you can write",
        (" or choose another --out" if out else "")
        + ("; the last checkpoint is kept: rerun with --resume" if command in CHECKPOINTED else ""))


#: what to make smaller when a command runs out of memory
OOM_HINTS = {"search": "--set search.batch_size=N or search.hr_patch=N smaller",
             "train": "--set train.batch_size=N or train.hr_patch=N smaller",
             "run": "--set search.batch_size=N / train.batch_size=N (or the hr_patch sizes) smaller",
             "study": "--set search.batch_size=N / train.batch_size=N (or the hr_patch sizes) smaller, or --jobs 1",
             "upscale": "--tile N (e.g. --tile 256)"}


def _oom_message(exc: BaseException, command: str) -> str:
    match = re.search(r"allocate (\d+) bytes", str(exc))
    size = f" (one allocation of {int(match.group(1)) / 2**30:.1f} GiB failed)" if match else ""
    hint = OOM_HINTS.get(command, "")
    return f"out of memory{size}: " + (f"try {hint}, " if hint else "") + "or free memory (close other programs " \
        "or notebooks)"


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def main(argv: list[str] | None = None) -> int:
    """Run one command; ``argv`` None = the program's command line (``tinysr ...``), else an in-process call.

    After a Ctrl-C, further Ctrl-Cs are ignored while the command says goodbye: for the rest of the process when
    tinysr is the program (a second Ctrl-C during exit would otherwise end in a traceback), until ``main``
    returns when it is called from Python."""
    args = build_parser().parse_args(argv)
    debug = os.environ.get("TINYSR_DEBUG") == "1"
    previous = signal.getsignal(signal.SIGINT) if _main_thread() else None
    try:
        return _dispatch(args, debug)
    finally:
        if argv is not None and previous is not None:
            signal.signal(signal.SIGINT, previous)


def _dispatch(args: argparse.Namespace, debug: bool) -> int:
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt as exc:
        if debug:
            raise
        if _main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
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
    except (RuntimeError, MemoryError) as exc:
        if debug or not is_oom(exc):
            raise
        said = isinstance(exc, MemoryError) and str(exc)    # tinysr's own MemoryErrors say what to do
        print(f"tinysr {args.command}: error: {exc if said else _oom_message(exc, args.command)}", file=sys.stderr)
        return 2
    except OSError as exc:
        if debug:
            raise
        print(f"tinysr {args.command}: error: {_os_message(exc, args.command)}", file=sys.stderr)
        return 2
