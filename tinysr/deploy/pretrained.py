"""The authors' released models by name: ``pretrained("dlsr")`` is the DLSR x2 network with its weights.

Where a checkpoint comes from, in order:

1. the one data rule of :mod:`tinysr.data.paths` (``<root>/official/<file>.pt`` under ``$TINYSR_DATA``,
   ``./datasets`` or ``$TINYSR_SHARED/data``);
2. the download cache, ``$TINYSR_CACHE`` (default ``~/.cache/tinysr``);
3. a download from the ``checkpoints/`` folder of the authors' GitHub repository (DawnHH/DLSR-PyTorch, raw
   files; ``$TINYSR_MODEL_URL`` replaces that base address, e.g. for a mirror or an offline server).

Every file is checked against the sha256 below (the released bytes) wherever it was found. Downloads go
to a temporary file in the cache folder, hashed while they stream, and are renamed into place only when
the hash matches: an interrupted or wrong download never leaves a file under the real name.

The authors released **x2 weights only**; x3/x4 models come from ``tinysr train --init`` (fine-tuning
from the x2 weights) and load by path with :func:`tinysr.model.load_model`.

``tinysr.deploy.pretrained`` is this module (a top-level name that is also a module name means the module), and
the module is callable: ``tinysr.deploy.pretrained("dlsr")`` is ``tinysr.deploy.pretrained.pretrained("dlsr")``.
"""
from __future__ import annotations

import hashlib
import os
import sys
import types
import urllib.error
import urllib.request
from pathlib import Path

from ..data.paths import OFFICIAL_FILES, describe_roots, find_official_file
from ..model import DLSRNet, load_official
from ..utils import atomic_path

__all__ = ["pretrained", "pretrained_path", "cache_dir", "PRETRAINED_SHA256", "PRETRAINED_SCALE",
           "DEFAULT_MODEL_URL"]

#: sha256 of each released file (``checkpoints/`` of DawnHH/DLSR-PyTorch at commit 3ea0d84).
PRETRAINED_SHA256: dict[str, str] = {
    "dlsr": "d2d9253e8ab69ad3d681244b8673353538d2ed5a024c9a5a273cecb8b7a00ecb",
    "dlsr_para": "5966582411f3dd016ff9bdd6012cfdf60aea45519e50d62c0f4fa4c6bca8deb8",
    "dlsr_tiny": "d08440aea6686aef995b08118c87801df1e231f66ffb97209f1d4e43ebdbdcd1",
}
#: The upscaling factor of every released model.
PRETRAINED_SCALE = 2
#: Base address of the released files (``$TINYSR_MODEL_URL`` overrides it).
DEFAULT_MODEL_URL = "https://github.com/DawnHH/DLSR-PyTorch/raw/master/checkpoints/"

_CHUNK = 1 << 16


def _check_name(name: str) -> None:
    if name not in PRETRAINED_SHA256:
        raise ValueError(f"unknown pretrained model {name!r}; released models: {', '.join(PRETRAINED_SHA256)} "
                         "(all x2). Your own trained models load by path: --model model.pt")


def cache_dir() -> Path:
    """``$TINYSR_CACHE`` if set, else ``~/.cache/tinysr`` (not created here)."""
    env = os.environ.get("TINYSR_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "tinysr"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, name: str) -> bool:
    return _sha256(path) == PRETRAINED_SHA256[name]


def _download(url: str, dest: Path, name: str, timeout: float) -> None:
    """Stream ``url`` into a temp file beside ``dest`` hashing as it goes; it becomes ``dest`` only when its sha256
    is the released file's (:func:`tinysr.utils.atomic_path`: readable by all, as a shared cache must be)."""
    with atomic_path(dest) as tmp:
        h = hashlib.sha256()
        with open(tmp, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    for block in iter(lambda: resp.read(_CHUNK), b""):
                        h.update(block)
                        out.write(block)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise ConnectionError(
                    f"cannot download pretrained model {name!r} from {url}: {exc}. Check the network (or set "
                    f"$TINYSR_MODEL_URL to a reachable copy), or put {OFFICIAL_FILES[name]} into "
                    f"<data root>/official/ ({describe_roots()})") from exc
        got, want = h.hexdigest(), PRETRAINED_SHA256[name]
        if got != want:
            raise ValueError(f"the file downloaded from {url} has sha256 {got}, expected {want}: it is not the "
                             f"released {OFFICIAL_FILES[name]} (a wrong $TINYSR_MODEL_URL, a proxy's error page "
                             "or a changed upstream file); nothing was kept in the cache")


def pretrained_path(name: str = "dlsr", *, download: bool = True, timeout: float = 60.0) -> Path:
    """The verified local file of released model ``name`` (``dlsr``, ``dlsr_para``, ``dlsr_tiny``).

    Looks in the data roots, then the cache; downloads into the cache if ``download`` (progress on stderr).
    Raises ``ValueError`` for an unknown name or a file whose sha256 is wrong, ``FileNotFoundError`` when the
    file is absent and ``download=False``, ``ConnectionError`` when the download fails.
    """
    _check_name(name)
    found = find_official_file(name)
    if found is not None:
        if not _verified(found, name):
            raise ValueError(f"{found} has sha256 {_sha256(found)}, expected {PRETRAINED_SHA256[name]}: it is not "
                             "the released checkpoint (corrupt or replaced); delete or re-download it")
        return found
    cached = cache_dir() / OFFICIAL_FILES[name]
    if cached.is_file() and _verified(cached, name):
        return cached
    if not download:
        raise FileNotFoundError(f"pretrained model {name!r} ({OFFICIAL_FILES[name]}) is not on this machine: "
                                f"{describe_roots()}, then the cache {cache_dir()}; allow the download or get it "
                                "with `tinysr download official`")
    base = os.environ.get("TINYSR_MODEL_URL") or DEFAULT_MODEL_URL
    url = base.rstrip("/") + "/" + OFFICIAL_FILES[name]
    print(f"tinysr: downloading {name} from {url} into {cached}", file=sys.stderr)
    _download(url, cached, name, timeout)     # a cached file with a wrong hash is ours: replaced atomically
    return cached


def pretrained(name: str = "dlsr", *, download: bool = True) -> DLSRNet:
    """The released x2 model ``name`` as a :class:`~tinysr.model.DLSRNet` in eval mode, on the CPU.

    ``forward``: ``(N, 3, H, W)`` float RGB in [0, 255] -> ``(N, 3, 2H, 2W)``; run it on images with
    :func:`tinysr.deploy.inference.super_resolve`. See :func:`pretrained_path` for where the weights come from.
    """
    return load_official(pretrained_path(name, download=download), name)


class _CallableModule(types.ModuleType):
    """This module's type: calling the module calls :func:`pretrained` (``tinysr.deploy.pretrained("dlsr")``)."""

    def __call__(self, name: str = "dlsr", *, download: bool = True) -> DLSRNet:
        return pretrained(name, download=download)


sys.modules[__name__].__class__ = _CallableModule
