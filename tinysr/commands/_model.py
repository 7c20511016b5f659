"""The model arguments of ``tinysr upscale`` and ``tinysr export``: ``--model FILE | --pretrained NAME``."""
from __future__ import annotations

import argparse
from typing import Any

from ..data.paths import OFFICIAL_FILES

__all__ = ["add_model_args", "load_model_arg"]

_NAMES = ", ".join(OFFICIAL_FILES)       # the released models, by the names tinysr gives them


def add_model_args(p: argparse.ArgumentParser) -> None:
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", metavar="FILE", help="a model.pt written by `tinysr train`")
    what.add_argument("--pretrained", metavar="NAME",
                      help=f"a released x2 model by name ({_NAMES}): found on this machine by the data rule, "
                           "else downloaded once into $TINYSR_CACHE (default ~/.cache/tinysr)")


def load_model_arg(args: argparse.Namespace, scale: int | None = None) -> tuple[Any, int, str]:
    """``(model in eval mode, its scale, a name for messages)``; ``scale`` (``--scale``), if given, must be the
    model's: a clear error otherwise (the released weights are x2 only)."""
    if args.pretrained:
        from ..deploy.pretrained import PRETRAINED_SCALE, pretrained

        if scale is not None and scale != PRETRAINED_SCALE:
            raise ValueError(f"--pretrained {args.pretrained} is a x{PRETRAINED_SCALE} model and the authors released "
                             f"x{PRETRAINED_SCALE} weights only, so there is no x{scale} model by name; make one by "
                             f"fine-tuning: `tinysr train --scale {scale} --init X2_MODEL.pt`, then pass "
                             "--model runs/train/model.pt")
        return pretrained(args.pretrained), PRETRAINED_SCALE, f"pretrained {args.pretrained}"
    from ..model import load_model

    model, model_scale = load_model(args.model)
    if scale is not None and scale != model_scale:
        raise ValueError(f"{args.model} is a x{model_scale} model; --scale {scale} asks for x{scale}: pass a x{scale} "
                         f"model (fine-tune one with `tinysr train --scale {scale} --init {args.model}`) "
                         "or drop --scale")
    return model, int(model_scale), str(args.model)
