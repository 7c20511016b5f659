"""The built-in photos: real photographs that ship inside scikit-image, scikit-learn and matplotlib, so a
search or a retraining runs offline with no download, and the seeded split of photo names.

Photos are uint8 RGB ``(H, W, 3)`` (grayscale ones are replicated to 3 channels), every side >= 256 px.
:data:`EVAL_PHOTOS` are held out for validation and evaluation; the rest are split by :func:`split_photos`
into the weight-step (``train``) and architecture-step (``arch``) parts of the bilevel search.
The scikit-image / scikit-learn loaders are imported only when a photo is first read (they are slow to import).
"""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
from PIL import Image

from .images import to_rgb

__all__ = ["BUILTIN_PHOTOS", "EVAL_PHOTOS", "TRAIN_PHOTOS", "ARCH_PHOTOS", "split_photos", "builtin_photos"]


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
    from matplotlib import cbook  # a photo loader too: importing matplotlib costs time data users need not pay
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
    # grayscale photographs, used as RGB (the 3 channels replicated): more textures for short CPU runs
    "camera": _skimage("camera"), "moon": _skimage("moon"), "brick": _skimage("brick"), "grass": _skimage("grass"),
    "gravel": _skimage("gravel"), "coins": _skimage("coins"), "clock": _skimage("clock"),
}
BUILTIN_PHOTOS = tuple(_BUILTIN_LOADERS)
# Held out for validation/evaluation: three everyday photos of moderate size (fast to validate on).
EVAL_PHOTOS = ("chelsea", "coffee", "grace_hopper")
# The search's two parts, split by SCENE (the two views of the motorcycle stereo pair are one scene, so they
# sit together): weight steps and architecture steps never see the same content.
TRAIN_PHOTOS = ("astronaut", "brick", "camera", "grass", "gravel", "hubble_deep_field", "immunohistochemistry",
                "moon", "motorcycle_left", "motorcycle_right", "retina")
ARCH_PHOTOS = ("china", "clock", "coins", "flower", "rocket")


@cache
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


def builtin_photos(split: str | None = None) -> dict[str, np.ndarray]:
    """Real photographs bundled with scikit-image, scikit-learn and matplotlib: name -> uint8 (H, W, 3).

    Works offline. ``split``: ``None``/``"all"`` every photo; ``"eval"`` the held-out :data:`EVAL_PHOTOS`;
    ``"train"`` / ``"arch"`` the weight-step and architecture-step parts of the search
    (:data:`TRAIN_PHOTOS`, :data:`ARCH_PHOTOS`: split by scene, so no scene is in two parts); parts can be
    joined with ``+`` (``"train+arch"``: all training photos, for retraining). Returns fresh copies, sorted
    by name.
    """
    parts = {"all": list(BUILTIN_PHOTOS), "eval": list(EVAL_PHOTOS), "train": list(TRAIN_PHOTOS),
             "arch": list(ARCH_PHOTOS)}
    wanted: list[str] = []
    for part in (split or "all").split("+"):
        if part not in parts:
            raise ValueError(f"unknown split {part!r}; use one of {sorted(parts)} or a '+'-joined list "
                             "such as 'train+arch'")
        wanted += [n for n in parts[part] if n not in wanted]
    return {name: _builtin(name).copy() for name in sorted(wanted)}
