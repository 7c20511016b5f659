"""``tinysr upscale``: super-resolve your own images with a trained or a released model.

    tinysr upscale INPUT... (--model model.pt | --pretrained NAME) [--scale S] [--out DIR|FILE.png]
                   [--tile N] [--device D] [--overwrite] [--json]

INPUT: image files, folders (their PNG, JPEG, WebP and BMP files) and glob patterns (``'photos/*.jpg'``).
Every output is a PNG: ``--out DIR`` writes ``DIR/<name>.png``; ``--out FILE.png`` names the output of a
single input; without ``--out`` each result goes beside its input as ``<name>_x<S>.png``. ``<name>`` is the
input's stem, less a trailing ``x<S>`` (the benchmark LR naming: ``babyx2.png`` -> ``baby.png``). The EXIF
orientation is applied; grayscale stays grayscale; an alpha channel is enlarged with MATLAB-exact bicubic
beside the super-resolved colour. The colour pixels are those of :func:`tinysr.deploy.inference.super_resolve`.

No input is ever overwritten, nor an existing output unless ``--overwrite``; every output is checked
before the first image runs. Images too big for memory run in tiles (``--tile N`` forces N x N LR
tiles): DLSR's ESA pools over the whole map, so tiles change a few values by a few levels (PSNR moves
by ~0.03 dB on Set5). The released models are x2 only; x3/x4 models come from ``tinysr train --init``.
Progress goes to stderr; stdout gets one output path per line (``--json``: one object).
"""
from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

import numpy as np

from ..utils import atomic_path
from ._common import print_json, shared
from ._model import add_model_args, load_model_arg

__all__ = ["add_parser", "run", "expand_inputs", "read_photo", "write_png", "output_name", "INPUT_SUFFIXES"]

INPUT_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("upscale", help="super-resolve your own images (PNG out)", description=__doc__.split("\n\n")[0],
                       parents=shared("json", "device", "tile"))
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    add_model_args(p)
    p.add_argument("--scale", type=int, default=None, help="the upscaling factor (checked against the model's)")
    p.add_argument("--out", metavar="DIR|FILE.png", default=None,
                   help="output folder, or a .png file for a single input "
                        "(default: beside each input, <stem>_x<S>.png)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs (never an input)")
    p.set_defaults(func=run)


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given, folders' images (:data:`INPUT_SUFFIXES`, sorted), glob matches that are images;
    duplicates dropped. Missing paths, empty folders and globs matching no image are errors."""
    found: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            hits = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES)
            if not hits:
                raise ValueError(f"folder {path} holds no image ({', '.join(INPUT_SUFFIXES)})")
        elif path.is_file():
            hits = [path]
        elif glob.has_magic(item):
            hits = sorted(Path(p) for p in glob.glob(item, recursive=True)
                          if Path(p).is_file() and Path(p).suffix.lower() in INPUT_SUFFIXES)
            if not hits:
                raise ValueError(f"no image matches {item!r} (images: {', '.join(INPUT_SUFFIXES)}); check the pattern")
        else:
            raise FileNotFoundError(f"input {item} does not exist; give image files, folders or glob patterns")
        found += [p for p in hits if all(p.resolve() != q.resolve() for q in found)]
    return found


def _unreadable(path: Path, exc: BaseException) -> ValueError:
    from PIL import Image

    if isinstance(exc, Image.DecompressionBombError):
        return ValueError(f"{path} claims more pixels than tinysr reads ({exc}); a header that large is damaged or "
                          "hostile, and a genuine image that large needs splitting into parts before upscaling")
    return ValueError(f"cannot read image {path}: {type(exc).__name__}: {exc}. Is it a PNG, JPEG, WebP or BMP "
                      "file? Re-export it, or leave it out")


def read_photo(path: Path) -> np.ndarray:
    """A photo as uint8 ``(h, w)`` gray, ``(h, w, 2)`` gray + alpha, ``(h, w, 3)`` RGB or ``(h, w, 4)`` RGBA,
    turned upright by its EXIF orientation. 16-bit gray keeps its top 8 bits."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise _unreadable(path, exc) from None
    mode = im.mode
    if mode.startswith("I"):
        v = np.asarray(im).astype(np.int64)
        if v.size and (v.min() < 0 or v.max() > 65535):
            raise ValueError(f"image {path} has {mode} pixels beyond 16 bits; convert it to an 8-bit PNG")
        return (v >> 8).astype(np.uint8)
    if mode == "F":
        raise ValueError(f"image {path} has float pixels (mode F) of unknown range; convert it to an 8-bit PNG")
    has_alpha = mode in ("RGBA", "RGBa", "LA", "La", "PA") or (mode == "P" and "transparency" in im.info)
    gray = mode in ("1", "L", "LA", "La")
    target = ("LA" if has_alpha else "L") if gray else ("RGBA" if has_alpha else "RGB")
    return np.array(im if mode == target else im.convert(target), dtype=np.uint8)


