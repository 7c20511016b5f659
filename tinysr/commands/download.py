"""``tinysr download``: the benchmark sets, DIV2K, Flickr2K or the authors' checkpoints, verified and unpacked.

    tinysr download {div2k,flickr2k,benchmarks,official,all}
        [--root DIR] [--parts P ...] [--mirror URL] [--dry-run] [--remove-archives] [--retries N] [--timeout S] [-q]

Into ``--root``, else ``$TINYSR_DATA``, else ``./datasets`` (the data rule's first folder, where every
command then finds the data). The flags, the plan ``--dry-run`` prints and the messages are those of
``data_scripts/download.py`` (both are :mod:`tinysr.data.download.command`); here, as for every ``tinysr``
command, any error is one line on stderr with exit status 2.
"""
from __future__ import annotations

import argparse

from ..data.download.command import DESCRIPTION, add_arguments, epilog
from ..data.download.command import run as run_download

__all__ = ["add_parser", "run"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("download", help="download the benchmarks, DIV2K or the released checkpoints (verified)",
                       description=DESCRIPTION, epilog=epilog(failed=2))
    add_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return run_download(args, prog="tinysr download", failed=2)
