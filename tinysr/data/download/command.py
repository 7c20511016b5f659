"""The download command line, shared word for word by ``tinysr download`` and ``data_scripts/download.py``.

    tinysr download {div2k,flickr2k,benchmarks,official,all}
        [--root DIR] [--parts P ...] [--mirror URL] [--dry-run] [--remove-archives] [--retries N] [--timeout S] [-q]

:func:`add_arguments` declares the flags and :func:`run` carries them out, so the two entry points print
the same plan and the same errors; they differ only in the program name and in the exit status of a failed
download (``tinysr``'s commands exit 2 on any error; the script keeps its 1 for a failed download and 2 for
offline or bad usage). Errors are one line on stderr; ``TINYSR_DEBUG=1`` shows the traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ..paths import download_root
from .install import download_dataset, download_plan
from .messages import DownloadError, OfflineError, human_size
from .sources import BENCHMARK_SETS, DATASETS, SOURCES, select_sources

__all__ = ["DESCRIPTION", "add_arguments", "epilog", "build_parser", "run", "main"]

DESCRIPTION = "Download, verify (sha256/md5) and safely unpack tinysr's data."


def _parts_listing() -> str:
    listing = []
    for name, srcs in SOURCES.items():
        parts = [*BENCHMARK_SETS] if any(s.layout == "benchmarks" for s in srcs) else [s.part for s in srcs]
        total = sum(s.size or 0 for s in srcs)
        listing.append(f"{name}: {', '.join(parts)}" + (f" ({human_size(total)} in all)" if total else ""))
    return "; ".join(listing)


def epilog(failed: int = 1) -> str:
    """The help text after the flags: the parts of each dataset and the exit statuses."""
    status = ("1 failed (checksum, HTTP error, unsafe archive), 2 offline or bad usage" if failed != 2
              else "2 failed, offline or bad usage")
    return f"parts - {_parts_listing()}. Exit status: 0 done, {status}, 130 interrupted."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The positional dataset and every flag (the dataset is checked by :func:`run`, in one line)."""
    parser.add_argument("dataset", metavar="{" + ",".join(DATASETS) + "}", help="what to download")
    parser.add_argument("--root", type=Path, default=None,
                        help="data folder (default: $TINYSR_DATA, else ./datasets)")
    parser.add_argument("--parts", nargs="+", default=None, metavar="P",
                        help="only these parts (space or comma separated; see below)")
    parser.add_argument("--mirror", default=None, metavar="URL",
                        help="fetch every file from URL/<filename> instead of its official address")
    parser.add_argument("--dry-run", action="store_true", help="list URLs, destinations and sizes; do nothing")
    parser.add_argument("--remove-archives", action="store_true", help="delete each archive once unpacked")
    parser.add_argument("--retries", type=int, default=3, help="automatic resumes per file (default 3)")
    parser.add_argument("--timeout", type=float, default=60.0, help="network timeout in seconds (default 60)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")


def build_parser(prog: str = "download.py", failed: int = 1) -> argparse.ArgumentParser:
    """A stand-alone parser (``data_scripts/download.py``'s)."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION, epilog=epilog(failed))
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace, prog: str = "download.py", failed: int = 1) -> int:
    """Carry out parsed arguments: print the plan (``--dry-run``) or download; return the exit status.

    0 done; ``failed`` for a failed download (checksum, HTTP error, unsafe archive, disk); 2 offline or an
    unknown dataset or part; 130 interrupted. Every error is one line on stderr, prefixed with ``prog``.
    """
    debug = os.environ.get("TINYSR_DEBUG") == "1"
    root = args.root or download_root()
    try:
        select_sources(args.dataset, args.parts)   # a bad name: a usage error, before anything happens
    except ValueError as exc:
        if debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.dry_run:
            print(f"dry run: nothing is downloaded or written (root: {root})")
            for line in download_plan(args.dataset, root, args.parts, args.mirror):
                print(line)
            return 0
        produced = download_dataset(args.dataset, root, args.parts, mirror=args.mirror,
                                    remove_archives=args.remove_archives, retries=args.retries,
                                    timeout=args.timeout, quiet=args.quiet)
    except OfflineError as exc:
        if debug:
            raise
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    except (DownloadError, OSError, ValueError) as exc:   # checksum, HTTP, unsafe/corrupt archive, disk
        if debug:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return failed
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; partial downloads are kept as *.part - re-run to resume", file=sys.stderr)
        return 130
    for path in produced:
        print(path)
    return 0


def main(argv: Sequence[str] | None = None, prog: str = "download.py") -> int:
    """``data_scripts/download.py``: parse ``argv`` and :func:`run` it."""
    return run(build_parser(prog).parse_args(argv), prog)
