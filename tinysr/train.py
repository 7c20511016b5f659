"""Retraining a discrete network from scratch (or fine-tuning x3/x4 from x2), as the released code does.

Recipe (``paper``): Adam(3e-4, betas 0.9/0.999, weight decay 1e-8), MultiStepLR x0.5 at epochs
200/400/600/800, gradient-norm clip 50, random HR patches 128 with flips + transpose, batch 32, loss
``train.loss`` (L1 + 0.2 HFEN, as the released DLSR-para and DLSR-tiny scripts; the headline model's script
does not run as released, so its loss is unknown). Every image of the training folder is used; after
every epoch the model is scored by PSNR-Y on ``train.val`` (Set5 in ``paper``, the released practice --
see :mod:`tinysr.data.splits`) and the best is kept as ``model.pt`` (``last.pt``: the latest). The complete
state goes to ``checkpoint.pt`` atomically, so ``resume=True`` continues bit-identically.
``model.pt`` loads with :func:`tinysr.model.load_model` (``weights_only=True``).

Multi-GPU: under ``torchrun --nproc_per_node N -m tinysr train ...`` each rank trains a
DistributedDataParallel replica on its own shard of the photos with its own patch stream; rank 0 alone
validates, logs and writes files.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import Config
from .config.released import FACTS, SETTINGS
from .data.datasets import PatchSampler
from .data.splits import train_photos, validation_pairs
from .deploy.inference import super_resolve
from .genotype import Genotype, get_genotype
from .losses import get_loss
from .metrics import calculate_psnr
from .model import DLSRNet, load_model, save_model
from .runstate import Meter, RunFolder
from .runtime.devices import get_device, module_device, module_dtype, to_device
from .runtime.distributed import barrier
from .runtime.distributed import init as init_distributed
from .runtime.eta import Progress
from .runtime.stop import StopFlag, stop_signals
from .space.speed import apply_switches
from .utils import seed_everything

__all__ = ["Trainer", "TrainResult", "run_train", "build_model", "validation_psnr", "ema_update", "released_recipe"]


@dataclass
class TrainResult:
    """The trained ``model`` (best validation weights), its ``history`` and the best validation PSNR."""

    model: DLSRNet
    history: list[dict[str, Any]] = field(default_factory=list)
    best_psnr: float = float("-inf")
    out: Path | None = None


def validation_psnr(model: torch.nn.Module, pairs: Iterable[tuple[np.ndarray, np.ndarray]], scale: int,
                    device: torch.device) -> float:
    """Mean PSNR-Y (border = scale) of ``model`` over ``(lr, hr)`` uint8 pairs."""
    scores = [calculate_psnr(super_resolve(model, lr, scale, device=device), hr, crop_border=scale)
              for lr, hr in pairs]
    return float(np.mean(scores))


def build_model(genotype: Genotype | str | Path | None, cfg: Config, init: str | Path | None = None) -> DLSRNet:
    """The network to train: ``genotype`` at ``cfg.train.channels`` (0: its own width) and ``cfg.data.scale``;
    with ``init``, start from a tinysr ``model.pt`` (an x2 model becomes x3/x4 by keeping its body and
    getting a new head, the released fine-tuning recipe). With ``init``, a ``genotype`` or
    ``train.channels`` that contradicts the model is an error, not silently ignored."""
    if init is None:
        if genotype is None:
            raise ValueError("give a genotype to train (--genotype FILE|NAME) or a model to start from (--init)")
        g = get_genotype(genotype)
        if cfg.train.channels:
            g = replace(g, channels=cfg.train.channels)
        return DLSRNet(g, cfg.data.scale, bicubic_skip=cfg.train.bicubic_skip)
    base, base_scale = load_model(init)
    have = base.genotype
    if genotype is not None and replace(get_genotype(genotype), channels=have.channels, scale=have.scale) != have:
        raise ValueError(f"--init {init} is genotype {have.to_json()}, but --genotype asks for "
                         f"{get_genotype(genotype).to_json()}: drop --genotype (the init model's is used)")
    if cfg.train.channels and cfg.train.channels != have.channels:
        raise ValueError(f"--init {init} has {have.channels} channels, but train.channels={cfg.train.channels}: "
                         "a model cannot change width; drop the setting (or set train.channels=0)")
    return base if base_scale == cfg.data.scale else DLSRNet.from_x2(base, cfg.data.scale)


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * model``, parameter by parameter (buffers copied)."""
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach(), 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


