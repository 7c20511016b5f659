"""Published x2 results as data, with their sources, so any tinysr result can be shown beside them.

Each row: ``name``, ``params`` (count), ``multi_adds`` (G, for a 1280x720 output), ``sets`` mapping a
benchmark to ``(PSNR-Y dB, SSIM-Y)`` and ``source``. Numbers are copied from the DLSR paper
(arXiv 2105.03939) and the sources named in each row.
"""
from __future__ import annotations

from typing import Any

__all__ = ["PUBLISHED_X2", "PUBLISHED_BICUBIC", "published_points"]

_FALSR = "FALSR authors' README table (x2, Multi-Adds for a 720p output), via docs/paper.md"
_SETS = ("Set5", "Set14", "B100", "Urban100")


def _row(name: str, params: float, gmacs: float, scores: tuple, source: str = _FALSR) -> dict[str, Any]:
    return {"name": name, "params": int(params), "multi_adds": gmacs,
            "sets": {s: v for s, v in zip(_SETS, scores) if v is not None}, "source": source}


PUBLISHED_X2: list[dict[str, Any]] = [
    _row("SRCNN", 57e3, 52.7, ((36.66, .9542), (32.42, .9063), (31.36, .8879), (29.50, .8946))),
    _row("FSRCNN", 12e3, 6.0, ((37.00, .9558), (32.63, .9088), (31.53, .8920), (29.88, .9020))),
    _row("VDSR", 665e3, 612.6, ((37.53, .9587), (33.03, .9124), (31.90, .8960), (30.76, .9140))),
    _row("LapSRN", 813e3, 29.9, ((37.52, .9590), (33.08, .9130), (31.80, .8950), (30.41, .9100))),
    _row("CARN-M", 412e3, 91.2, ((37.53, .9583), (33.26, .9141), (31.92, .8960), (31.23, .9194))),
    _row("CARN", 1592e3, 222.8, ((37.76, .9590), (33.52, .9166), (32.09, .8978), (31.92, .9256))),
    _row("MoreMNAS-A", 1039e3, 238.6, ((37.63, .9584), (33.23, .9138), (31.95, .8961), (31.24, .9187))),
    _row("FALSR-A", 1021e3, 234.7, ((37.82, .9595), (33.55, .9168), (32.12, .8987), (31.93, .9256))),
    _row("FALSR-B", 326e3, 74.7, ((37.61, .9585), (33.29, .9143), (31.97, .8967), (31.28, .9191))),
    _row("FALSR-C", 408e3, 93.7, ((37.66, .9586), (33.26, .9140), (31.96, .8965), (31.24, .9187))),
    _row("DLSR", 322620, 67.31, ((38.04, .9606), (33.54, .9179), (32.24, .9003), (32.26, .9299)),
         "the authors' released x2 checkpoint measured with their model code on the genuine LR files (docs/paper.md)"),
    _row("DLSR-tiny", 56268, 12.07, ((37.72, .9595), (33.17, .9146), None, None),
         "the authors' released tiny x2 checkpoint, measured (docs/paper.md)"),
]

# PSNR-Y (dB, shave = scale) of MATLAB bicubic upsampling, as published (docs/paper.md).
PUBLISHED_BICUBIC: dict[str, dict[int, float]] = {
    "Set5": {2: 33.66, 3: 30.39, 4: 28.42},
    "Set14": {2: 30.24, 3: 27.55, 4: 26.00},
    "B100": {2: 29.56, 3: 27.21, 4: 25.96},
}


def published_points(dataset: str = "Set5") -> list[dict[str, Any]]:
    """Rows with a result on ``dataset`` as Pareto points ``{"name", "params", "multi_adds", "psnr"}``."""
    return [{"name": r["name"], "params": r["params"], "multi_adds": r["multi_adds"], "psnr": r["sets"][dataset][0]}
            for r in PUBLISHED_X2 if dataset in r["sets"]]
