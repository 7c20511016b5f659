"""Images in and out, training patches, benchmark sets and the built-in photos.

Conventions: images are numpy ``uint8`` RGB ``(H, W, 3)`` (grayscale ``(H, W)`` only where asked for);
batches are float32 tensors ``(N, 3, H, W)`` in [0, 255]. LR images are always made with the exact
MATLAB bicubic :func:`tinysr.resize.imresize` from the **mod-cropped** HR (top-left
``floor(H/s)*s x floor(W/s)*s``), as the benchmark LR files were.

Reading rules of :func:`load_image` (never a silent garble):

- 8-bit RGB/gray files are returned as stored (EXIF orientation is ignored, like MATLAB ``imread``);
- grayscale (``L``, 1-bit) -> ``(H, W)`` with ``mode="keep"``, replicated to 3 channels with ``mode="rgb"``;
- alpha (``RGBA``, ``LA``, palette with transparency) -> composited on a **white** background (what an
  image viewer shows), then as above;
- palette (``P``) -> its RGB colours; CMYK / YCbCr / LAB / HSV -> converted to RGB by Pillow;
- 16-bit (``I;16*``, and ``I`` with values in 0..65535, as Pillow reads 16-bit PNGs) -> 8-bit by
  ``v >> 8`` (keep the top 8 bits; the same rule Pillow applies to 48-bit RGB PNGs);
- float (``F``) or 32-bit values beyond 16 bits -> ``ValueError`` (the range is unknown; convert the file);
- unreadable, truncated or non-image files -> ``ValueError`` naming the file and what to do.

Benchmarks use the EDSR layout (``<root>/<Set>/HR/<stem>.png``,
``<root>/<Set>/LR_bicubic/X<s>/<stem>x<s>.png``); get them with ``python data_scripts/download.py benchmarks``.
"""
from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .resize import imresize

