"""The released DLSR code's settings as data, each with where it is set (file:line of the authors' repository).

Repository :data:`REPOSITORY` at commit :data:`COMMIT` (read, not copied). :data:`SETTINGS` maps a tinysr
config field (dotted, as in :func:`tinysr.config.field_names`) to the released value in tinysr's terms;
:data:`TINYSR_ONLY` lists the fields that have no released counterpart, and why; :data:`FACTS` holds released
settings that are not tinysr config fields (the seed, the tiny model's learning rate, the data sets). A test
checks that ``preset("paper")`` equals :data:`SETTINGS` field by field and that every field is in exactly one
of the two tables; ``tinysr presets`` prints the presets against this table.

Where a value is an absence (no clipping, no EMA), the source says where one would be and that it is not
there ("not found"). Steps per epoch are derived as EDSR's loader does (:func:`edsr_batches_per_epoch`).
The retraining script ``scripts/train_beta_rfdn.sh`` runs ``train_beta_rfdn.py``, which is not in the
repository (not found); its settings are the script's flags plus the defaults of ``train/train_beta_para.py``,
the retraining script the README names (``train/train_beta_21.py`` has the same optimiser and schedule).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["REPOSITORY", "COMMIT", "Setting", "edsr_batches_per_epoch", "SETTINGS", "TINYSR_ONLY", "FACTS",
           "departures"]

REPOSITORY = "https://github.com/DawnHH/DLSR-PyTorch"
COMMIT = "3ea0d846f04895fb260ba419c94d6582bc7d7f0b"


@dataclass(frozen=True)
class Setting:
    """A released value (in tinysr's units), its ``source`` (``path:line`` in :data:`REPOSITORY`) and a note."""

    value: Any
    source: str
    note: str = ""


def edsr_batches_per_epoch(n_images: int, batch_size: int, test_every: int) -> int:
    """Batches in one epoch of EDSR's training loader: the image list is repeated
    ``max(batch_size * test_every // n_images, 1)`` times (data/srdata.py:61-66, :117) and the
    loader keeps the last, partial batch (no ``drop_last``, data/__init__.py:26-32)."""
    repeat = max(batch_size * test_every // n_images, 1)
    return math.ceil(n_images * repeat / batch_size)


_S = "search/RFDN6_para_loss.py"
_NAS = "scripts/RFDN_beta_NAS.sh"
_M = "models/rfdn_block_6_beta_search.py"
_T = "train/train_beta_para.py"
_R = "scripts/train_beta_rfdn.sh"
_L = "losses/l1_loss.py"
_LOSS = f"{_L}:116-122, losses/__init__.py:8-9"
_TAIL = f"{_NAS}:13, data/df2k.py:6-17, data/df2k.py:24"

SETTINGS: dict[str, Setting] = {
    "data.scale": Setting(2, f"{_S}:48, {_T}:48", "--scale default '2'; the scripts pass none"),
    "data.arch_fraction": Setting(450 / 3450, _TAIL, "--data_range 1-3000/3000-3450 on DF2K's 3450 images"),
    "data.arch_split": Setting("tail", _TAIL, "weights on images 1..3000, architecture on 3000..3450 (shares 3000)"),
    "data.max_images": Setting(0, f"{_NAS}:13, {_R}:13", "all images of the data range"),
    "search.channels": Setting(48, f"{_M}:269", "RFDN_beta1(nf=48)"),
    "search.cells": Setting(6, f"{_M}:269, {_M}:274-279", "num_modules=6, blocks B1..B6"),
    "search.per_cell_alpha": Setting(False, f"{_M}:293, {_M}:303", "one alpha (3 x 9) used by all six cells"),
    "search.epochs": Setting(1000, f"{_S}:25", "--epochs default; the script passes none"),
    "search.steps_per_epoch": Setting(
        edsr_batches_per_epoch(3000, 64, 1000), f"{_NAS}:6, {_NAS}:13, {_S}:52, data/srdata.py:61-66",
        "3000 weight images x repeat 21 / batch 64, test_every 1000"),
    "search.warmup_epochs": Setting(21, f"{_S}:162, {_S}:120", "architecture steps when epoch > 20 (0-based)"),
    "search.batch_size": Setting(64, f"{_NAS}:6"),
    "search.arch_batch_size": Setting(0, "data/__init__.py:41-47", "the arch loader uses --batch_size (0 = same)"),
    "search.hr_patch": Setting(64, f"{_NAS}:8", "--patch_size is the HR patch"),
    "search.w_lr": Setting(5e-4, f"{_S}:27"),
    "search.w_betas": Setting((0.9, 0.999), f"{_S}:95"),
    "search.w_weight_decay": Setting(1e-8, f"{_S}:95", "Adam weight_decay=1e-8; the --wd flag is unused"),
    "search.w_milestones": Setting((200, 400, 600), f"{_S}:98", "MultiStepLR"),
    "search.w_gamma": Setting(0.5, f"{_S}:98"),
    "search.alpha_lr": Setting(3e-4, f"{_S}:30, {_S}:100-103"),
    "search.alpha_optim": Setting("adam", f"{_S}:100-103"),
    "search.alpha_betas": Setting((0.5, 0.999), f"{_S}:102"),
    "search.alpha_weight_decay": Setting(1e-8, f"{_S}:31, {_S}:103"),
    "search.arch_steps": Setting(1, f"{_S}:163", "one fresh arch batch per iteration"),
    "search.order": Setting("first", f"{_S}:167-181", "plain gradient of the architecture loss, no virtual step"),
    "search.objective": Setting("train+val", f"{_S}:179", "L(train batch) + L(arch batch) + cost"),
    "search.step_order": Setting("weight_first", f"{_S}:154-161, {_S}:168",
                                 "weight step, then the architecture step on the same train batch"),
    "search.loss": Setting("l1+hfen", f"{_S}:26, {_S}:158, {_LOSS}", "--loss l1 means L1 + 0.2 HFEN"),
    "search.hfen": Setting("released", f"{_L}:68-79", "Gaussian 5x5 (sigma 1.5), Laplacian, max-normalised"),
    "search.grad_clip": Setting(0.0, f"{_S}:160", "the clip_grad_norm_ line is commented out"),
    "search.budget_params": Setting(0, f"{_S}:175-179", "no budget"),
    "search.budget_multi_adds": Setting(0, f"{_S}:175-179", "no budget"),
    "search.lambda_cost": Setting(0.0, f"{_S}:175-179",
                                  "the parameter cost is computed from alpha.data in numpy: no gradient"),
    "search.network_cost": Setting(0.0, f"{_S}:179", "no network-level term in the architecture loss"),
    "search.aux_skip": Setting(0.0, f"not found in {_S} or {_M}", "no auxiliary skip"),
    "search.gumbel": Setting(False, f"{_M}:303", "plain softmax of alpha"),
    "search.tau_start": Setting(1.0, f"{_M}:303", "softmax without a temperature"),
    "search.tau_end": Setting(1.0, f"{_M}:303", "softmax without a temperature"),
    "search.tau_hold": Setting(0.0, f"{_M}:303", "softmax without a temperature"),
    "train.epochs": Setting(1000, f"{_R}:6"),
    "train.steps_per_epoch": Setting(
        edsr_batches_per_epoch(3450, 32, 2000), f"{_R}:7, {_R}:13, {_R}:17, data/srdata.py:61-66",
        "3450 images x repeat 18 / batch 32, test_every 2000"),
    "train.batch_size": Setting(32, f"{_R}:7"),
    "train.hr_patch": Setting(128, f"{_R}:9"),
    "train.w_lr": Setting(3e-4, f"{_R}:16", "DLSR-tiny: 4e-4 (FACTS)"),
    "train.w_betas": Setting((0.9, 0.999), f"{_T}:98"),
    "train.weight_decay": Setting(1e-8, f"{_T}:98", "Adam weight_decay=1e-8; the --wd flag is unused"),
    "train.milestones": Setting((200, 400, 600, 800), f"{_T}:27, {_T}:103-104"),
    "train.gamma": Setting(0.5, f"{_T}:28"),
    "train.grad_clip": Setting(50.0, f"{_T}:36, {_T}:165"),
    "train.loss": Setting("l1+hfen", f"{_T}:25, {_T}:163, {_LOSS}", "--loss l1 means L1 + 0.2 HFEN"),
    "train.hfen": Setting("released", f"{_L}:68-79"),
    "train.ema": Setting(0.0, f"not found in {_T}", "no weight averaging"),
    "train.hr_scales": Setting((1.0,), "not found in data/srdata.py", "each HR image at its own size only"),
    "train.bicubic_skip": Setting(False, "models/rfdn_6_train_beta21.py:200", "output = upsampler(features)"),
    "train.channels": Setting(0, "models/rfdn_6_train_beta21.py:156", "nf=48, the genotype's own width"),
    "train.val": Setting("set5", f"{_R}:12, {_T}:134-142", "model_best.pt kept on the best Set5 PSNR"),
    "train.val_images": Setting(0, f"{_R}:12", "all of Set5"),
}

TINYSR_ONLY: dict[str, str] = {
    "name": "the preset's name",
    "seed": f"the user's (--seed); the released search used 9 ({_NAS}:9, FACTS)",
    "data.source": f"the folder given by --data; released: DF2K ({_NAS}:11, {_R}:11)",
    "search.fast": "fused mixed-op implementation, same math",
    "search.channels_last": "memory layout", "search.compile": "torch.compile",
    "search.hvp": "second order only", "search.hvp_eps": "second order only",
    "search.virtual_step": "second order only", "search.budget_estimate": "only with a budget",
    "search.budget_mode": "only with a budget", "search.derive": "only with a budget",
    "search.gumbel_tau": "only with search.gumbel", "search.gumbel_hard": "only with search.gumbel",
    "search.single_path": "only with search.gumbel_hard (GDAS' forward; the released search blends every op)",
    "search.log_every": "history records",
    "train.channels_last": "memory layout", "train.compile": "torch.compile",
    "eval.sets": "which benchmarks tinysr reports; the released test script ran Set5+Set14+B100+Urban100 "
                 "(scripts/test_beta_para.sh:6)",
    "eval.tile": "tiled inference",
}

FACTS: dict[str, Setting] = {
    "search seed": Setting(9, f"{_NAS}:9"),
    "search data": Setting("DF2K 1-3000 (weights) / 3000-3450 (architecture)", f"{_NAS}:11, {_NAS}:13"),
    "retraining data": Setting("DF2K 1-3450, all images", f"{_R}:11, {_R}:13"),
    "DLSR-tiny retraining learning rate": Setting(4e-4, "scripts/train_beta_rfdn_tiny.sh:16"),
    "test sets": Setting(("Set5", "Set14", "B100", "Urban100"), "scripts/test_beta_para.sh:6"),
    "pixel range": Setting(255, f"{_NAS}:14", "--rgb_range 255, as in tinysr"),
}


def departures(cfg: Any) -> dict[str, tuple[Any, Any]]:
    """``{dotted: (cfg's value, released value)}`` for every released setting that ``cfg`` changes."""
    out = {}
    for dotted, setting in SETTINGS.items():
        value = cfg
        for part in dotted.split("."):
            value = getattr(value, part)
        if value != setting.value:
            out[dotted] = (value, setting.value)
    return out
