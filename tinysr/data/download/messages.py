"""What the downloader tells people: its error types, progress lines and byte counts.

Every error says what went wrong and what to do about it, in one line, so ``tinysr download`` and
``data_scripts/download.py`` can print it as it is. Progress goes to stderr (stdout is for results).
"""
from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

__all__ = ["DownloadError", "OfflineError", "ChecksumError", "UnsafeArchiveError", "log", "human_size"]


class DownloadError(RuntimeError):
    """Something went wrong fetching or unpacking; the message says what and how to fix it."""


class OfflineError(DownloadError):
    """The host could not be reached at all (DNS failure, connection refused, timeout)."""

    def __init__(self, url: str, dest: Path | str, reason: object = None) -> None:
        self.url, self.dest, self.reason = url, Path(dest), reason
        self.host = urllib.parse.urlparse(url).netloc or url
        super().__init__(f"cannot reach {self.host}: you appear to be offline; download {url} by hand "
                         f"into {self.dest} and re-run")


class ChecksumError(DownloadError):
    """A file's hash differs from the published one."""

    def __init__(self, path: Path | str, algorithm: str, expected: str, actual: str, note: str = "") -> None:
        self.path, self.algorithm, self.expected, self.actual = Path(path), algorithm, expected, actual
        super().__init__(f"{algorithm} mismatch for {path}: expected {expected}, got {actual}. "
                         + (note or "The file is corrupt or was changed upstream; delete it and run again."))


class UnsafeArchiveError(DownloadError, ValueError):
    """An archive member would land outside the destination folder (or is a device/fifo)."""


def log(msg: str, quiet: bool = False) -> None:
    """One progress message on stderr (nothing with ``quiet``)."""
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


def human_size(n: int | None) -> str:
    """``3530603713`` -> ``"3.53 GB"`` (decimal units, as servers and browsers show them)."""
    if n is None:
        return "size unknown"
    if n < 1000:
        return f"{n} B"
    value, unit = float(n), "B"
    for unit in ("KB", "MB", "GB", "TB"):  # noqa: B007 - the unit the loop stops at is the answer
        value /= 1000
        if value < 1000:
            break
    return f"{value:.2f} {unit}"
