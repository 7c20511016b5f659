"""Datasets built on :mod:`tinysr.data.images`: image folders, training patches and benchmark sets.

Conventions: images are numpy ``uint8`` RGB ``(H, W, 3)`` (grayscale ``(H, W)`` only where asked for);
batches are float32 tensors ``(N, 3, H, W)`` in [0, 255]. LR images are always made with the exact
MATLAB bicubic :func:`tinysr.resize.imresize` from the **mod-cropped** HR (top-left
``floor(H/s)*s x floor(W/s)*s``), as the benchmark LR files were; genuine LR files must have exactly that
size (:func:`load_benchmark` checks it). Reading rules of single files: :mod:`tinysr.data.images`.

Benchmarks use the EDSR layout (``<root>/<Set>/HR/<stem>.png``,
``<root>/<Set>/LR_bicubic/X<s>/<stem>x<s>.png``); get them with ``tinysr download benchmarks``.
Where data is found on this machine: :mod:`tinysr.data.paths`; the offline built-in photos: :mod:`tinysr.data.photos`
(re-exported here, as are the single-image helpers of :mod:`tinysr.data.images`, for existing callers).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config.rules import ESA_MIN
from ..resize import imresize
from .images import IMAGE_EXTENSIONS, check_scale, list_images, load_image, modcrop, to_rgb
from .paths import data_roots

__all__ = ["find_data_root", "load_folder", "PatchSampler", "MIN_LR_SIZE", "BenchmarkImage", "load_benchmark"]

# The smallest LR side a DLSR network accepts (tinysr.config.rules.ESA_MIN; tinysr.cell derives it from ESA's
# stride-2 conv and 7x7/3 max-pool); tests/test_data.py checks
# that the two agree.
MIN_LR_SIZE = ESA_MIN


def find_data_root() -> Path | None:
    """The first data root of :func:`tinysr.data.paths.data_roots` that exists (``$TINYSR_DATA``, ``./datasets``,
    ``$TINYSR_SHARED/data``, in that order), or ``None``. Benchmarks live in ``<root>/benchmarks``; to find
    a particular thing use :func:`tinysr.data.paths.find_benchmarks` and friends, which try every root."""
    roots = data_roots()
    return roots[0] if roots else None


# -- folders -----------------------------------------------------------------------------------
def load_folder(path: str | Path, max_images: int = 0, mode: str = "rgb") -> dict[str, np.ndarray]:
    """All images directly inside ``path`` (:func:`~tinysr.data.images.list_images`: sorted by file name, no two
    with one stem): stem -> uint8 image (see :func:`~tinysr.data.images.load_image`).

    ``max_images > 0`` keeps the first ``max_images`` files. Missing, empty or image-less folders raise
    with the path and how to get data (e.g. ``tinysr download div2k``).
    """
    if max_images < 0:
        raise ValueError(f"max_images must be >= 0 (0 = all), got {max_images}")
    folder = Path(path)
    fix = ("pass a folder of HR images, e.g. DIV2K/DIV2K_train_HR (get it with "
           "`tinysr download div2k`), or use the built-in photos (data.source=builtin)")
    if not folder.exists():
        raise FileNotFoundError(f"image folder {folder} does not exist; {fix}")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder of images; {fix}")
    files = list_images(folder)
    if not files:
        entries = sorted(folder.iterdir())
        if not entries:
            raise ValueError(f"image folder {folder} is empty; {fix}")
        subdirs = [p.name for p in entries if p.is_dir() and list_images(p)]
        hint = f" (subfolders with images: {', '.join(subdirs)}; pass one of them)" if subdirs else ""
        raise ValueError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) directly in {folder}{hint}; {fix}")
    if max_images:
        files = files[:max_images]
    return {p.stem: load_image(p, mode) for p in files}


# -- training patches --------------------------------------------------------------------------
class PatchSampler:
    """Random aligned (LR, HR) patch batches from whole HR images, reproducible from a seed.

    Each HR image is made RGB and mod-cropped, and its LR made **once** with the exact
    :func:`~tinysr.resize.imresize` (so training inputs are pixel-identical to MATLAB-made LR files).
    A sample picks an image uniformly, a position ``(y, x)`` in the LR image, takes the LR patch at
    ``(y, x)`` and the HR patch at ``(y*s, x*s)``, then (``augment``) random horizontal flip, vertical
    flip and transpose, the same for both. All randomness comes from the sampler's own
    ``torch.Generator``; :meth:`state_dict` / :meth:`load_state_dict` resume the identical stream.

    Args:
        hr_images: name -> uint8 image, or a sequence of images (``(H, W)`` gray or ``(H, W, 3)``).
        scale: SR factor (integer >= 2).
        hr_patch: HR patch side, a multiple of ``scale``; the LR patch is ``hr_patch // scale``.
        batch_size: patches per batch.
        seed: seed of the generator.
        augment: random flips + transpose (the 8 dihedral transforms).
    """

    def __init__(self, hr_images: Mapping[str, np.ndarray] | Sequence[np.ndarray], scale: int, hr_patch: int,
                 batch_size: int, seed: int = 0, augment: bool = True) -> None:
        self.scale = check_scale(scale)
        if hr_patch < scale or hr_patch % scale:
            raise ValueError(f"hr_patch={hr_patch} must be a positive multiple of scale={scale} (LR and HR "
                             f"patches must align), e.g. {max(1, hr_patch // scale) * scale} "
                             f"(--set train.hr_patch=N or search.hr_patch=N)")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        items = hr_images.items() if isinstance(hr_images, Mapping) else \
            ((f"hr_images[{i}]", img) for i, img in enumerate(hr_images))
        self.names: list[str] = []
        self._hr: list[torch.Tensor] = []
        self._lr: list[torch.Tensor] = []
        lr_patch = hr_patch // scale
        for name, img in items:
            hr = np.require(modcrop(to_rgb(np.asarray(img)), scale), requirements=["C", "W"])
            if hr.dtype != np.uint8:
                raise ValueError(f"HR image {name!r} must be uint8, got {hr.dtype}")
            if hr.shape[0] < hr_patch or hr.shape[1] < hr_patch:
                raise ValueError(f"HR image {name!r} is {img.shape[1]}x{img.shape[0]} (WxH), smaller than one "
                                 f"{hr_patch}x{hr_patch} patch at x{scale}; {_patch_advice(hr.shape, scale)}")
            self.names.append(str(name))
            self._hr.append(torch.from_numpy(hr).permute(2, 0, 1).contiguous())
            self._lr.append(torch.from_numpy(imresize(hr, 1 / scale)).permute(2, 0, 1).contiguous())
        if not self.names:
            raise ValueError("PatchSampler got no HR images; pass at least one (e.g. builtin_photos('train'))")
        self.hr_patch, self.lr_patch, self.batch_size = hr_patch, lr_patch, batch_size
        self.seed, self.augment = seed, augment
        self.generator = torch.Generator().manual_seed(seed)
        self.batches_drawn = 0

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(lr, hr)``: float32 ``(N, 3, p/s, p/s)`` and ``(N, 3, p, p)`` in [0, 255]."""
        g, s, lp, hp = self.generator, self.scale, self.lr_patch, self.hr_patch
        which = torch.randint(len(self._hr), (self.batch_size,), generator=g).tolist()
        lrs, hrs = [], []
        for i in which:
            lr_img, hr_img = self._lr[i], self._hr[i]
            y = int(torch.randint(lr_img.shape[1] - lp + 1, (1,), generator=g))
            x = int(torch.randint(lr_img.shape[2] - lp + 1, (1,), generator=g))
            lr_p = lr_img[:, y:y + lp, x:x + lp]
            hr_p = hr_img[:, y * s:y * s + hp, x * s:x * s + hp]
            if self.augment:
                hflip, vflip, transpose = torch.randint(2, (3,), generator=g).tolist()
                lr_p, hr_p = (_augment(t, hflip, vflip, transpose) for t in (lr_p, hr_p))
            lrs.append(lr_p)
            hrs.append(hr_p)
        self.batches_drawn += 1
        return torch.stack(lrs).float(), torch.stack(hrs).float()

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        while True:
            yield self.next_batch()

    def state_dict(self) -> dict[str, Any]:
        """Generator state plus the settings that define the stream (checked on load)."""
        return {"generator": self.generator.get_state(), "batches_drawn": self.batches_drawn,
                **self._identity()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue the stream saved by :meth:`state_dict`; refuses a sampler built on other data/settings."""
        mine = self._identity()
        theirs = {k: state.get(k) for k in mine}
        if theirs != mine:
            diff = [k for k in mine if theirs[k] != mine[k]]
            raise ValueError(f"PatchSampler state was saved with different {', '.join(diff)} "
                             f"(saved {[theirs[k] for k in diff]}, now {[mine[k] for k in diff]}); resume with "
                             "the same images and settings, or start a fresh run")
        self.generator.set_state(state["generator"])
        self.batches_drawn = int(state["batches_drawn"])

    def _identity(self) -> dict[str, Any]:
        return {"names": list(self.names), "scale": self.scale, "hr_patch": self.hr_patch,
                "batch_size": self.batch_size, "augment": self.augment}




def _patch_advice(hr_shape: tuple[int, ...], scale: int) -> str:
    """What to do about an image smaller than one patch, given that DLSR needs LR patches of at least
    :data:`MIN_LR_SIZE` px per side (ESA)."""
    largest, smallest = min(hr_shape[:2]) // scale * scale, MIN_LR_SIZE * scale
    if largest >= smallest:
        return (f"use a smaller patch (at most {largest} here, and at least {smallest}, since DLSR's ESA needs "
                f"LR patches of >= {MIN_LR_SIZE} px per side: --set train.hr_patch=N or search.hr_patch=N) "
                "or bigger images")
    return (f"this image cannot give a DLSR patch at all (ESA needs LR patches of >= {MIN_LR_SIZE} px per side, "
            f"i.e. HR images of >= {smallest} px per side at x{scale}): remove it from the data or use a bigger one")


def _augment(t: torch.Tensor, hflip: int, vflip: int, transpose: int) -> torch.Tensor:
    if hflip:
        t = t.flip(-1)
    if vflip:
        t = t.flip(-2)
    if transpose:
        t = t.transpose(-1, -2)
    return t


# -- benchmarks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkImage:
    """One benchmark image: ``hr`` uint8 mod-cropped to ``lr * scale``; ``gray`` -> both are ``(H, W)``,
    else ``(H, W, 3)`` RGB."""

    stem: str
    hr: np.ndarray
    lr: np.ndarray
    gray: bool


_GET_BENCHMARKS = "get them with `tinysr download benchmarks`"


def _check_lr(lr: np.ndarray, hr: np.ndarray, lr_path: Path, hr_path: Path, scale: int) -> None:
    """A genuine LR file must be exactly the mod-cropped HR divided by ``scale``, with the same channels."""
    want = (hr.shape[0] // scale, hr.shape[1] // scale)
    fix = (f"it belongs to another image or scale: re-download the set, or delete {lr_path.parent} to make "
           "the LR images with imresize")
    if lr.shape[:2] != want:
        raise ValueError(f"benchmark LR file {lr_path} is {lr.shape[1]}x{lr.shape[0]} (WxH), but its HR "
                         f"{hr_path.name} is {hr.shape[1]}x{hr.shape[0]}, so its x{scale} LR must be "
                         f"{want[1]}x{want[0]} (the mod-cropped HR / {scale}); {fix}")
    if lr.ndim != hr.ndim:
        raise ValueError(f"benchmark LR file {lr_path} has shape {lr.shape} but its HR {hr_path.name} has "
                         f"{hr.shape}: one is grayscale, the other colour; {fix}")


def load_benchmark(root: str | Path, name: str, scale: int) -> list[BenchmarkImage]:
    """Load benchmark set ``name`` at ``scale`` from the EDSR layout under ``root``, sorted by stem.

    ``<root>/<name>/HR/<stem>.png`` and ``<root>/<name>/LR_bicubic/X<s>/<stem>x<s>.png``. Each LR file
    must be exactly ``(H // s, W // s)`` of its HR and have its channels, else ``ValueError`` names the
    file, its size and the expected one (a wrong LR would silently give wrong PSNRs). Without the ``X<s>``
    folder the LR images are made with ``imresize(modcrop(hr, s), 1/s)`` (identical to the genuine files).
    Grayscale images (Set14 ``bridge``) stay single-channel, ``gray=True``.
    """
    scale = check_scale(scale)
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"benchmark folder {root} does not exist; {_GET_BENCHMARKS} "
                                "(or pass --benchmarks DIR / set TINYSR_DATA)")
    set_dir = root / name
    if not set_dir.is_dir():
        found = sorted(p.name for p in root.iterdir() if (p / "HR").is_dir())
        raise FileNotFoundError(f"benchmark set {name!r} not found: no folder {set_dir}; sets found in {root}: "
                                f"{', '.join(found) or 'none'}; {_GET_BENCHMARKS}")
    hr_dir = set_dir / "HR"
    if not hr_dir.is_dir():
        raise FileNotFoundError(f"benchmark set {name!r} has no HR folder {hr_dir} (expected the EDSR layout "
                                f"<root>/<Set>/HR/<stem>.png, <root>/<Set>/LR_bicubic/X<s>/<stem>x<s>.png); "
                                f"{_GET_BENCHMARKS}")
    hr_files = list_images(hr_dir)
    if not hr_files:
        raise ValueError(f"benchmark HR folder {hr_dir} has no images; {_GET_BENCHMARKS}")
    lr_dir = set_dir / "LR_bicubic" / f"X{scale}"
    images = []
    for hr_path in hr_files:
        hr = load_image(hr_path, mode="keep")
        lr = None
        if lr_dir.is_dir():
            lr_path = lr_dir / f"{hr_path.stem}x{scale}{hr_path.suffix}"
            if not lr_path.is_file():
                raise FileNotFoundError(f"benchmark LR file {lr_path} is missing (its HR is {hr_path}); "
                                        f"re-download the set, or delete {lr_dir} to make LR with imresize")
            lr = load_image(lr_path, mode="keep")
            _check_lr(lr, hr, lr_path, hr_path, scale)
        hr = np.ascontiguousarray(modcrop(hr, scale))
        if lr is None:
            lr = imresize(hr, 1 / scale)
        images.append(BenchmarkImage(hr_path.stem, hr, lr, gray=hr.ndim == 2))
    return images

