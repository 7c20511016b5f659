"""A dataset from its sources to tinysr's layout under the data root: the plan (``--dry-run``) and the run.

The root is where the data rule looks first (:func:`tinysr.data.paths.download_root`: ``$TINYSR_DATA``, else
``./datasets``) unless one is given. Archives go to ``<root>/downloads/``; a marker
``downloads/<archive>.extracted`` is written after a complete unpack, so re-running skips finished work
without re-hashing gigabytes (delete the marker to redo it).
"""
from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

from ..paths import download_root
from .extract import safe_extract
from .layout import arrange_benchmarks
from .messages import human_size, log
from .sources import Source, select_sources
from .transfer import download_file

__all__ = ["source_url", "archive_path", "download_plan", "download_dataset"]


def source_url(src: Source, mirror: str | None = None) -> str:
    """The canonical URL, or ``<mirror>/<filename>`` when a mirror is given."""
    return f"{mirror.rstrip('/')}/{src.filename}" if mirror else src.url


def archive_path(src: Source, root: Path) -> Path:
    """Where the downloaded file is kept: ``<root>/<target>/<file>`` for plain files, else in ``downloads/``."""
    return root / (src.target if src.layout == "file" else "downloads") / src.filename


def _marker(src: Source, root: Path) -> Path:
    return root / "downloads" / f"{src.filename}.extracted"


def download_plan(dataset: str, root: Path | str | None = None, parts: Iterable[str] | None = None,
                  mirror: str | None = None) -> list[str]:
    """Human-readable lines saying what :func:`download_dataset` would do (``--dry-run``); touches nothing.

    Raises:
        ValueError: unknown dataset or part.
    """
    root = Path(root) if root is not None else download_root()
    lines = []
    for src, sets in select_sources(dataset, parts):
        dest = archive_path(src, root)
        state = ""
        if src.layout != "file" and _marker(src, root).exists():
            state = "  [already extracted: skipped]"
        elif dest.exists():
            state = "  [already downloaded: will be verified]"
        lines.append(f"{source_url(src, mirror)}\n  -> {dest}  ({human_size(src.size)}, "
                     f"{src.checksum_kind()}){state}")
        if src.layout == "extract":
            lines.append(f"  extract into {root / src.target}")
        elif src.layout == "benchmarks":
            lines.append(f"  extract, then arrange {', '.join(sets)} as {root / src.target}/<Set>/HR, LR_bicubic/X<s>")
    return lines


def download_dataset(dataset: str, root: Path | str | None = None, parts: Iterable[str] | None = None, *,
                     mirror: str | None = None, remove_archives: bool = False, retries: int = 3,
                     retry_wait: float = 2.0, timeout: float = 60.0, quiet: bool = False) -> list[Path]:
    """Download, verify and unpack ``dataset`` (or ``all``) under ``root``; return the folders/files produced.

    Idempotent: finished archives (marker present) are skipped; downloaded-but-unpacked ones are verified
    and unpacked; ``remove_archives`` deletes each archive once unpacked (the marker remembers it).

    Raises:
        ValueError: unknown dataset or part.
        OfflineError, DownloadError, ChecksumError: see :func:`~tinysr.data.download.transfer.download_file`.
        UnsafeArchiveError: see :func:`~tinysr.data.download.extract.safe_extract`.
    """
    root = Path(root) if root is not None else download_root()
    fetch = dict(retries=retries, retry_wait=retry_wait, timeout=timeout, quiet=quiet)
    produced = []
    for src, sets in select_sources(dataset, parts):
        dest = archive_path(src, root)
        url = source_url(src, mirror)
        if src.layout == "file":
            produced.append(download_file(url, dest, src.sha256, md5=src.md5, size=src.size, **fetch))
            continue
        marker = _marker(src, root)
        target = root / src.target
        have = set(marker.read_text().split()[1:]) if marker.exists() else set()
        if marker.exists() and (src.layout != "benchmarks" or set(sets) <= have):
            log(f"{src.filename}: already extracted into {target} (delete {marker} to redo)", quiet)
            produced.append(target)
            continue
        download_file(url, dest, src.sha256, md5=src.md5, size=src.size, **fetch)
        log(f"extracting {dest.name} -> {target}", quiet)
        if src.layout == "benchmarks":
            staging = root / "downloads" / f".{src.filename}.unpacked"
            if staging.exists():
                shutil.rmtree(staging)
            safe_extract(dest, staging)
            produced.extend(arrange_benchmarks(staging, target, sets))
            shutil.rmtree(staging)
            have |= set(sets)
        else:
            safe_extract(dest, target)
            produced.append(target)
        marker.write_text(" ".join([src.sha256 or src.md5 or "unverified", *sorted(have)]) + "\n")
        if remove_archives:
            dest.unlink()
            log(f"  removed {dest} (the marker {marker.name} remembers it was unpacked)", quiet)
    return produced
