#!/usr/bin/env python3
"""Download, verify and unpack the data tinysr trains and evaluates on (standard library only).

    python data_scripts/download.py {div2k,flickr2k,benchmarks,official,all}
        [--root DIR] [--parts P ...] [--mirror URL] [--dry-run] [--remove-archives] [--retries N]

What goes where (``DIR`` = ``--root``, else ``$TINYSR_DATA``, else ``./datasets``):

- ``div2k``      -> ``DIR/DIV2K/DIV2K_{train,valid}_HR/0001.png`` and
                    ``DIR/DIV2K/DIV2K_{train,valid}_LR_bicubic/X<s>/0001x<s>.png`` (official ETH archives);
- ``flickr2k``   -> ``DIR/Flickr2K/Flickr2K_HR/000001.png`` (+ LR folders; EDSR's ``Flickr2K.tar``);
- ``benchmarks`` -> ``DIR/benchmarks/<Set>/HR/<stem>.png`` and
                    ``DIR/benchmarks/<Set>/LR_bicubic/X<s>/<stem>x<s>.png`` for Set5, Set14, B100, Urban100
                    (EDSR's ``benchmark.tar``; its ``benchmark/<Set>`` folders are moved to ``benchmarks/<Set>``);
- ``official``   -> ``DIR/official/<file>.pt``: the DLSR authors' released x2 checkpoints.

Archives are kept in ``DIR/downloads/`` (``--remove-archives`` deletes each once unpacked).

Why each safeguard exists:

- **Resumable**: DIV2K's HR archive is 3.5 GB. Bytes go to ``<file>.part``; a re-run (or an automatic
  retry) asks the server for the rest with an HTTP ``Range`` header and starts over cleanly if the server
  ignores it.
- **Verified**: every archive is checked against a published hash before it is used (sha256 where one is
  published, else md5; see ``CHECKSUM_SOURCES``). A file that fails is moved to ``<file>.corrupt`` (kept
  for inspection, never resumed from) and the error names the file, the expected and the actual hash.
  Where no hash is published the script says so and prints the sha256 it computed.
- **Safe extraction**: archives from the internet may hold members such as ``../../.bashrc``, ``/etc/x`` or
  a symlink to ``/``. :func:`safe_extract` checks every member first and refuses the whole archive, naming
  the member, before writing anything.
- **Idempotent**: a marker ``downloads/<archive>.extracted`` is written after a complete unpack; re-running
  skips finished work without re-hashing gigabytes.
- **Offline-friendly**: with no network the script prints one line saying which URL to fetch by hand and
  where to put it, and exits with status 2.

The functions :func:`download`, :func:`verify`, :func:`safe_extract` and :func:`install` are importable
(the tests drive them against a local HTTP server through ``mirror``).
"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import socket
import stat
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Iterable, Sequence

__all__ = [
    "Source", "SOURCES", "BENCHMARK_SETS", "CHECKSUM_SOURCES",
    "DownloadError", "OfflineError", "ChecksumError", "UnsafeArchiveError",
    "download", "verify", "safe_extract", "arrange_benchmarks", "install", "plan", "main",
]

CHUNK = 1 << 20
USER_AGENT = "tinysr-data/0.1 (+python urllib)"


# --------------------------------------------------------------------------------------------- sources
@dataclass(frozen=True)
class Source:
    """One file to fetch.

    Attributes:
        part: short name used by ``--parts`` (e.g. ``train_hr``, ``x2``... see :data:`SOURCES`).
        url: canonical public address.
        sha256 / md5: published hash (``None`` where none is published); sha256 wins when both exist.
        size: size in bytes where published (shown by ``--dry-run``; the hash is what is checked).
        layout: ``"extract"`` (unpack into ``target``), ``"benchmarks"`` (unpack, then move
            ``benchmark/<Set>`` to ``target/<Set>``) or ``"file"`` (store as ``target/<filename>``).
        target: folder relative to the data root.
    """

    part: str
    url: str
    sha256: str | None
    md5: str | None = None
    size: int | None = None
    layout: str = "extract"
    target: str = "."

    @property
    def filename(self) -> str:
        return PurePosixPath(urllib.parse.urlparse(self.url).path).name

    def checksum_kind(self) -> str:
        return "sha256" if self.sha256 else ("md5 only" if self.md5 else "NO published checksum")


_DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
_EDSR = "https://cv.snu.ac.kr/research/EDSR/"
_DLSR = "https://github.com/DawnHH/DLSR-PyTorch/raw/master/checkpoints/"

#: Where each published hash comes from (the files themselves were not downloaded to check them).
CHECKSUM_SOURCES = {
    "div2k": "sha256 + size: tensorflow/datasets, tensorflow_datasets/url_checksums/div2k.txt "
             "(commit 333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5); md5 (kept for reference): "
             "Coloquinte/torchSR, torchsr/datasets/div2k.py (commit 99674a4460bab19e90dd69efab1d33c9006e9562)",
    "flickr2k": "md5 only: Coloquinte/torchSR, torchsr/datasets/flickr2k.py (no sha256 published)",
    "benchmarks": "md5 only: Coloquinte/torchSR, torchsr/datasets/benchmarks.py (no sha256 published)",
    "official": "sha256 + size: shared/data/official/sha256sums.txt (byte-for-byte copies of "
                "DawnHH/DLSR-PyTorch checkpoints/ at commit 3ea0d846f04895fb260ba419c94d6582bc7d7f0b)",
}


def _div2k(part: str, name: str, size: int, sha256: str, md5: str) -> Source:
    return Source(part, _DIV2K + name, sha256, md5, size, "extract", "DIV2K")


SOURCES: dict[str, tuple[Source, ...]] = {
    "div2k": (
        _div2k("train_hr", "DIV2K_train_HR.zip", 3530603713,
               "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", "bdc2d9338d4e574fe81bf7d158758658"),
        _div2k("valid_hr", "DIV2K_valid_HR.zip", 448993893,
               "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc", "9fcdda83005c5e5997799b69f955ff88"),
        _div2k("train_x2", "DIV2K_train_LR_bicubic_X2.zip", 925390592,
               "a53a424317575838dadce4bcd97cf7b744d6855f43740ed5f0245af3cf4bd850", "9a637d2ef4db0d0a81182be37fb00692"),
        _div2k("train_x3", "DIV2K_train_LR_bicubic_X3.zip", 427847282,
               "ad5c8e5507e2765823d3c2c5bd0934842efcd487c5370604c224090898b3163a", "ad80b9fe40c049a07a8a6c51bfab3b6d"),
        _div2k("train_x4", "DIV2K_train_LR_bicubic_X4.zip", 246914039,
               "f006b837f4eb52b82909aa01478e6d6d199eefce932179491d0c9dbb706dde3a", "76c43ec4155851901ebbe8339846d93d"),
        _div2k("valid_x2", "DIV2K_valid_LR_bicubic_X2.zip", 117763600,
               "60eed9875c697df51204aa579e2a699e1d5215095788a097ff54dd17e2664d57", "1512c9a3f7bde2a1a21a73044e46b9cb"),
        _div2k("valid_x3", "DIV2K_valid_LR_bicubic_X3.zip", 54513392,
               "04b9a2ed3b4a0715d3924d3ae8514830c3328fac8d30512ce716d6f419e052a3", "18b1d310f9f88c13618c287927b29898"),
        _div2k("valid_x4", "DIV2K_valid_LR_bicubic_X4.zip", 31505881,
               "a50a5d1c4b88de4e8d300d8fb2b904c52fe93b2b298a4899697760d7cbb6d553", "21962de700c8d368c6ff83314480eff0"),
    ),
    "flickr2k": (
        Source("flickr2k", _EDSR + "Flickr2K.tar", None, "5d3f39443d5e9489bff8963f8f26cb03", None, "extract", "."),
    ),
    "benchmarks": (
        Source("benchmark", _EDSR + "benchmark.tar", None, "4ace41d33c2384b97e6b320cd0afd6ba", None,
               "benchmarks", "benchmarks"),
    ),
    "official": (
        Source("dlsr", _DLSR + "RFDN_beta21_ps128_20210128_1000.pt",
               "d2d9253e8ab69ad3d681244b8673353538d2ed5a024c9a5a273cecb8b7a00ecb", None, 3983137, "file", "official"),
        Source("dlsr_para", _DLSR + "RFDN_beta1_para_loss.pt",
               "5966582411f3dd016ff9bdd6012cfdf60aea45519e50d62c0f4fa4c6bca8deb8", None, 4055569, "file", "official"),
        Source("dlsr_tiny", _DLSR + "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt",
               "d08440aea6686aef995b08118c87801df1e231f66ffb97209f1d4e43ebdbdcd1", None, 786721, "file", "official"),
    ),
}

#: The sets in EDSR's benchmark.tar; ``--parts`` picks among them for ``benchmarks``.
BENCHMARK_SETS = ("Set5", "Set14", "B100", "Urban100")
_SET_ALIASES = {"BSD100": "B100", "BSDS100": "B100", "urban100": "Urban100"}


# ---------------------------------------------------------------------------------------------- errors
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


class _Interrupted(Exception):
    """The transfer stopped early; the ``.part`` file keeps what arrived."""


# --------------------------------------------------------------------------------------------- hashing
def _log(msg: str, quiet: bool = False) -> None:
    if not quiet:
        print(msg, file=sys.stderr, flush=True)


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


def verify(path: Path | str, sha256: str | None = None, *, md5: str | None = None, quiet: bool = False) -> str:
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
        _log(f"  {path.name}: md5 OK (only an md5 is published); its sha256 is {actual256}", quiet)
    else:
        _log(f"WARNING: no published checksum for {path.name}; it was NOT verified. "
             f"Its sha256 is {actual256} - compare it with a source you trust.", quiet)
    return actual256


# -------------------------------------------------------------------------------------------- download
def _human(n: int | None) -> str:
    """``3530603713`` -> ``"3.53 GB"`` (decimal units, as servers and browsers show them)."""
    if n is None:
        return "size unknown"
    if n < 1000:
        return f"{n} B"
    value, unit = float(n), "B"
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000:
            break
    return f"{value:.2f} {unit}"


def _content_range_start(value: str | None) -> int | None:
    """The first byte of a ``Content-Range: bytes a-b/total`` header, or ``None``."""
    if not value or not value.strip().lower().startswith("bytes"):
        return None
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _fetch_once(url: str, part: Path, dest: Path, size: int | None, timeout: float,
                chunk_size: int, quiet: bool) -> None:
    """One HTTP request that appends to (or restarts) ``part``. Raises ``_Interrupted`` if cut short."""
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:      # longer than the real file: cannot be a prefix of it
        part.unlink()
        offset = 0
    if size is not None and offset == size:     # already complete; the hash decides
        return
    headers = {"User-Agent": USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        resp = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:          # nothing after offset: the .part is complete (or wrong)
            return
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}. Check the address "
                            f"(or --mirror), or download it by hand into {dest} and re-run.") from None
    except (urllib.error.URLError, OSError) as exc:   # DNS failure, refused, unreachable, timeout
        raise OfflineError(url, dest, getattr(exc, "reason", exc)) from None
    with resp:
        status = getattr(resp, "status", None) or 200
        if status == 206 and _content_range_start(resp.headers.get("Content-Range")) == offset:
            mode, done = "ab", offset
            _log(f"  resuming {dest.name} at byte {offset}", quiet)
        elif status == 206:                     # a range we did not ask for: cannot be appended safely
            part.unlink(missing_ok=True)
            raise _Interrupted(f"the server sent an unexpected byte range ({resp.headers.get('Content-Range')}); "
                               f"starting again from byte 0")
        else:
            if offset:
                _log(f"  the server ignored the resume request for {dest.name}; starting again from byte 0",
                     quiet)
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
                    print(f"\r  {dest.name}: {pct}{_human(done)} / {_human(total)}   ", end="", file=sys.stderr)
        if interactive:
            print(file=sys.stderr)
    if total is not None and done < total:
        raise _Interrupted(f"connection closed after {done} of {total} bytes")


def download(url: str, dest: Path | str, sha256: str | None = None, *, md5: str | None = None,
             size: int | None = None, retries: int = 3, retry_wait: float = 2.0, timeout: float = 60.0,
             chunk_size: int = CHUNK, quiet: bool = False) -> Path:
    """Fetch ``url`` into ``dest`` (resumable), verify it, and return ``dest``.

    - ``dest`` already there: it is verified and kept (a file you fetched by hand works the same way).
    - Bytes go to ``dest.part``; an interrupted transfer is resumed with an HTTP ``Range`` request, up
      to ``retries`` times here, or on the next call. If the server ignores ``Range`` (answers 200), the
      file is restarted from byte 0.
    - On a hash mismatch the complete-but-wrong file is moved to ``dest.corrupt`` (kept for inspection; it
      is never resumed from, since appending to wrong bytes can never succeed) and :class:`ChecksumError`
      is raised.

    Raises:
        OfflineError: the host cannot be reached (the ``.part`` file, if any, is kept).
        DownloadError: HTTP error status, or still incomplete after ``retries`` retries.
        ChecksumError: the downloaded bytes do not match ``sha256`` (or ``md5``).
    """
    dest = Path(dest)
    if dest.exists():
        verify(dest, sha256, md5=md5, quiet=quiet)
        _log(f"  {dest.name}: already downloaded and verified", quiet)
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    _log(f"downloading {url}\n  -> {dest} ({_human(size)})", quiet)
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
            _log(f"  {exc}; retry {attempt}/{retries} in {retry_wait * attempt:.0f} s", quiet)
            time.sleep(retry_wait * attempt)
    try:
        verify(part, sha256, md5=md5, quiet=quiet)
    except ChecksumError as exc:
        bad = dest.with_name(dest.name + ".corrupt")
        os.replace(part, bad)
        raise ChecksumError(dest, exc.algorithm, exc.expected, exc.actual,
                            f"The download was moved to {bad} (delete it once inspected). Run again to "
                            f"download afresh; if it fails again the file was changed upstream.") from None
    os.replace(part, dest)
    return dest


# ------------------------------------------------------------------------------------------ extraction
def _unsafe(archive: Path, member: str, why: str, dest: Path) -> UnsafeArchiveError:
    return UnsafeArchiveError(f"refusing to extract {archive}: member {member!r} {why}, which could write "
                              f"outside {dest}. Nothing was extracted. The archive is damaged or malicious: "
                              f"delete it and download it again from the official address.")


def _is_absolute(name: str) -> bool:
    win = PureWindowsPath(name)
    return name.startswith(("/", "\\")) or bool(win.drive) or bool(win.root)


def _escapes(path: str) -> bool:
    """True if the (relative, '/'-separated) ``path`` climbs above its root after normalisation."""
    norm = os.path.normpath(path.replace("\\", "/")).replace("\\", "/")
    return norm == ".." or norm.startswith("../")


def _check_name(archive: Path, name: str, dest: Path) -> None:
    if _is_absolute(name):
        raise _unsafe(archive, name, "has an absolute path", dest)
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise _unsafe(archive, name, "contains a '..' path component", dest)


def _check_link(archive: Path, name: str, target: str, hard: bool, dest: Path) -> None:
    kind = "hard link" if hard else "symlink"
    if not target or _is_absolute(target):
        raise _unsafe(archive, name, f"is a {kind} to the absolute path {target!r}", dest)
    # A symlink target is relative to the link's folder; a hard-link target to the archive root.
    resolved = target if hard else str(PurePosixPath(name.replace("\\", "/")).parent / target)
    if _escapes(resolved):
        raise _unsafe(archive, name, f"is a {kind} to {target!r}, outside the archive", dest)


def safe_extract(archive: Path | str, dest: Path | str) -> list[str]:
    """Unpack a zip or tar (any compression) into ``dest`` after checking every member; return the names.

    Refused (the whole archive, before anything is written), with :class:`UnsafeArchiveError` naming the
    member: absolute paths (``/x``, ``C:\\x``), any ``..`` component, symlinks or hard links whose
    target is absolute or leaves the archive, and device/fifo members. Tar extraction additionally uses
    Python's ``data`` filter where available (3.11.4+), as a second line of defence.

    Raises:
        FileNotFoundError: ``archive`` does not exist.
        ValueError: ``archive`` is neither a zip nor a tar file.
        UnsafeArchiveError: see above.
    """
    archive, dest = Path(archive), Path(dest)
    if not archive.is_file():
        raise FileNotFoundError(f"cannot extract {archive}: no such file")
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            for info in infos:
                _check_name(archive, info.filename, dest)
                if stat.S_ISLNK(info.external_attr >> 16):   # unix symlink stored in a zip
                    _check_link(archive, info.filename, zf.read(info).decode("utf-8", "replace"), False, dest)
            dest.mkdir(parents=True, exist_ok=True)
            zf.extractall(dest)        # zipfile writes symlink entries as small regular files
            return [i.filename for i in infos]
    if tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            members = tf.getmembers()
            for m in members:
                _check_name(archive, m.name, dest)
                if m.issym() or m.islnk():
                    _check_link(archive, m.name, m.linkname, m.islnk(), dest)
                elif not (m.isfile() or m.isdir()):
                    raise _unsafe(archive, m.name, "is a device, fifo or other special file", dest)
            dest.mkdir(parents=True, exist_ok=True)
            if hasattr(tarfile, "data_filter"):
                tf.extractall(dest, members=members, filter="data")
            else:  # pragma: no cover - Python < 3.11.4; members were checked above
                tf.extractall(dest, members=members)
            return [m.name for m in members]
    raise ValueError(f"cannot extract {archive}: it is neither a zip nor a tar archive (truncated download? "
                     f"delete it and run again)")


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

    The result is tinysr's layout: ``<Set>/HR/<stem>.png`` and ``<Set>/LR_bicubic/X<s>/<stem>x<s>.png``.
    Known aliases (``BSD100`` -> ``B100``) are renamed; LR files lacking the ``x<s>`` suffix get it.

    Raises:
        DownloadError: a requested set is not in the package (the message lists what is).
    """
    unpacked, bench_root = Path(unpacked), Path(bench_root)
    base = unpacked / "benchmark" if (unpacked / "benchmark").is_dir() else unpacked
    found = {}
    for d in base.iterdir():
        if d.is_dir():
            found[_SET_ALIASES.get(d.name, d.name)] = d
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


