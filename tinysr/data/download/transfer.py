"""One file over HTTP(S): resumable, retried, and verified against its published hash before it is kept.

- **Resumable**: DIV2K's HR archive is 3.5 GB. Bytes go to ``<file>.part``; a re-run (or an automatic
  retry) asks the server for the rest with an HTTP ``Range`` header and starts over cleanly if the server
  ignores it (answers 200) or sends a range that was not asked for.
- **Verified**: the file is checked against a published hash before it gets its real name (sha256 where
  one is published, else md5). A file that fails is moved to ``<file>.corrupt`` (kept for inspection, never
  resumed from: appending to wrong bytes can never succeed) and the error names the file, the expected and
  the actual hash. Where no hash is published a warning says so and prints the sha256 computed.
- **Offline-friendly**: an unreachable host is an :class:`OfflineError` whose one line says which URL to
  fetch by hand and where to put it; a file put there by hand is verified and used like a downloaded one.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .messages import ChecksumError, DownloadError, OfflineError, human_size, log

__all__ = ["CHUNK", "USER_AGENT", "file_hashes", "verify_file", "download_file"]

CHUNK = 1 << 20
USER_AGENT = "tinysr-data/0.1 (+python urllib)"


class _Interrupted(Exception):
    """The transfer stopped early; the ``.part`` file keeps what arrived."""


def file_hashes(path: Path | str, md5: bool = False) -> tuple[str, str | None]:
    """``(sha256, md5 or None)`` of a file, read once in 1 MiB chunks."""
    h256 = hashlib.sha256()
    h5 = hashlib.md5(usedforsecurity=False) if md5 else None
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h256.update(chunk)
            if h5 is not None:
                h5.update(chunk)
    return h256.hexdigest(), (h5.hexdigest() if h5 is not None else None)


def verify_file(path: Path | str, sha256: str | None = None, *, md5: str | None = None,
                quiet: bool = False) -> str:
    """Check ``path`` against its published hash and return its sha256.

    sha256 is checked when given; otherwise md5 (some archives only ever had an md5 published).
    With neither, a warning is printed with the computed sha256 so the user can compare it with a source
    they trust.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ChecksumError: the hash differs (the message names the file, the expected and the actual hash).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"cannot verify {path}: no such file")
    actual256, actual5 = file_hashes(path, md5=bool(md5) and not sha256)
    if sha256:
        if actual256.lower() != sha256.lower():
            raise ChecksumError(path, "sha256", sha256.lower(), actual256)
    elif md5:
        if actual5 != md5.lower():
            raise ChecksumError(path, "md5", md5.lower(), actual5 or "")
        log(f"  {path.name}: md5 OK (only an md5 is published); its sha256 is {actual256}", quiet)
    else:
        log(f"WARNING: no published checksum for {path.name}; it was NOT verified. "
            f"Its sha256 is {actual256} - compare it with a source you trust.", quiet)
    return actual256


def _content_range_start(value: str | None) -> int | None:
    """The first byte of a ``Content-Range: bytes a-b/total`` header, or ``None``."""
    if not value or not value.strip().lower().startswith("bytes"):
        return None
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _open(url: str, offset: int, dest: Path, timeout: float):
    """The HTTP response for ``url`` from byte ``offset`` on, or ``None`` when there is nothing after it."""
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:          # nothing after offset: the .part is complete (or wrong)
            return None
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}. Check the address "
                            f"(or --mirror), or download it by hand into {dest} and re-run.") from None
    except (urllib.error.URLError, OSError) as exc:   # DNS failure, refused, unreachable, timeout
        raise OfflineError(url, dest, getattr(exc, "reason", exc)) from None


