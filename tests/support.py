"""Small objects the search and architect tests share (a module, not conftest: ``tests/browser`` has its own
``conftest``, and ``from conftest import`` would find whichever pytest loaded last)."""
from __future__ import annotations


def micro_search(**extra):
    """A search small enough for unit tests: the smoke preset at 8 channels, 3 cells, LR patches of 16 px, two
    epochs of two steps, no warm-up, a record every step; ``extra`` overrides (dotted names)."""
    from tinysr.config import override, preset

    base = {"search.fast": False, "search.channels": 8, "search.cells": 3, "search.hr_patch": 32,
            "search.batch_size": 1, "search.epochs": 2, "search.steps_per_epoch": 2, "search.warmup_epochs": 0,
            "search.log_every": 1}
    return override(preset("smoke"), {**base, **extra})


def tiny_supernet(dtype=None, seed: int = 0):
    """A seeded 4-channel, 3-cell x2 supernet (float64 unless ``dtype``)."""
    import torch

    from tinysr.space import SuperNet

    torch.manual_seed(seed)
    return SuperNet(C=4, cells=3, scale=2).to(dtype or torch.float64)


def tiny_batch(seed: int, dtype=None, n: int = 1, size: int = 16):
    """A seeded (lr, hr) pair of random images in [0, 255]: (n, 3, size, size) and (n, 3, 2 size, 2 size)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    dtype = dtype or torch.float64
    return (torch.rand(n, 3, size, size, generator=g, dtype=dtype) * 255,
            torch.rand(n, 3, 2 * size, 2 * size, generator=g, dtype=dtype) * 255)
