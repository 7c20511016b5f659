"""Retraining a discrete network from scratch (or fine-tuning x3/x4 from x2), as the released code does.

Recipe (``paper`` preset): L1 loss, Adam(3e-4, betas 0.9/0.999), MultiStepLR x0.5 at epochs
200/400/600/800, gradient-norm clip 50, random HR patches 128 with flips + transpose, batch 32. Every
epoch: validation PSNR-Y on the eval photos (MATLAB-bicubic LR, border = scale), ``last.pt`` and, when it
improved, ``model.pt`` (best); the complete state in ``checkpoint.pt`` (atomic) so that ``resume=True``
continues bit-identically. ``model.pt`` loads with :func:`tinysr.model.load_model` (``weights_only=True``).

Multi-GPU: run under ``torchrun --nproc_per_node N -m tinysr train ...``; each rank trains a
DistributedDataParallel replica on its own shard of the photos (chosen by a ``DistributedSampler``) with
its own patch stream, and rank 0 alone validates, logs and writes files.
"""
from __future__ import annotations

import copy
import json
import os
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np
import torch
import torch.distributed as dist

from .config import Config
from .genotype import Genotype, get_genotype
from .losses import get_loss
from .model import DLSRNet, load_model, save_model
from .runstate import check_finite, check_same_config, deferred_interrupt
from .utils import atomic_save, atomic_write_text, get_device, safe_load, seed_everything


@dataclass
class TrainResult:
    """The trained ``model`` (best validation weights), its ``history`` and the best validation PSNR."""

    model: DLSRNet
    history: list[dict[str, Any]] = field(default_factory=list)
    best_psnr: float = float("-inf")
    out: Path | None = None