class Trainer:
    """The model (``.model``; ``.net`` is its DDP wrapper under torchrun), optimiser, schedule, loss, EMA.
    ``step(batch)`` is one training iteration on an ``(lr, hr)`` pair; returns the detached loss."""

    def __init__(self, model: DLSRNet, cfg: Config, ddp: bool = False) -> None:
        t = self.settings = cfg.train
        self.model = model
        if not ddp:                            # speed switches (exact); NCHW under torchrun
            apply_switches(model, t.channels_last, t.compile, next(model.parameters()).device)
        self.net = torch.nn.parallel.DistributedDataParallel(model) if ddp else model
        self.loss_fn = get_loss(t.loss, t.hfen)
        self.optim = torch.optim.Adam(model.parameters(), lr=t.w_lr, betas=tuple(t.w_betas),
                                      weight_decay=t.weight_decay)
        self.sched = torch.optim.lr_scheduler.MultiStepLR(self.optim, milestones=list(t.milestones), gamma=t.gamma)
        self.ema = copy.deepcopy(model).eval() if t.ema else None

    def step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """One iteration on ``batch = (lr, hr)``, float images in [0, 255] (tensors on any device or numpy
        arrays: moved to the model's device and dtype); returns the detached loss."""
        lr_img, hr_img = to_device(batch, module_device(self.model), module_dtype(self.model))
        loss = self.loss_fn(self.net(lr_img), hr_img)
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        if self.settings.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.settings.grad_clip)
        self.optim.step()
        if self.ema is not None:
            ema_update(self.ema, self.model, self.settings.ema)
        return loss.detach()

    @property
    def scored(self) -> torch.nn.Module:
        """The weights that are validated and saved: the EMA when on, else the model."""
        return self.ema if self.ema is not None else self.model

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optim": self.optim.state_dict(), "sched": self.sched.state_dict(),
                "ema": self.ema.state_dict() if self.ema is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optim"])
        self.sched.load_state_dict(state["sched"])
        if self.ema is not None:
            self.ema.load_state_dict(state["ema"])