# ------------------------------------------------------------------------------------------- pipeline
def _url(src: Source, mirror: str | None) -> str:
    """The canonical URL, or ``<mirror>/<filename>`` when a mirror is given."""
    return f"{mirror.rstrip('/')}/{src.filename}" if mirror else src.url


def _dest(src: Source, root: Path) -> Path:
    return root / (src.target if src.layout == "file" else "downloads") / src.filename


def _marker(src: Source, root: Path) -> Path:
    return root / "downloads" / f"{src.filename}.extracted"


def select(dataset: str, parts: Iterable[str] | None) -> list[tuple[Source, tuple[str, ...]]]:
    """The sources of ``dataset`` (``all`` = every dataset) restricted to ``parts``.

    Returns ``(source, sets)`` pairs; ``sets`` is the benchmark sets to install (empty otherwise).

    Raises:
        ValueError: unknown dataset or part (the message lists the valid ones).
    """
    names = list(SOURCES) if dataset == "all" else [dataset]
    if any(n not in SOURCES for n in names):
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(SOURCES)}, all")
    wanted = None if parts is None else {p for item in parts for p in item.split(",") if p}
    valid = {s.part for n in names for s in SOURCES[n] if s.layout != "benchmarks"}
    if any(s.layout == "benchmarks" for n in names for s in SOURCES[n]):
        valid |= set(BENCHMARK_SETS)
    if wanted is not None and wanted - valid:
        raise ValueError(f"unknown --parts {', '.join(sorted(wanted - valid))} for {dataset}; "
                         f"valid parts: {', '.join(sorted(valid))}")
    chosen = []
    for n in names:
        for src in SOURCES[n]:
            if src.layout == "benchmarks":
                sets = BENCHMARK_SETS if wanted is None else tuple(s for s in BENCHMARK_SETS if s in wanted)
                if sets:
                    chosen.append((src, sets))
            elif wanted is None or src.part in wanted:
                chosen.append((src, ()))
    return chosen