__all__ = [
    "load_image", "save_image", "modcrop", "to_rgb", "builtin_photos", "split_photos", "BUILTIN_PHOTOS",
    "EVAL_PHOTOS", "load_folder", "PatchSampler", "PairedDataset", "BenchmarkImage",
    "load_benchmark", "IMAGE_EXTENSIONS", "check_scale",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


# -- single images -----------------------------------------------------------------------------
def load_image(path: str | Path, mode: str = "rgb") -> np.ndarray:
    """Read an image file as uint8 (rules in the module docstring).

    Args:
        path: image file (PNG, JPEG, BMP, TIFF, ...).
        mode: ``"rgb"`` -> always ``(H, W, 3)``; ``"keep"`` -> ``(H, W)`` for grayscale files, else ``(H, W, 3)``.
    """
    if mode not in ("rgb", "keep"):
        raise ValueError(f"load_image mode must be 'rgb' or 'keep', got {mode!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image {path} does not exist; check the path")
    try:
        with Image.open(path) as im:
            im.load()                       # decode now: truncated files fail here, not later
            arr = _pil_to_uint8(im, path)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValueError(f"cannot read image {path}: {type(exc).__name__}: {exc}. The file is corrupt, "
                         "truncated or not an image; re-download or re-export it (or delete it from the folder)")\
            from exc
    if mode == "rgb" and arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    return np.require(arr, np.uint8, ["C", "W"])     # PIL arrays are read-only: give a writable copy


def _composite_white(im: Image.Image) -> Image.Image:
    rgba = im.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _pil_to_uint8(im: Image.Image, path: Path) -> np.ndarray:
    """A decoded PIL image -> uint8 (H, W) for gray modes or (H, W, 3)."""
    m = im.mode
    if m in ("RGB", "L"):
        return np.asarray(im, dtype=np.uint8)
    if m == "1":
        return np.asarray(im.convert("L"), dtype=np.uint8)
    if m.startswith("I"):                       # 16-bit PNG (I;16*) or 32-bit int (I)
        v = np.asarray(im).astype(np.int64)
        if v.size and (v.min() < 0 or v.max() > 65535):
            raise ValueError(f"image {path} has {m} pixels in [{v.min()}, {v.max()}], beyond 16 bits; tinysr "
                             "reads 8- or 16-bit images only: convert it to an 8-bit PNG")
        return (v >> 8).astype(np.uint8)
    if m == "F":
        raise ValueError(f"image {path} has float pixels (mode F) of unknown range; convert it to an 8-bit PNG")
    if m in ("LA", "La"):
        return np.asarray(_composite_white(im).convert("L"), dtype=np.uint8)
    if m == "P" and "transparency" not in im.info:
        return np.asarray(im.convert("RGB"), dtype=np.uint8)
    if m in ("RGBA", "RGBa", "PA", "P"):
        return np.asarray(_composite_white(im), dtype=np.uint8)
    try:                                        # CMYK, YCbCr, LAB, HSV, RGBX, ...
        return np.asarray(im.convert("RGB"), dtype=np.uint8)
    except ValueError as exc:
        raise ValueError(f"image {path} has PIL mode {m!r}, which tinysr cannot convert to RGB; "
                         "convert it to an 8-bit RGB PNG") from exc


def save_image(img: np.ndarray, path: str | Path) -> None:
    """Write a uint8 ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` image; format from the suffix (PNG is lossless)."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise ValueError(f"save_image expects uint8 pixels 0..255, got dtype {img.dtype}; "
                         "clamp and round first: np.clip(x, 0, 255).round().astype(np.uint8)")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] != 3):
        raise ValueError(f"save_image expects (H, W) or (H, W, 3), got shape {img.shape}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(path)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Top-left ``floor(H/s)*s x floor(W/s)*s`` region (MATLAB ``modcrop``), so the LR is exactly ``(H/s, W/s)``."""
    h, w = img.shape[0] // scale * scale, img.shape[1] // scale * scale
    return img[:h, :w]


def to_rgb(img: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W)`` / ``(H, W, 1)`` -> ``(H, W, 3)`` by replication; RGB is returned unchanged."""
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError(f"expected an image (H, W), (H, W, 1) or (H, W, 3), got shape {img.shape}")
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def check_scale(scale: Any) -> int:
    """Validate an SR scale factor: an integer >= 2 (the paper uses 2, 3, 4)."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise ValueError(f"scale must be an integer >= 2 (the paper uses 2, 3 or 4), got {scale!r}")
    return int(scale)


def find_data_root() -> Path | None:
    """Where ``data_scripts/download.py`` put the datasets: ``$TINYSR_DATA``, else ``./datasets`` if it
    exists; ``None`` when neither is there. Benchmarks live in ``<root>/benchmarks``."""
    env = os.environ.get("TINYSR_DATA")
    for root in ([Path(env)] if env else []) + [Path("datasets")]:
        if root.is_dir():
            return root
    return None


# -- built-in photos ---------------------------------------------------------------------------
def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data
        return getattr(skimage.data, name)()
    return load


def _motorcycle(index: int) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data
        return skimage.data.stereo_motorcycle()[index]
    return load


def _sklearn(filename: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        from sklearn.datasets import load_sample_image
        return load_sample_image(filename)
    return load


def _grace_hopper() -> np.ndarray:
    from matplotlib import cbook
    with cbook.get_sample_data("grace_hopper.jpg") as fh, Image.open(fh) as im:
        return np.asarray(im.convert("RGB"))


# All ship inside the wheels (checked with scikit-image 0.26: no pooch, no network needed). The motorcycle
# pair is skimage.data.stereo_motorcycle() (left, right); there is no skimage.data.motorcycle_left.
_BUILTIN_LOADERS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": _skimage("astronaut"), "coffee": _skimage("coffee"), "chelsea": _skimage("chelsea"),
    "rocket": _skimage("rocket"), "motorcycle_left": _motorcycle(0), "motorcycle_right": _motorcycle(1),
    "hubble_deep_field": _skimage("hubble_deep_field"), "retina": _skimage("retina"),
    "immunohistochemistry": _skimage("immunohistochemistry"),
    "china": _sklearn("china.jpg"), "flower": _sklearn("flower.jpg"), "grace_hopper": _grace_hopper,
}
BUILTIN_PHOTOS = tuple(_BUILTIN_LOADERS)
# Held out for validation/evaluation: three everyday photos of moderate size (fast to validate on).
EVAL_PHOTOS = ("chelsea", "coffee", "grace_hopper")


@lru_cache(maxsize=None)
def _builtin(name: str) -> np.ndarray:
    arr = np.ascontiguousarray(to_rgb(np.asarray(_BUILTIN_LOADERS[name](), dtype=np.uint8)))
    arr.setflags(write=False)
    return arr


def split_photos(names: Sequence[str], arch_fraction: float, seed: int = 0) -> tuple[list[str], list[str]]:
    """Deterministic split of ``names`` into (train, arch) lists for the bilevel search.

    The sorted names are shuffled with ``random.Random(seed)`` (stable across Python versions) and the
    first ``floor(n * arch_fraction + 0.5)`` go to ``arch``. With ``0 < arch_fraction < 1`` and two or more
    names, both parts get at least one. Each list keeps sorted order.
    """
    if not 0.0 <= arch_fraction <= 1.0:
        raise ValueError(f"arch_fraction must be in [0, 1] (share of photos for architecture steps), "
                         f"got {arch_fraction}")
    order = sorted(names)
    random.Random(seed).shuffle(order)
    n = len(order)
    n_arch = math.floor(n * arch_fraction + 0.5)
    if 0 < arch_fraction < 1 and n >= 2:
        n_arch = min(max(n_arch, 1), n - 1)
    return sorted(order[n_arch:]), sorted(order[:n_arch])


def builtin_photos(split: str | None = None, *, arch_fraction: float = 0.5, seed: int = 0) -> dict[str, np.ndarray]:
    """Real photographs bundled with scikit-image, scikit-learn and matplotlib: name -> uint8 (H, W, 3).

    Works offline. ``split``: ``None``/``"all"`` every photo; ``"eval"`` the held-out :data:`EVAL_PHOTOS`;
    ``"train"`` / ``"arch"`` the two parts of the rest from :func:`split_photos` (weight steps /
    architecture steps of the search); parts can be joined with ``+`` (``"train+arch"``: all training
    photos, for retraining). Returns fresh copies, sorted by name.
    """
    rest = [n for n in BUILTIN_PHOTOS if n not in EVAL_PHOTOS]
    train, arch = split_photos(rest, arch_fraction, seed)
    parts = {"all": list(BUILTIN_PHOTOS), "eval": list(EVAL_PHOTOS), "train": train, "arch": arch}
    wanted: list[str] = []
    for part in (split or "all").split("+"):
        if part not in parts:
            raise ValueError(f"unknown split {part!r}; use one of {sorted(parts)} or a '+'-joined list "
                             "such as 'train+arch'")
        wanted += [n for n in parts[part] if n not in wanted]
    return {name: _builtin(name).copy() for name in sorted(wanted)}


# -- folders -----------------------------------------------------------------------------------
def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)


