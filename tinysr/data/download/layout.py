"""tinysr's benchmark layout from EDSR's ``benchmark.tar``: ``<Set>/HR/<stem>.png`` and
``<Set>/LR_bicubic/X<s>/<stem>x<s>.png`` under ``<root>/benchmarks`` (where :mod:`tinysr.data.paths` looks).

The package unpacks to ``benchmark/<Set>``; some copies name sets differently (``BSD100``) or leave the
``x<s>`` suffix off LR files. :func:`arrange_benchmarks` moves and renames, so every loader sees one layout.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from .messages import DownloadError
from .sources import BENCHMARK_SETS, SET_ALIASES

__all__ = ["arrange_benchmarks"]


def _move_merge(src: Path, dst: Path) -> None:
    """Move the tree ``src`` into ``dst``, replacing files that exist in both."""
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dst)
        return
    for item in src.iterdir():
        target = dst / item.name
        if item.is_dir() and not item.is_symlink():
            _move_merge(item, target)
        else:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    src.rmdir()


def _normalise_lr_names(set_dir: Path) -> None:
    """Give ``LR_bicubic/X<s>/<stem>.png`` the EDSR suffix (``<stem>x<s>.png``) where a package omits it."""
    lr_root = set_dir / "LR_bicubic"
    if not lr_root.is_dir():
        return
    for scale_dir in lr_root.iterdir():
        if not (scale_dir.is_dir() and scale_dir.name[:1] in "Xx" and scale_dir.name[1:].isdigit()):
            continue
        suffix = f"x{int(scale_dir.name[1:])}"
        for f in scale_dir.iterdir():
            if f.is_file() and not f.stem.endswith(suffix):
                f.rename(f.with_name(f"{f.stem}{suffix}{f.suffix}"))


def arrange_benchmarks(unpacked: Path | str, bench_root: Path | str,
                       sets: Sequence[str] = BENCHMARK_SETS) -> list[Path]:
    """Move ``<unpacked>/benchmark/<Set>`` (EDSR's benchmark.tar layout) to ``<bench_root>/<Set>``.

    Known aliases (``BSD100`` -> ``B100``) are renamed; LR files lacking the ``x<s>`` suffix get it.
    Returns the set folders produced.

    Raises:
        DownloadError: a requested set is not in the package (the message lists what is).
    """
    unpacked, bench_root = Path(unpacked), Path(bench_root)
    base = unpacked / "benchmark" if (unpacked / "benchmark").is_dir() else unpacked
    found = {}
    for d in base.iterdir():
        if d.is_dir():
            found[SET_ALIASES.get(d.name, d.name)] = d
    out = []
    for name in sets:
        if name not in found:
            raise DownloadError(f"the benchmark package has no {name}/ folder (it has: "
                                f"{', '.join(sorted(found)) or 'nothing'}); pick --parts among those")
        dst = bench_root / name
        _move_merge(found[name], dst)
        _normalise_lr_names(dst)
        out.append(dst)
    return out