def plan(dataset: str, root: Path | str, parts: Iterable[str] | None = None,
         mirror: str | None = None) -> list[str]:
    """Human-readable lines saying what :func:`install` would do (``--dry-run``); touches nothing."""
    root = Path(root)
    lines = []
    for src, sets in select(dataset, parts):
        dest = _dest(src, root)
        state = ""
        if src.layout != "file" and _marker(src, root).exists():
            state = "  [already extracted: skipped]"
        elif dest.exists():
            state = "  [already downloaded: will be verified]"
        lines.append(f"{_url(src, mirror)}\n  -> {dest}  ({_human(src.size)}, {src.checksum_kind()}){state}")
        if src.layout == "extract":
            lines.append(f"  extract into {root / src.target}")
        elif src.layout == "benchmarks":
            lines.append(f"  extract, then arrange {', '.join(sets)} as {root / src.target}/<Set>/HR, LR_bicubic/X<s>")
    return lines


def install(dataset: str, root: Path | str, parts: Iterable[str] | None = None, *, mirror: str | None = None,
            remove_archives: bool = False, retries: int = 3, retry_wait: float = 2.0, timeout: float = 60.0,
            quiet: bool = False) -> list[Path]:
    """Download, verify and unpack ``dataset`` under ``root``; return the folders/files produced.

    Idempotent: finished archives (marker present) are skipped; downloaded-but-unpacked ones are verified
    and unpacked. See :func:`download` and :func:`safe_extract` for the errors raised.
    """
    root = Path(root)
    produced = []
    for src, sets in select(dataset, parts):
        dest = _dest(src, root)
        url = _url(src, mirror)
        if src.layout == "file":
            produced.append(download(url, dest, src.sha256, md5=src.md5, size=src.size, retries=retries,
                                     retry_wait=retry_wait, timeout=timeout, quiet=quiet))
            continue
        marker = _marker(src, root)
        target = root / src.target
        have = set(marker.read_text().split()[1:]) if marker.exists() else set()
        if marker.exists() and (src.layout != "benchmarks" or set(sets) <= have):
            _log(f"{src.filename}: already extracted into {target} (delete {marker} to redo)", quiet)
            produced.append(target)
            continue
        download(url, dest, src.sha256, md5=src.md5, size=src.size, retries=retries,
                 retry_wait=retry_wait, timeout=timeout, quiet=quiet)
        _log(f"extracting {dest.name} -> {target}", quiet)
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
            _log(f"  removed {dest} (the marker {marker.name} remembers it was unpacked)", quiet)
    return produced