def load_folder(path: str | Path, max_images: int = 0, mode: str = "rgb") -> dict[str, np.ndarray]:
    """All images directly inside ``path`` (sorted by file name): stem -> uint8 image (see :func:`load_image`).

    ``max_images > 0`` keeps the first ``max_images`` files. Missing, empty or image-less folders raise
    with the path and how to get data (e.g. ``python data_scripts/download.py div2k``).
    """
    if max_images < 0:
        raise ValueError(f"max_images must be >= 0 (0 = all), got {max_images}")
    folder = Path(path)
    fix = ("pass a folder of HR images, e.g. DIV2K/DIV2K_train_HR (get it with "
           "`python data_scripts/download.py div2k`), or use the built-in photos (data.source=builtin)")
    if not folder.exists():
        raise FileNotFoundError(f"image folder {folder} does not exist; {fix}")
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file, not a folder of images; {fix}")
    files = _image_files(folder)
    if not files:
        entries = sorted(folder.iterdir())
        if not entries:
            raise ValueError(f"image folder {folder} is empty; {fix}")
        subdirs = [p.name for p in entries if p.is_dir() and _image_files(p)]
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
            ((f"image {i}", img) for i, img in enumerate(hr_images))
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
                                 f"{hr_patch}x{hr_patch} patch at x{scale}; use a smaller patch (at most "
                                 f"{min(hr.shape[:2]) // scale * scale} here: --set train.hr_patch=N or "
                                 f"search.hr_patch=N) or bigger images")
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




