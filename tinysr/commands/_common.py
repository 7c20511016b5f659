"""Arguments shared by the stage commands: preset, seed, scale, data folder, ``--set`` overrides."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import PRESETS, Config, override, preset


def add_config_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", choices=PRESETS, default=None,
                   help="settings preset (default: $TINYSR_PRESET, else paper with a GPU, laptop without)")
    p.add_argument("--scale", type=int, choices=(2, 3, 4), default=None, help="upscaling factor")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of HR training images (e.g. DIV2K_train_HR); default: the built-in photos")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config field, e.g. --set search.w_lr=1e-3 or --set epochs=3")
    p.add_argument("--device", default=None, help="cuda, mps or cpu (default: the first available)")


def config_from_args(args: argparse.Namespace) -> Config:
    """The preset named by ``--preset`` with ``--scale``, ``--data``, ``--seed`` and ``--set`` applied."""
    cfg = preset(args.preset)
    extra: dict[str, Any] = {}
    if args.scale is not None:
        extra["data.scale"] = args.scale
    if args.data is not None:
        extra["data.source"] = args.data
    if args.seed is not None:
        extra["seed"] = args.seed
    cfg = override(cfg, extra)
    return override(cfg, list(args.overrides))


def print_json(obj: Any) -> None:
    """Results go to stdout as one JSON object."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
