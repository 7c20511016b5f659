"""MATLAB-exact bicubic LR files for a folder of HR images, in the EDSR ``LR_bicubic`` layout.

    python data_scripts/prepare.py HR_DIR [--scales 2,3,4] [--out DIR] [--write-hr] [--overwrite] [-q]

For each image ``HR_DIR/<stem>.<ext>`` and each scale ``s`` this writes
``OUT/LR_bicubic/X<s>/<stem>x<s>.png`` = ``imresize(modcrop(hr, s), 1/s)``, where ``modcrop`` keeps the
top-left ``floor(H/s)*s x floor(W/s)*s`` pixels and :func:`tinysr.resize.imresize` is MATLAB's bicubic
reproduced bit for bit. That is how every SR benchmark's LR files were made, so images prepared here are
interchangeable with the published ones (the tests check Set5 pixel for pixel). ``OUT`` defaults to the
parent of ``HR_DIR``, so ``<Set>/HR`` gets its ``<Set>/LR_bicubic`` beside it.

``--write-hr`` also writes the mod-cropped HR as ``OUT/HR_mod<s>/<stem>.png`` (HR exactly ``s`` times the
LR; tinysr itself crops on the fly, so this is only for other tools). Grayscale images stay single-channel.
Existing outputs are kept unless ``--overwrite``, so an interrupted run can simply be restarted.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...resize import imresize
from ...utils import os_error_message
from ..images import list_images, load_image, modcrop, save_image

__all__ = ["make_lr", "parse_scales", "prepare_lr", "main"]


def _crop(img: np.ndarray, scale: int) -> np.ndarray:
    """:func:`tinysr.data.images.modcrop`, refusing an image smaller than ``scale`` (its LR would be empty)."""
    h, w = img.shape[:2]
    if h < scale or w < scale:
        raise ValueError(f"image of {w}x{h} pixels is too small for x{scale}: the LR would be empty")
    return modcrop(img, scale)


def make_lr(hr_img: np.ndarray, scale: int) -> np.ndarray:
    """The x``scale`` LR of ``hr_img`` (uint8 ``(H, W[, 3])``): ``imresize(modcrop(hr_img, scale), 1/scale)``,
    uint8 with the same number of dimensions. ``ValueError`` if the image is smaller than ``scale``."""
    return imresize(_crop(hr_img, scale), 1.0 / scale)


def _hr_files(hr_dir: Path) -> list[Path]:
    if not hr_dir.exists():
        raise FileNotFoundError(f"HR folder {hr_dir} does not exist; pass the folder that holds the HR images "
                                f"(e.g. datasets/benchmarks/Set5/HR)")
    if not hr_dir.is_dir():
        raise NotADirectoryError(f"{hr_dir} is a file, not a folder; pass the folder that holds the HR images")
    files = list_images(hr_dir)        # two images with one stem: ValueError naming both
    if not files:
        raise ValueError(f"HR folder {hr_dir} holds no images (looked for .png, .jpg, .bmp, .tif, ...); "
                         f"is it the right folder?")
    return files


def parse_scales(text: str | Sequence[int]) -> list[int]:
    """``"2,3,4"`` -> ``[2, 3, 4]`` (sorted, unique); each scale must be an integer >= 2.

    Raises:
        ValueError: not a comma-separated list of integers >= 2.
    """
    items = text.split(",") if isinstance(text, str) else list(text)
    try:
        scales = [int(str(s).strip()) for s in items if str(s).strip()]
    except ValueError:
        raise ValueError(f"--scales must be integers separated by commas, like 2,3,4; got {text!r}") from None
    if not scales or any(s < 2 for s in scales):
        raise ValueError(f"--scales must be integers >= 2 (e.g. 2,3,4); got {text!r}")
    return sorted(set(scales))


def prepare_lr(hr_dir: Path | str, scales: Sequence[int] = (2, 3, 4), out: Path | str | None = None, *,
               write_hr: bool = False, overwrite: bool = False, quiet: bool = False) -> dict[str, int]:
    """Write ``out/LR_bicubic/X<s>/<stem>x<s>.png`` for every image of ``hr_dir`` and every scale.

    Args:
        hr_dir: folder of HR images (png/bmp/jpg/tif...; RGB or grayscale).
        scales: integer factors, e.g. ``(2, 3, 4)``.
        out: output root; default the parent of ``hr_dir``.
        write_hr: also write the mod-cropped HR as ``out/HR_mod<s>/<stem>.png``.
        overwrite: redo files that already exist (default: keep them).
        quiet: no progress on stderr.

    Returns:
        counts: ``{"images": n, "written": k, "skipped": m}``.

    Raises:
        FileNotFoundError / NotADirectoryError: ``hr_dir`` is missing or not a folder.
        ValueError: no images, two with one stem, an unreadable or too small image, bad scales.
    """
    hr_dir = Path(hr_dir)
    files = _hr_files(hr_dir)
    scales = parse_scales(scales)
    out = Path(out) if out is not None else hr_dir.resolve().parent
    written = skipped = 0
    for i, path in enumerate(files, 1):
        targets = {s: out / "LR_bicubic" / f"X{s}" / f"{path.stem}x{s}.png" for s in scales}
        hr_targets = {s: out / f"HR_mod{s}" / f"{path.stem}.png" for s in scales} if write_hr else {}
        todo = [t for t in [*targets.values(), *hr_targets.values()] if overwrite or not t.exists()]
        skipped += len(targets) + len(hr_targets) - len(todo)
        if not todo:
            continue
        try:
            hr_img = load_image(path, mode="keep")   # grayscale stays (H, W)
        except (OSError, ValueError) as exc:
            raise ValueError(f"cannot read {path}: {exc}; remove or repair the file and re-run") from None
        for s in scales:
            if targets[s] in todo:
                save_image(make_lr(hr_img, s), targets[s])
            if s in hr_targets and hr_targets[s] in todo:
                save_image(_crop(hr_img, s), hr_targets[s])
        written += len(todo)
        if not quiet:
            print(f"\r  {i}/{len(files)} {path.name}        ", end="", file=sys.stderr, flush=True)
    if not quiet and files:
        print(file=sys.stderr)
    return {"images": len(files), "written": written, "skipped": skipped}


def main(argv: Sequence[str] | None = None, prog: str = "prepare.py") -> int:
    """``data_scripts/prepare.py``: returns 0 on success, 2 on a usage/input error (one line on stderr)."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Write MATLAB-exact bicubic LR images OUT/LR_bicubic/X<s>/<stem>x<s>.png from HR_DIR.")
    parser.add_argument("hr_dir", type=Path, metavar="HR_DIR", help="folder of HR images")
    parser.add_argument("--scales", default="2,3,4", help="comma-separated integer scales (default 2,3,4)")
    parser.add_argument("--out", type=Path, default=None, help="output root (default: the parent of HR_DIR)")
    parser.add_argument("--write-hr", action="store_true", help="also write the mod-cropped HR to OUT/HR_mod<s>/")
    parser.add_argument("--overwrite", action="store_true", help="redo existing output files")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    args = parser.parse_args(argv)
    try:
        counts = prepare_lr(args.hr_dir, parse_scales(args.scales), args.out, write_hr=args.write_hr,
                            overwrite=args.overwrite, quiet=args.quiet)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: {os_error_message(exc, 'choose a folder you can write with --out')}", file=sys.stderr)
        return 2
    out = args.out or args.hr_dir.resolve().parent
    print(f"{counts['images']} images: {counts['written']} files written, {counts['skipped']} already there "
          f"-> {out / 'LR_bicubic'}")
    return 0