def _augment(t: torch.Tensor, hflip: int, vflip: int, transpose: int) -> torch.Tensor:
    if hflip:
        t = t.flip(-1)
    if vflip:
        t = t.flip(-2)
    if transpose:
        t = t.transpose(-1, -2)
    return t


class PairedDataset(torch.utils.data.Dataset):
    """HR/LR file pairs as a torch Dataset: item ``i`` -> ``(lr, hr)`` float32 ``(3, h, w)``, ``(3, h*s, w*s)``.

    HR is mod-cropped to ``LR size * scale`` (top-left); grayscale files are replicated to RGB. With
    ``lr_paths=None`` the LR is made with :func:`~tinysr.resize.imresize` from the mod-cropped HR.
    """

    def __init__(self, hr_paths: Sequence[str | Path], lr_paths: Sequence[str | Path] | None, scale: int) -> None:
        self.scale = check_scale(scale)
        self.hr_paths = [Path(p) for p in hr_paths]
        self.lr_paths = None if lr_paths is None else [Path(p) for p in lr_paths]
        if self.lr_paths is not None and len(self.lr_paths) != len(self.hr_paths):
            raise ValueError(f"PairedDataset got {len(self.hr_paths)} HR but {len(self.lr_paths)} LR files; "
                             "pass one LR file per HR file, in the same order")

    def __len__(self) -> int:
        return len(self.hr_paths)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        hr = load_image(self.hr_paths[i])
        lr = None if self.lr_paths is None else load_image(self.lr_paths[i])
        lr, hr = _pair(hr, lr, self.scale, self.hr_paths[i])
        as_t = lambda a: torch.from_numpy(to_rgb(a)).permute(2, 0, 1).float()  # noqa: E731
        return as_t(lr), as_t(hr)


def _pair(hr: np.ndarray, lr: np.ndarray | None, scale: int, where: Path) -> tuple[np.ndarray, np.ndarray]:
    """Mod-crop HR to match LR (or make LR); checks the sizes agree."""
    if lr is None:
        hr = np.ascontiguousarray(modcrop(hr, scale))
        return imresize(hr, 1 / scale), hr
    h, w = lr.shape[:2]
    if hr.shape[0] < h * scale or hr.shape[1] < w * scale:
        raise ValueError(f"HR {where} is {hr.shape[1]}x{hr.shape[0]} (WxH) but its x{scale} LR is {w}x{h}, "
                         f"which needs at least {w * scale}x{h * scale}; the LR file belongs to another "
                         "image or scale")
    return lr, np.ascontiguousarray(hr[:h * scale, :w * scale])


# -- benchmarks --------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchmarkImage:
    """One benchmark image: ``hr`` uint8 mod-cropped to ``lr * scale``; ``gray`` -> both are ``(H, W)``."""

    stem: str
    hr: np.ndarray
    lr: np.ndarray
    gray: bool


_GET_BENCHMARKS = "get them with `python data_scripts/download.py benchmarks`"


def load_benchmark(root: str | Path, name: str, scale: int) -> list[BenchmarkImage]:
    """Load benchmark set ``name`` at ``scale`` from the EDSR layout under ``root``, sorted by stem.

    ``<root>/<name>/HR/<stem>.png`` and ``<root>/<name>/LR_bicubic/X<s>/<stem>x<s>.png``. Without the
    ``X<s>`` folder the LR images are made with ``imresize(modcrop(hr, s), 1/s)`` (identical to the
    genuine files). Grayscale images (Set14 ``bridge``) stay single-channel, ``gray=True``.
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
    hr_files = _image_files(hr_dir)
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
            if lr.ndim != hr.ndim:
                raise ValueError(f"{hr_path} and {lr_path} differ in channels ({hr.shape} vs {lr.shape}); "
                                 "one of them is not from this benchmark; re-download the set")
        lr, hr = _pair(hr, lr, scale, hr_path)
        images.append(BenchmarkImage(hr_path.stem, hr, lr, gray=hr.ndim == 2))
    return images