def train_photos(cfg: Config) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Training photos (built-in ``train`` + ``arch``, or the folder) and validation photos (built-in
    ``eval``, or the folder's arch share)."""
    from . import data

    if cfg.data.source == "builtin":
        train = data.builtin_photos("train+arch")
        val = data.builtin_photos("eval")
    else:
        images = data.load_folder(cfg.data.source, max_images=cfg.data.max_images)
        train_names, val_names = data.split_photos(sorted(images), cfg.data.arch_fraction, cfg.seed)
        train = {n: images[n] for n in train_names}
        val = {n: images[n] for n in val_names}
    names = sorted(val)[: cfg.train.val_images or None]
    return [train[n] for n in sorted(train)], {n: val[n] for n in names}


def validation_psnr(model: torch.nn.Module, pairs: list[tuple[np.ndarray, np.ndarray]], scale: int,
                    device: torch.device) -> float:
    """Mean PSNR-Y (border = scale) of ``model`` over ``(lr, hr)`` uint8 pairs."""
    from .inference import super_resolve
    from .metrics import calculate_psnr

    scores = [calculate_psnr(super_resolve(model, lr, scale, device=device), hr, crop_border=scale)
              for lr, hr in pairs]
    return float(np.mean(scores))


def _validation_pairs(val: dict[str, np.ndarray], scale: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from .data import modcrop
    from .resize import imresize

    pairs = []
    for img in val.values():
        hr = modcrop(img, scale)
        pairs.append((imresize(hr, 1 / scale), hr))
    return pairs


def build_model(genotype: Genotype | str | Path, cfg: Config, init: str | Path | None = None) -> DLSRNet:
    """The network to train: ``genotype`` at ``cfg.train.channels`` (0: its own width) and
    ``cfg.data.scale``; with ``init``, start from a tinysr ``model.pt`` (an x2 model is turned into
    x3/x4 by keeping its body and giving it a new head, the released fine-tuning recipe)."""
    g = get_genotype(genotype)
    if cfg.train.channels:
        g = replace(g, channels=cfg.train.channels)
    scale = cfg.data.scale
    if init is None:
        return DLSRNet(g, scale, bicubic_skip=cfg.train.bicubic_skip)
    base, base_scale = load_model(init)
    if base_scale == scale:
        return base
    return DLSRNet.from_x2(base, scale)


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """``ema <- decay * ema + (1 - decay) * model``, parameter by parameter (buffers copied)."""
    for e, p in zip(ema.parameters(), model.parameters()):
        e.lerp_(p.detach(), 1 - decay)
    for e, b in zip(ema.buffers(), model.buffers()):
        e.copy_(b)


def _ddp_env() -> tuple[int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return rank, world


def run_train(genotype: Genotype | str | Path, cfg: Config, *, out: str | Path | None = None,
              resume: bool = False, init: str | Path | None = None, device: str | None = None,
              progress: bool = True, callbacks: Iterable[Callable[[int, dict], None]] = ()) -> TrainResult:
    """Train ``genotype`` with ``cfg.train`` on ``cfg.data`` (seeded by ``cfg.seed``); see the module
    docstring. ``callbacks`` get ``(epoch, record)`` after each epoch."""
    from tqdm.auto import tqdm

    from .data import PatchSampler

    t = cfg.train
    rank, world = _ddp_env()
    dev = get_device(device)
    if world > 1 and dev.type == "cuda":
        dev = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
    seed_everything(cfg.seed + rank)
    out = Path(out) if out is not None and rank == 0 else None
    model = build_model(genotype, cfg, init).to(dev)
    train_imgs, val = train_photos(cfg)
    if world > 1:
        shard = list(torch.utils.data.DistributedSampler(range(len(train_imgs)), world, rank, shuffle=False))
        train_imgs = [train_imgs[i] for i in shard]
    stream = PatchSampler(train_imgs, cfg.data.scale, t.hr_patch, t.batch_size, seed=cfg.seed + 1000 * rank)
    val_pairs = _validation_pairs(val, cfg.data.scale) if rank == 0 else []
    net = torch.nn.parallel.DistributedDataParallel(model) if world > 1 else model
    loss_fn = get_loss(t.loss)
    optim = torch.optim.Adam(model.parameters(), lr=t.w_lr, betas=tuple(t.w_betas))
    sched = torch.optim.lr_scheduler.MultiStepLR(optim, milestones=list(t.milestones), gamma=t.gamma)
    ema = copy.deepcopy(model).eval() if t.ema else None
    history: list[dict[str, Any]] = []
    best, start_epoch = float("-inf"), 0

    ckpt = out / "checkpoint.pt" if out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        if resume and ckpt.exists():
            check_same_config(out, cfg, ("seed", "data", "train"))
            state = safe_load(ckpt)
            model.load_state_dict(state["model"])
            optim.load_state_dict(state["optim"])
            sched.load_state_dict(state["sched"])
            stream.load_state_dict(state["stream"])
            torch.set_rng_state(state["torch_rng"])
            if ema is not None:
                ema.load_state_dict(state["ema"])
            history, best, start_epoch = state["history"], state["best"], state["epoch"]
        else:
            cfg.to_json(out / "config.json")
            model.genotype.to_json(out / "genotype.json")

    def save(epoch: int) -> None:
        if not out:
            return
        atomic_save({"model": model.state_dict(), "optim": optim.state_dict(), "sched": sched.state_dict(),
                     "stream": stream.state_dict(), "torch_rng": torch.get_rng_state(),
                     "ema": ema.state_dict() if ema is not None else None,
                     "history": history, "best": best, "epoch": epoch}, ckpt)
        atomic_write_text(json.dumps(history, indent=1) + "\n", out / "history.json")

    total = t.epochs * t.steps_per_epoch
    bar = tqdm(total=total, initial=start_epoch * t.steps_per_epoch, desc="train", file=sys.stderr,
               disable=not progress or rank != 0, leave=False)
    model.train()
    with deferred_interrupt() as interrupt:
        for epoch in range(start_epoch, t.epochs):
            losses = []
            w_lr = optim.param_groups[0]["lr"]
            for i in range(t.steps_per_epoch):
                lr_img, hr_img = (x.to(dev) for x in stream.next_batch())
                loss = loss_fn(net(lr_img), hr_img)
                check_finite(float(loss.detach()), "the training loss", epoch * t.steps_per_epoch + i, w_lr,
                             "train.w_lr")
                optim.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), t.grad_clip)
                optim.step()
                if ema is not None:
                    ema_update(ema, model, t.ema)
                losses.append(float(loss.detach()))
                bar.update(1)
            sched.step()
            if rank != 0:
                continue
            scored = ema if ema is not None else model
            psnr = validation_psnr(scored, val_pairs, cfg.data.scale, dev) if val_pairs else float("nan")
            model.train()
            rec = {"epoch": epoch + 1, "step": (epoch + 1) * t.steps_per_epoch, "loss": float(np.mean(losses)),
                   "val_psnr": psnr, "w_lr": w_lr}
            history.append(rec)
            bar.set_postfix(loss=f"{rec['loss']:.2f}", psnr=f"{psnr:.2f}")
            if out:
                save_model(scored, out / "last.pt", config=cfg.to_dict())
                if psnr > best or not (out / "model.pt").exists():
                    save_model(scored, out / "model.pt", config=cfg.to_dict())
            best = max(best, psnr) if psnr == psnr else best
            save(epoch + 1)
            for cb in callbacks:
                cb(epoch + 1, rec)
            if interrupt["hit"]:
                bar.close()
                raise KeyboardInterrupt(f"training interrupted after epoch {epoch + 1}; resume with resume=True")
    bar.close()
    if world > 1:
        dist.barrier()
    final = load_model(out / "model.pt")[0].to(dev) if out and (out / "model.pt").exists() else \
        (ema if ema is not None else model)
    return TrainResult(model=final.eval(), history=history, best_psnr=best, out=out)
