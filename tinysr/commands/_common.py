"""Arguments shared by the commands, each declared once: the flags several commands take (``--json``, ``--device``,
``--tile``, as argparse parents), the config arguments (preset, seed, scale, data folder, ``--set``) and the
run-folder arguments (``--out``, ``--resume``, ``--overwrite``)."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..config import PRESETS, Config, override, preset
from ..config.rules import SCALES

__all__ = ["shared", "add_config_args", "add_run_args", "config_from_args", "print_json"]

_FLAGS = {
    "json": dict(action="store_true", help="print the result as one JSON object on stdout"),
    "device": dict(default=None, help="cuda, mps or cpu (default: the first available)"),
    "tile": dict(type=int, default=0, help="LR tile side for inference (0 = the whole image, tiled automatically "
                                           "when it would not fit in memory)"),
}


def shared(*names: str) -> list[argparse.ArgumentParser]:
    """``sub.add_parser(..., parents=shared("json", "device"))``: the named flags, declared once for every command."""
    parent = argparse.ArgumentParser(add_help=False)
    for name in names:
        parent.add_argument(f"--{name}", **_FLAGS[name])
    return [parent]


def add_config_args(p: argparse.ArgumentParser) -> None:
    """``--preset``, ``--scale``, ``--data``, ``--seed``, ``--set`` and ``--device``."""
    p.add_argument("--preset", default=None, metavar="NAME|FILE.json",
                   help=f"settings preset, one of {', '.join(PRESETS)}, or a saved config.json "
                        "(default: $TINYSR_PRESET, else gpu with a GPU, laptop without)")
    p.add_argument("--scale", type=int, choices=SCALES, default=None, help="upscaling factor")
    p.add_argument("--data", default=None, metavar="DIR",
                   help="folder of HR training images (e.g. DIV2K_train_HR); default: the built-in photos")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override any config field, e.g. --set search.w_lr=1e-3 or --set train.epochs=3")
    p.add_argument("--device", **_FLAGS["device"])


def config_from_args(args: argparse.Namespace) -> Config:
    """The preset named by ``--preset`` with ``--scale``, ``--data``, ``--seed`` and ``--set`` applied together
    (rules between fields see the final values) and checked before any data is read."""
    extra = {"data.scale": args.scale, "data.source": args.data, "seed": args.seed}
    given = [f"{key}={value}" for key, value in extra.items() if value is not None]
    base = preset(args.preset)
    if args.scale is not None:           # --scale 3 on a preset made for x2: patches to the nearest multiple
        for stage in ("search", "train"):
            patch = getattr(base, stage).hr_patch
            if patch % args.scale and not any(o.startswith(f"{stage}.hr_patch=") for o in args.overrides):
                near = max(round(patch / args.scale), 15) * args.scale
                given.append(f"{stage}.hr_patch={near}")
                print(f"note: {stage}.hr_patch={patch} is not a multiple of --scale {args.scale}; using {near}",
                      file=sys.stderr)
    return override(base, given + list(args.overrides))


def print_json(obj: Any) -> None:
    """Results go to stdout as one JSON object."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def add_run_args(p: argparse.ArgumentParser, default_out: str) -> None:
    """``--out``, ``--resume``, ``--overwrite``, ``--json`` of the commands that make a run folder."""
    p.add_argument("--out", default=default_out, help=f"run folder (default: {default_out})")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue the run in OUT from its checkpoint")
    mode.add_argument("--overwrite", action="store_true",
                      help="replace the run in OUT (deletes tinysr's files there; nothing else)")
    p.add_argument("--json", **_FLAGS["json"])
