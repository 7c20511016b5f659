"""Single images in and out, with stated format rules: the lowest layer every other data path goes through.

Conventions: images are numpy ``uint8`` RGB ``(H, W, 3)``, or ``(H, W)`` grayscale where asked for.
LR images are made from the **mod-cropped** HR (top-left ``floor(H/s)*s x floor(W/s)*s``, :func:`modcrop`),
as the benchmark LR files were.

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

Folder rule of :func:`list_images`: files whose suffix is in :data:`IMAGE_EXTENSIONS` (any case), sorted by
name; two files with the same stem (``a.png`` and ``a.jpg``) are an error, since images are known by stem.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

__all__ = ["IMAGE_EXTENSIONS", "load_image", "save_image", "modcrop", "to_rgb", "check_scale", "list_images"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def load_image(path: str | Path, mode: str = "rgb") -> np.ndarray:
    """Read an image file as uint8 (rules in the module docstring); the array is a writable copy.

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
    """Write a uint8 ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` image; format from the suffix (PNG is lossless).
    Missing parent folders are created."""
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


def check_scale(scale: Any) -> int:
    """Validate an SR scale factor: an integer >= 2 (the paper uses 2, 3, 4); returns it as ``int``."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 2:
        raise ValueError(f"scale must be an integer >= 2 (the paper uses 2, 3 or 4), got {scale!r}")
    return int(scale)


def modcrop(img: np.ndarray, scale: int) -> np.ndarray:
    """Top-left ``floor(H/s)*s x floor(W/s)*s`` region (MATLAB ``modcrop``) of an ``(H, W[, C])`` image, so
    its x``scale`` LR is exactly ``(H/s, W/s)``. A view, not a copy."""
    scale = check_scale(scale)
    h, w = img.shape[0] // scale * scale, img.shape[1] // scale * scale
    return img[:h, :w]


def to_rgb(img: np.ndarray) -> np.ndarray:
    """uint8 ``(H, W)`` / ``(H, W, 1)`` -> ``(H, W, 3)`` by replication; RGB is returned unchanged."""
    if img.ndim == 2:
        img = img[:, :, None]
    if img.ndim != 3 or img.shape[2] not in (1, 3):
        raise ValueError(f"expected an image (H, W), (H, W, 1) or (H, W, 3), got shape {img.shape}")
    return np.repeat(img, 3, axis=2) if img.shape[2] == 1 else img


def list_images(folder: str | Path) -> list[Path]:
    """The image files directly inside ``folder`` (suffix in :data:`IMAGE_EXTENSIONS`, any case), sorted by
    name. Two files with one stem (``a.png`` and ``a.jpg``) raise ``ValueError`` naming both: tinysr knows
    images by stem, so one of them would silently shadow the other."""
    files = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
    seen: dict[str, Path] = {}
    for p in files:
        if p.stem in seen:
            raise ValueError(f"{seen[p.stem]} and {p} have the same stem {p.stem!r}; images are known by stem, "
                             "so keep one of them (delete or rename the other)")
        seen[p.stem] = p
    return files
