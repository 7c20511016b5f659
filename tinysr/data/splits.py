"""Which images feed which step: weight steps, architecture steps, retraining, model selection.

**Search** (``search_photos``). Built-in photos: their ``train`` and ``arch`` parts (disjoint scenes). A
folder: its images sorted by file name, split by ``data.arch_split``:

- ``"tail"`` (the released rule; ``paper``): EDSR's ``--data_range 1-3000/3000-3450`` on DF2K's 3450
  sorted images, i.e. weights on images 1..3000 and architecture steps on images 3000..3450 -- the
  two 1-based inclusive ranges share image 3000. For a folder of N images tinysr keeps the same shape:
  weights on the first ``N - round(N * arch_fraction)`` names, architecture on the rest plus the last
  weight image (``arch_fraction = 450/3450``, about 13%, in ``paper``).
- ``"random"``: a seeded shuffle (:func:`tinysr.data.split_photos`), the two parts disjoint.

**Retraining** (``train_photos``): every image (the released ``--data_range 1-3450``; built-in: the
``train`` and ``arch`` parts). The model kept as ``model.pt`` is picked by validation PSNR-Y on
``train.val``: ``"set5"`` -- Set5 when the benchmarks are found (the released practice, which selects on a
test set: Set5 numbers of such a model are optimistic), else the built-in eval photos; ``"builtin"`` --
the built-in eval photos; or a folder of HR images (``--val DIR``), whose LR is made with the exact
MATLAB bicubic.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import Config
from ..config.rules import ESA_MIN
from ..resize import imresize
from .datasets import load_benchmark, load_folder
from .images import modcrop
from .paths import find_benchmarks, find_div2k
from .photos import builtin_photos, split_photos

__all__ = ["lr_hr_pairs", "split_names", "resolve_source", "search_photos", "train_photos", "validation_pairs",
           "with_scales"]

Pairs = dict[str, tuple[np.ndarray, np.ndarray]]   # name -> (lr, hr) uint8


def split_names(names: list[str], arch_fraction: float, rule: str = "tail",
                seed: int = 0) -> tuple[list[str], list[str]]:
    """``(weight_names, arch_names)`` of ``names`` by ``rule`` (module docstring)."""
    order = sorted(names)
    if rule == "random":
        return split_photos(order, arch_fraction, seed)
    if rule != "tail":
        raise ValueError(f"data.arch_split={rule!r}: allowed values are 'tail', 'random'")
    n = len(order)
    if n < 2:
        raise ValueError(f"a search needs at least 2 images (weights and architecture steps), found {n}")
    n_w = min(max(n - round(n * arch_fraction), 1), n - 1)
    return order[:n_w], order[n_w - 1:]


def resolve_source(cfg: Config) -> str:
    """``data.source`` as a concrete choice: ``"auto"`` becomes DIV2K's HR folder when the data root has it
    (:func:`tinysr.data.paths.find_div2k`), else ``"builtin"``."""
    if cfg.data.source != "auto":
        return cfg.data.source
    found = find_div2k()
    return str(found) if found is not None else "builtin"


def search_photos(cfg: Config) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """HR photos for weight steps and for architecture steps: name -> uint8 (H, W, 3)."""
    source = resolve_source(cfg)
    if source == "builtin":
        return builtin_photos("train"), builtin_photos("arch")
    images = load_folder(source, max_images=cfg.data.max_images)
    w, a = split_names(sorted(images), cfg.data.arch_fraction, cfg.data.arch_split, cfg.seed)
    return {n: images[n] for n in w}, {n: images[n] for n in a}


def lr_hr_pairs(images: dict[str, np.ndarray], scale: int) -> Pairs:
    """name -> (MATLAB-bicubic LR, mod-cropped HR), uint8, sorted by name."""
    out = {}
    for name, img in sorted(images.items()):
        hr = modcrop(img, scale)
        out[name] = (imresize(hr, 1 / scale), hr)
    return out


def validation_pairs(cfg: Config) -> tuple[str, Pairs]:
    """``(source, {name: (lr, hr)})`` for model selection by ``cfg.train.val`` (module docstring);
    ``source`` says what was used ("Set5 (<root>)", "builtin-eval", or the folder)."""
    scale, val = cfg.data.scale, cfg.train.val
    if val == "set5" and (root := find_benchmarks("Set5")) is not None:
        items = load_benchmark(root, "Set5", scale)
        pairs = {it.stem: (it.lr, it.hr) for it in items}
        source = f"Set5 ({root})"
    elif val in ("set5", "builtin"):
        pairs, source = lr_hr_pairs(builtin_photos("eval"), scale), "builtin-eval"
    else:
        pairs, source = lr_hr_pairs(_validation_folder(val, scale), scale), str(val)
    names = sorted(pairs)[: cfg.train.val_images or None]
    return source, {n: pairs[n] for n in names}


def _validation_folder(val: str, scale: int) -> dict[str, np.ndarray]:
    """The HR images of a ``--val`` folder, checked before any training step: a folder, with images, each big
    enough for the network at ``scale`` (an LR side of at least ``ESA_MIN`` pixels)."""
    need = ESA_MIN * scale
    fix = f"give --val a folder of HR images at least {need}x{need} pixels, or 'set5' / 'builtin'"
    if not Path(val).is_dir():
        raise FileNotFoundError(f"train.val={val!r}: no such folder; {fix}")
    try:
        photos = load_folder(val)
    except ValueError as exc:                       # empty, or no image files
        raise ValueError(f"train.val={val!r}: {str(exc).split('; ')[0]}; {fix}") from None
    small = sorted(n for n, img in photos.items() if min(img.shape[:2]) < need)
    if small:
        sizes = ", ".join(f"{n} ({photos[n].shape[1]}x{photos[n].shape[0]})" for n in small[:3])
        raise ValueError(f"train.val={val!r}: {len(small)} image(s) too small to validate a x{scale} network: "
                         f"{sizes}{', ...' if len(small) > 3 else ''}; {fix}")
    return photos


def train_photos(cfg: Config) -> dict[str, np.ndarray]:
    """Every training image: the built-in ``train`` + ``arch`` parts, or the whole folder; each also at the
    sizes ``train.hr_scales`` (:func:`with_scales`)."""
    source = resolve_source(cfg)
    photos = (builtin_photos("train+arch") if source == "builtin"
              else load_folder(source, max_images=cfg.data.max_images))
    return with_scales(photos, cfg.train.hr_scales, min_side=cfg.train.hr_patch)


def with_scales(photos: dict[str, np.ndarray], scales: tuple[float, ...], min_side: int = 0) -> dict[str, np.ndarray]:
    """``photos`` plus a bicubic downscale (the exact MATLAB ``imresize``, antialiased) of each at every factor
    ``f < 1`` in ``scales``, named ``"name@f"``; copies whose shorter side is below ``min_side`` (an HR patch)
    are left out. Smaller copies put more edges and textures in each patch: multi-scale training data, the
    usual way to get more out of few photos. ``scales=(1.0,)``: the photos alone."""
    out, factors = (dict(photos) if 1.0 in scales else {}), sorted(set(scales) - {1.0}, reverse=True)
    for name, img in photos.items():
        for f in factors:
            small = imresize(img, f)
            if min(small.shape[:2]) >= min_side:
                out[f"{name}@{f:g}"] = small
    return out