# ------------------------------------------------------------------------------------------------- CLI
def default_root() -> Path:
    """``$TINYSR_DATA`` if set, else ``./datasets``."""
    return Path(os.environ.get("TINYSR_DATA") or "datasets")


def build_parser() -> argparse.ArgumentParser:
    listing = []
    for name, srcs in SOURCES.items():
        parts = [*BENCHMARK_SETS] if any(s.layout == "benchmarks" for s in srcs) else [s.part for s in srcs]
        total = sum(s.size or 0 for s in srcs)
        listing.append(f"{name}: {', '.join(parts)}" + (f" ({_human(total)} in all)" if total else ""))
    parser = argparse.ArgumentParser(
        prog="download.py", description="Download, verify (sha256/md5) and safely unpack tinysr's data.",
        epilog="parts - " + "; ".join(listing) + ". Exit status: 0 done, 1 failed (checksum, HTTP error, "
               "unsafe archive), 2 offline or bad usage.")
    parser.add_argument("dataset", choices=[*SOURCES, "all"])
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; returns the exit status (0 ok, 1 failure, 2 offline / usage)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    root = args.root or default_root()
    try:
        select(args.dataset, args.parts)          # bad --parts: a usage error, before anything happens
    except ValueError as exc:
        parser.print_usage(sys.stderr)
        print(f"download.py: error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.dry_run:
            print(f"dry run: nothing is downloaded or written (root: {root})")
            for line in plan(args.dataset, root, args.parts, args.mirror):
                print(line)
            return 0
        produced = install(args.dataset, root, args.parts, mirror=args.mirror,
                           remove_archives=args.remove_archives, retries=args.retries,
                           timeout=args.timeout, quiet=args.quiet)
    except OfflineError as exc:
        print(f"download.py: {exc}", file=sys.stderr)
        return 2
    except (DownloadError, OSError, ValueError) as exc:   # checksum, HTTP, unsafe/corrupt archive, disk
        print(f"download.py: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("download.py: interrupted; partial downloads are kept as *.part - re-run to resume",
              file=sys.stderr)
        return 130
    for path in produced:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