def run_train(genotype: Genotype | str | Path | None, cfg: Config, *, out: str | Path | None = None,
              resume: bool = False, overwrite: bool = False, init: str | Path | None = None,
              device: str | None = None, progress: bool = True,
              callbacks: Iterable[Callable[[int, dict], None]] = (), stop: StopFlag | None = None) -> TrainResult:
    """Train ``genotype`` with ``cfg.train`` on ``cfg.data`` (seeded by ``cfg.seed``); see the module
    docstring. ``callbacks`` get ``cb(step, record)`` after each epoch."""
    # -- set up: the run folder, the network and its optimiser, the patch stream, validation; resume if asked
    cfg = released_recipe(cfg, genotype)
    t, scale, spe = cfg.train, cfg.data.scale, cfg.train.steps_per_epoch
    rank, world = init_distributed()
    if t.batch_size % world:
        raise ValueError(f"train.batch_size={t.batch_size} is not divisible by the {world} processes")
    folder = RunFolder(out, "train", resume=resume, overwrite=overwrite, active=rank == 0)
    barrier()
    dev = _rank_device(device, rank, world)
    seed_everything(cfg.seed + rank)
    trainer = Trainer(build_model(genotype, cfg, init).to(dev), cfg, ddp=world > 1)
    photos = train_photos(cfg)
    stream, meter = _stream(cfg, photos, rank, world), Meter()
    val_source, val = validation_pairs(cfg) if rank == 0 else ("", {})
    geno, state = trainer.model.genotype.to_dict(), {"trainer": trainer, "stream": stream, "meter": meter}
    history, start, saved = folder.restore(cfg, state, world, geno)
    best = saved.get("best", float("-inf"))
    folder.start(dev, world, genotype=geno)
    folder.write_data({"train": sorted(photos), "arch": [], "val": sorted(val), "val_source": val_source})
    folder.write_json("genotype.json", geno)
    trainer.model.train()
    # -- the loop: a step per batch; at each epoch's end the schedule, validation, the best model, a checkpoint
    with stop_signals(stop) as flag, Progress("train", t.epochs * spe, start, enabled=rank == 0, bar=progress) as bar:
        for step in range(start, t.epochs * spe):
            done = step + 1
            meter.add({"loss": trainer.step(stream.next_batch())}, step)
            bar.advance(done, done % spe == 0)
            flag.agree(world, dev)
            if done % spe == 0:
                w_lr = trainer.optim.param_groups[0]["lr"]
                trainer.sched.step()
                if rank == 0:
                    psnr = validation_psnr(trainer.scored, val.values(), scale, dev) if val else float("nan")
                    trainer.model.train()
                    history.append({"step": done, "epoch": done // spe, "psnr": psnr, "w_lr": w_lr,
                                    **meter.read(_advice(w_lr))})
                    bar.show(loss=history[-1]["loss"], psnr=psnr)
                    _keep_models(folder, trainer, cfg, improved=psnr > best, val_source=val_source)
                    best = max(best, psnr) if psnr == psnr else best
            if done % spe == 0 or flag:
                folder.checkpoint(state, history, done, cfg, world, geno, best=best)
            if done % spe == 0 and rank == 0:
                flag.call(callbacks, done, history[-1])          # a callback may stop the run (checkpoint saved)
            if flag:
                flag.stop("training", done, out)
    # -- the result: the best validated model
    if world > 1:
        barrier()
    folder.finish(best_psnr=best)
    final = load_model(folder.file("model.pt"))[0].to(dev) if folder.active and folder.file("model.pt").exists() \
        else trainer.scored
    return TrainResult(model=final.eval(), history=history, best_psnr=best, out=folder.path)


def released_recipe(cfg: Config, genotype: object) -> Config:
    """``cfg`` as the released code trains ``genotype``: under ``paper`` (its learning rate unchanged, 3e-4) the
    released DLSR-tiny script trains at 4e-4 (:data:`tinysr.config.released.FACTS`), so ``dlsr_tiny`` gets that;
    any other config or genotype is returned as it is. The CLI and a notebook get the same run."""
    paper_lr, tiny_lr = SETTINGS["train.w_lr"].value, FACTS["DLSR-tiny retraining learning rate"].value
    if cfg.name == "paper" and genotype == "dlsr_tiny" and cfg.train.w_lr == paper_lr:
        return replace(cfg, train=replace(cfg.train, w_lr=tiny_lr))
    return cfg


def _rank_device(device: str | None, rank: int, world: int) -> torch.device:
    dev = get_device(device)
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank))) if world > 1 and dev.type == "cuda" else dev


def _stream(cfg: Config, photos: dict, rank: int, world: int) -> PatchSampler:
    """This rank's patch stream: under torchrun each rank draws from its own shard of the photos."""
    names = sorted(photos)
    if world > 1:
        names = [names[i] for i in torch.utils.data.DistributedSampler(range(len(names)), world, rank, shuffle=False)]
    return PatchSampler({n: photos[n] for n in names}, cfg.data.scale, cfg.train.hr_patch,
                        cfg.train.batch_size // world, seed=cfg.seed + 1000 * rank)


def _keep_models(folder: RunFolder, trainer: Trainer, cfg: Config, *, improved: bool, val_source: str) -> None:
    """``last.pt`` after every epoch; ``model.pt`` when validation improved (or when there is none yet)."""
    if folder.active:
        save_model(trainer.scored, folder.file("last.pt"), config=cfg)
        if improved or not folder.file("model.pt").exists():
            save_model(trainer.scored, folder.file("model.pt"), config=cfg, extra={"val": val_source})


def _advice(w_lr: float) -> str:
    return (f"The usual cause is a learning rate that is too high (train.w_lr now {w_lr:g}); lower it, e.g. "
            f"--set train.w_lr={w_lr / 10:g}")
