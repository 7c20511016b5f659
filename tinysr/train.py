"""Retraining a discrete network from scratch (or fine-tuning x3/x4 from x2), as the released code does.

Recipe (``paper``): Adam(3e-4, betas 0.9/0.999, weight decay 1e-8), MultiStepLR x0.5 at epochs
200/400/600/800, gradient-norm clip 50, random HR patches 128 with flips + transpose, batch 32, loss
``train.loss`` (L1 + 0.2 HFEN, as the released DLSR-para and DLSR-tiny scripts; the headline model's script
does not run as released, so its loss is unknown). Every image of the training folder is used; after
every epoch the model is scored by PSNR-Y on ``train.val`` (Set5 in ``paper``, the released practice --
see :mod:`tinysr.splits`) and the best is kept as ``model.pt`` (``last.pt``: the latest). The complete
state goes to ``checkpoint.pt`` atomically, so ``resume=True`` continues bit-identically.
``model.pt`` loads with :func:`tinysr.model.load_model` (``weights_only=True``).

Multi-GPU: under ``torchrun --nproc_per_node N -m tinysr train ...`` each rank trains a
DistributedDataParallel replica on its own shard of the photos with its own patch stream; rank 0 alone
validates, logs and writes files.
"""
from __future__ import annotations

import copy
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch

from .config import Config
from .data import PatchSampler
from .distributed import any_rank, barrier
from .distributed import init as init_distributed
from .eta import Eta
from .genotype import Genotype, get_genotype
from .inference import super_resolve
from .losses import get_loss
from .metrics import calculate_psnr
from .model import DLSRNet, load_model, save_model
from .runstate import Meter, RunFolder, StopFlag, stop_signals
from .space.speed import apply_switches
from .splits import train_photos, validation_pairs
from .devices import get_device, module_device, module_dtype, to_device
from .utils import seed_everything

__all__ = ["Trainer", "TrainResult", "run_train", "build_model", "validation_psnr", "ema_update"]


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
    from tqdm.auto import tqdm

    t, scale = cfg.train, cfg.data.scale
    rank, world = init_distributed()
    if t.batch_size % world:
        raise ValueError(f"train.batch_size={t.batch_size} is not divisible by the {world} processes")
    folder = RunFolder(out, "train", resume=resume, overwrite=overwrite, active=rank == 0)
    barrier()
    dev = get_device(device)
    if world > 1 and dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
    seed_everything(cfg.seed + rank)
    trainer = Trainer(build_model(genotype, cfg, init).to(dev), cfg, ddp=world > 1)
    photos = train_photos(cfg)
    names = sorted(photos)
    if world > 1:
        names = [names[i] for i in torch.utils.data.DistributedSampler(range(len(names)), world, rank, shuffle=False)]
    stream = PatchSampler({n: photos[n] for n in names}, scale, t.hr_patch, t.batch_size // world,
                          seed=cfg.seed + 1000 * rank)
    val_source, val = validation_pairs(cfg) if rank == 0 else ("", {})
    geno = trainer.model.genotype.to_dict()
    history, best, start, meter = [], float("-inf"), 0, Meter()
    if (state := folder.load(cfg, geno)) is not None:
        trainer.load_state_dict(state["states"]["trainer"])
        stream.load_state_dict(state["states"]["stream"])
        meter.load_state_dict(state["states"]["meter"])
        torch.set_rng_state(state["states"]["torch_rng"])
        history, start, best = state["history"], state["step"], state["states"]["best"]
        if state["states"].get("world_size", 1) != world:
            raise ValueError(f"{out} was checkpointed by {state['states'].get('world_size', 1)} process(es); resume "
                             f"it with the same number (now {world})")
    folder.start(dev, world, genotype=geno)
    folder.write_data({"train": sorted(photos), "arch": [], "val": sorted(val), "val_source": val_source})
    folder.write_json("genotype.json", geno)

    def save(step: int) -> None:
        folder.save({"trainer": trainer.state_dict(), "stream": stream.state_dict(), "best": best,
                     "meter": meter.state_dict(), "torch_rng": torch.get_rng_state(), "world_size": world},
                    history, step, cfg, geno)

    def end_of_epoch(step: int) -> None:
        nonlocal best
        w_lr = trainer.optim.param_groups[0]["lr"]
        trainer.sched.step()
        if rank != 0:
            return
        psnr = validation_psnr(trainer.scored, val.values(), scale, dev) if val else float("nan")
        trainer.model.train()
        rec = {"step": step, "epoch": step // spe, "psnr": psnr, "w_lr": w_lr,
               **meter.read(f"The usual cause is a learning rate that is too high (train.w_lr now {w_lr:g}); "
                            f"lower it, e.g. --set train.w_lr={w_lr / 10:g}")}
        history.append(rec)
        bar.set_postfix(loss=f"{rec['loss']:.2f}", psnr=f"{psnr:.2f}")
        if folder.active:
            save_model(trainer.scored, folder.file("last.pt"), config=cfg)
            if psnr > best or not folder.file("model.pt").exists():
                save_model(trainer.scored, folder.file("model.pt"), config=cfg, extra={"val": val_source})
        best = max(best, psnr) if psnr == psnr else best
        save(step)
        flag.call(callbacks, step, rec)          # a callback may stop the run (the checkpoint is saved)

    spe = t.steps_per_epoch
    bar = tqdm(total=t.epochs * spe, initial=start, desc="train", file=sys.stderr,
               disable=not progress or rank != 0, leave=False)
    eta = Eta("train", t.epochs * spe, start, enabled=rank == 0)
    trainer.model.train()
    with stop_signals(stop) as flag:
        for step in range(start, t.epochs * spe):
            meter.add({"loss": trainer.step(tuple(x.to(dev) for x in stream.next_batch()))}, step)
            bar.update(1)
            eta.step(step + 1, (step + 1) % spe == 0)
            if world > 1 and any_rank(bool(flag), dev) and not flag:
                flag.set("another rank was stopped")
            if (step + 1) % spe == 0:
                end_of_epoch(step + 1)
            elif flag:
                save(step + 1)
            if flag:
                bar.close()
                raise KeyboardInterrupt(f"training stopped after step {step + 1} ({flag.why}); the checkpoint is "
                                        "saved: resume with --resume (resume=True)")
    bar.close()
    if world > 1:
        barrier()
    folder.finish(best_psnr=best)
    final = load_model(folder.file("model.pt"))[0].to(dev) if folder.active and folder.file("model.pt").exists() \
        else trainer.scored
    return TrainResult(model=final.eval(), history=history, best_psnr=best, out=folder.path)
