"""Small shared helpers: seeding, atomic checkpoint files, safe loading (devices: :mod:`tinysr.runtime.devices`)."""
from __future__ import annotations

import errno
import os
import random
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["seed_everything", "atomic_path", "atomic_save", "atomic_write_text", "safe_load", "follow_umask",
           "os_error_message", "check_writable"]


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return a CPU ``torch.Generator`` seeded with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def follow_umask(path: str) -> None:
    """mkstemp creates files 0600; give them the mode a plain ``open`` would (0666 minus the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)


@contextmanager
def atomic_path(dest: str | Path) -> Iterator[Path]:
    """``with atomic_path(dest) as tmp:`` write ``tmp`` (a fresh path beside ``dest``); when the block ends without
    an error it is renamed over ``dest`` with the permissions a plain ``open`` would give (the umask's), otherwise
    deleted. A crash, a full disk or a failed check never leaves half a file under the real name, nor a temp file."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        follow_umask(tmp)
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_save(obj: Any, path: str | Path) -> None:
    """``torch.save`` through :func:`atomic_path`; a write torch's zip writer reports as failed (a full disk) is an
    ``OSError`` naming the file."""
    with atomic_path(path) as tmp:
        try:
            torch.save(obj, tmp)
        except RuntimeError as exc:          # torch's zip writer reports a failed write (a full disk) this way
            why = str(exc).splitlines()[0]
            raise OSError(errno.ENOSPC if _full(Path(path)) else errno.EIO, f"cannot write {path}: {why}",
                          str(path)) from exc


def _full(path: Path, margin: int = 1 << 20) -> bool:
    """Whether the file system holding ``path`` has less than ``margin`` bytes free."""
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < margin


def atomic_write_text(text: str, path: str | Path) -> None:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def os_error_message(exc: OSError, write_fix: str = "choose a place you can write", full_fix: str = "") -> str:
    """One line for an ``OSError`` a user can act on: a full disk, a folder they cannot write (permissions or a
    read-only file system), a file where a folder should be; ``write_fix`` / ``full_fix`` say what to do."""
    where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"the disk is full{where}: free some space{full_fix}"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write{where}: permission denied or read-only; {write_fix}"
    if exc.errno == errno.ENOTDIR or isinstance(exc, NotADirectoryError):
        return f"{exc.strerror or exc}{where}: a folder was expected, not a file"
    return f"{exc.strerror or exc}{where}"


def check_writable(folder: str | Path) -> None:
    """Make ``folder`` (and its parents) and prove a file can be written there, before hours of work end in
    a write that fails: raises the ``OSError`` (e.g. ``EROFS``, ``EACCES``) a later write would meet."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".tinysr-probe-"):
            pass
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None


def safe_load(path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(..., weights_only=True)`` with errors that name the file and the fix. A checkpoint in torch's
    zip format is first checked against the CRC-32 its zip records for every entry, so flipped bytes inside a
    tensor are an error, not silently different weights."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist; check the path (or run the stage that writes it)")
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as zf:
                bad = zf.testzip()
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            bad = f"the archive itself ({exc})"
        if bad is not None:
            raise ValueError(f"cannot read checkpoint {path}: {bad} fails its CRC-32 check, so the file was damaged "
                             "after it was written (a bad copy or disk); re-download or re-create it")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # re-raised with context
        raise ValueError(
            f"cannot read checkpoint {path}: {type(exc).__name__}: {exc}. The file is corrupt, truncated, "
            "or not a PyTorch checkpoint made of tensors and plain values; re-download or re-create it."
        ) from exc