def _fetch_once(url: str, part: Path, dest: Path, size: int | None, timeout: float,
                chunk_size: int, quiet: bool) -> None:
    """One HTTP request that appends to (or restarts) ``part``. Raises ``_Interrupted`` if cut short."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:      # longer than the real file: cannot be a prefix of it
        part.unlink()
        offset = 0
    if size is not None and offset == size:     # already complete; the hash decides
        return
    resp = _open(url, offset, dest, timeout)
    if resp is None:
        return
    with resp:
        status = getattr(resp, "status", None) or 200
        if status == 206 and _content_range_start(resp.headers.get("Content-Range")) == offset:
            mode, done = "ab", offset
            log(f"  resuming {dest.name} at byte {offset}", quiet)
        elif status == 206:                     # a range we did not ask for: cannot be appended safely
            part.unlink(missing_ok=True)
            raise _Interrupted(f"the server sent an unexpected byte range ({resp.headers.get('Content-Range')}); "
                               f"starting again from byte 0")
        else:
            if offset:
                log(f"  the server ignored the resume request for {dest.name}; starting again from byte 0", quiet)
            mode, done = "wb", 0
        length = resp.headers.get("Content-Length")
        total = done + int(length) if length and length.isdigit() else size
        interactive = sys.stderr.isatty() and not quiet
        last = 0.0
        with open(part, mode) as f:
            while True:
                try:
                    buf = resp.read(chunk_size)
                except (http.client.HTTPException, OSError) as exc:  # reset, timeout, IncompleteRead
                    raise _Interrupted(f"connection lost after {done} bytes ({exc.__class__.__name__})") from None
                if not buf:
                    break
                f.write(buf)
                done += len(buf)
                if interactive and time.monotonic() - last > 0.5:
                    last = time.monotonic()
                    pct = f"{100 * done / total:5.1f}% " if total else ""
                    print(f"\r  {dest.name}: {pct}{human_size(done)} / {human_size(total)}   ", end="",
                          file=sys.stderr)
        if interactive:
            print(file=sys.stderr)
    if total is not None and done < total:
        raise _Interrupted(f"connection closed after {done} of {total} bytes")


def download_file(url: str, dest: Path | str, sha256: str | None = None, *, md5: str | None = None,
                  size: int | None = None, retries: int = 3, retry_wait: float = 2.0, timeout: float = 60.0,
                  chunk_size: int = CHUNK, quiet: bool = False) -> Path:
    """Fetch ``url`` into ``dest`` (resumable), verify it, and return ``dest``.

    - ``dest`` already there: it is verified and kept (a file you fetched by hand works the same way).
    - Bytes go to ``dest.part``; an interrupted transfer is resumed with an HTTP ``Range`` request, up
      to ``retries`` times here (waiting ``retry_wait`` x the attempt number in seconds), or on the next call.
    - On a hash mismatch the complete-but-wrong file is moved to ``dest.corrupt``.

    Raises:
        OfflineError: the host cannot be reached (the ``.part`` file, if any, is kept).
        DownloadError: HTTP error status, or still incomplete after ``retries`` retries.
        ChecksumError: the downloaded bytes do not match ``sha256`` (or ``md5``).
    """
    dest = Path(dest)
    if dest.exists():
        verify_file(dest, sha256, md5=md5, quiet=quiet)
        log(f"  {dest.name}: already downloaded and verified", quiet)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    log(f"downloading {url}\n  -> {dest} ({human_size(size)})", quiet)
    attempt = 0
    while True:
        try:
            _fetch_once(url, part, dest, size, timeout, chunk_size, quiet)
            break
        except _Interrupted as exc:
            if attempt >= retries:
                raise DownloadError(f"{url}: {exc}; the bytes so far are kept in {part}. Re-run to resume "
                                    f"(or download the file by hand into {dest}).") from None
            attempt += 1
            log(f"  {exc}; retry {attempt}/{retries} in {retry_wait * attempt:.0f} s", quiet)
            time.sleep(retry_wait * attempt)
    try:
        verify_file(part, sha256, md5=md5, quiet=quiet)
    except ChecksumError as exc:
        bad = dest.with_name(dest.name + ".corrupt")
        os.replace(part, bad)
        raise ChecksumError(dest, exc.algorithm, exc.expected, exc.actual,
                            f"The download was moved to {bad} (delete it once inspected). Run again to "
                            f"download afresh; if it fails again the file was changed upstream.") from None
    os.replace(part, dest)
    return dest