def write_png(img: np.ndarray, path: Path) -> None:
    """Write uint8 ``(h, w)``, ``(h, w, 2)``, ``(h, w, 3)`` or ``(h, w, 4)`` as PNG via a temp file + rename."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(img).save(tmp, format="PNG")       # mode from the shape: L, LA, RGB, RGBA


def _check_readable(paths: list[Path]) -> None:
    """Open every input's header before any work, so a non-image fails the run before the first output."""
    from PIL import Image, UnidentifiedImageError

    for path in paths:
        try:
            with Image.open(path):
                pass
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
            raise _unreadable(path, exc) from None


def output_name(path: Path, scale: int) -> str:
    """The input's stem without a trailing ``x<scale>`` (``babyx2`` -> ``baby`` at x2; ``photo`` stays)."""
    tag = f"x{scale}"
    return path.stem[: -len(tag)] if path.stem.endswith(tag) and len(path.stem) > len(tag) else path.stem


def _plan(inputs: list[Path], out: str | None, scale: int, overwrite: bool) -> list[tuple[Path, Path]]:
    """``(input, output)`` pairs, all checked before any work: PNG only, no input overwritten, no two
    inputs onto one output, existing outputs only with ``--overwrite``."""
    if out is not None and Path(out).suffix and not Path(out).is_dir():
        if Path(out).suffix.lower() != ".png":
            raise ValueError(f"--out {out}: outputs are PNG; name a .png file or a folder")
        if len(inputs) != 1:
            raise ValueError(f"--out {out} names one file but there are {len(inputs)} inputs; pass a folder")
        pairs = [(inputs[0], Path(out))]
    elif out is not None:
        pairs = [(p, Path(out) / f"{output_name(p, scale)}.png") for p in inputs]
    else:
        pairs = [(p, p.with_name(f"{output_name(p, scale)}_x{scale}.png")) for p in inputs]
    sources = {p.resolve(): p for p in inputs}
    seen: dict[Path, Path] = {}
    for src, dst in pairs:
        key = dst.resolve()
        if key in sources:
            raise ValueError(f"the output of {src} would be {dst}, which is an input; tinysr never overwrites "
                             "an input: choose another --out")
        if key in seen:
            raise ValueError(f"{seen[key]} and {src} would both be written to {dst} (same stem); upscale them "
                             "into different folders")
        if dst.exists() and not overwrite:
            raise FileExistsError(f"{dst} already exists; pass --overwrite to replace it, or choose another --out")
        seen[key] = src
    return pairs


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from ..deploy.inference import upscale_image
    from ..runtime.devices import get_device

    if args.tile < 0:
        raise ValueError(f"--tile must be >= 0 (0 = whole image), got {args.tile}")
    inputs = expand_inputs(args.inputs)
    _check_readable(inputs)
    model, scale, source = load_model_arg(args, args.scale)
    pairs = _plan(inputs, args.out, scale, args.overwrite)
    device = get_device(args.device)
    done = []
    for src, dst in tqdm(pairs, desc=f"upscale x{scale}", unit="image", file=sys.stderr,
                         disable=len(pairs) < 2 and not sys.stderr.isatty()):
        img = read_photo(src)
        try:
            sr = upscale_image(model, img, scale, tile=args.tile, device=device)
        except ValueError as exc:                   # e.g. an image below the network's smallest input
            raise ValueError(f"{src}: {exc}") from None
        write_png(sr, dst)
        done.append({"input": str(src), "output": str(dst), "size": [int(sr.shape[1]), int(sr.shape[0])]})
        if not args.json:
            print(dst, flush=True)
    if args.json:
        print_json({"model": source, "scale": scale, "outputs": done})
    return 0
