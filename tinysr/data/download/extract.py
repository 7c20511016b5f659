"""Safe extraction: unpack a zip or tar only after every member has been checked to stay inside its folder.

Archives from the internet may hold members such as ``../../.bashrc``, ``/etc/x`` or a symlink to ``/``.
:func:`safe_extract` refuses the whole archive, naming the member, before writing anything.
"""
from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from .messages import UnsafeArchiveError

__all__ = ["safe_extract"]


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
