"""Bilevel differentiable architecture search: the loop around :class:`~tinysr.architect.Architect`.

One search step (DARTS order)::

    arch step    alphas <- Adam(grad_a L_arch)          (after the warm-up epochs; first or second order)
    weight step  w      <- Adam(grad_w L(train batch))  (gradient norm clipped)

Weights train on the ``train`` photos and the architecture on the disjoint ``arch`` photos. Every step is
deterministic given the seed; the whole state (supernet, both optimisers, the LR schedule, the two patch
streams, the RNG, the history) is checkpointed atomically every epoch and on Ctrl-C, so ``resume=True``
continues to the bit-identical result of an uninterrupted run.

Outputs in ``out``: ``config.json``, ``history.json``, ``checkpoint.pt``, ``genotype.json``.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from .architect import Architect, hessian_vector_product  # noqa: F401  (re-exported)
from .config import Config
from .genotype import Genotype
from .losses import get_loss
from .runstate import check_finite, check_same_config, deferred_interrupt
from .space import SuperNet
from .space.cost import expected_cost
from .utils import atomic_save, atomic_write_text, get_device, safe_load, seed_everything

Callback = Callable[[int, dict[str, Any]], None]


@dataclass
class SearchResult:
    """The derived ``genotype``, the ``history`` (list of records) and the output folder, if any."""

    genotype: Genotype
    history: list[dict[str, Any]] = field(default_factory=list)
    out: Path | None = None
    net: SuperNet | None = None


def search_photos(cfg: Config) -> tuple[list, list]:
    """HR photos for weight steps and for architecture steps (disjoint): the built-in ``train`` and
    ``arch`` parts, or a deterministic split of the folder ``cfg.data.source``."""
    from . import data

    if cfg.data.source == "builtin":
        frac = cfg.data.arch_fraction
        return (list(data.builtin_photos("train", arch_fraction=frac).values()),
                list(data.builtin_photos("arch", arch_fraction=frac).values()))
    images = data.load_folder(cfg.data.source, max_images=cfg.data.max_images)
    names = sorted(images)
    train_names, arch_names = data.split_photos(names, cfg.data.arch_fraction, cfg.seed)
    return [images[n] for n in train_names], [images[n] for n in arch_names]


def _samplers(cfg: Config, train_imgs: list, arch_imgs: list):
    from .data import PatchSampler

    s = cfg.search

    def make(imgs: list, seed: int, batch_size: int) -> PatchSampler:
        return PatchSampler(imgs, cfg.data.scale, s.hr_patch, batch_size, seed=seed)

    return (make(train_imgs, cfg.seed, s.batch_size), make(arch_imgs, cfg.seed + 1, s.batch_size),
            make(arch_imgs, cfg.seed + 2, min(8, 2 * s.batch_size)))


def _record(net: SuperNet, step: int, epoch: int, sums: dict[str, float], counts: dict[str, int],
            probe, scale: int, cost_kind: str) -> dict[str, Any]:
    from .metrics import calculate_psnr_pt

    rec: dict[str, Any] = {"step": step, "epoch": epoch}
    rec.update({k: sums[k] / counts[k] for k in sorted(sums) if counts[k]})
    net.eval()
    with torch.no_grad():
        lr_img, hr_img = probe
        sr = net(lr_img).clamp(0, 255).round()
        rec["psnr_arch"] = float(calculate_psnr_pt(sr, hr_img, crop_border=scale).mean())
        rec["cost"] = float(expected_cost(net, cost_kind))
    net.train()
    rec["alpha"] = net.alpha_probs().detach().cpu().tolist()
    rec["betas"] = [p.detach().cpu().tolist() for p in net.beta_probs()]
    rec["genotype"] = net.derive().to_dict()
    return rec


def run_search(cfg: Config, *, callbacks: Iterable[Callback] = (), out: str | Path | None = None,
               resume: bool = False, device: str | None = None, progress: bool = True) -> SearchResult:
    """Run the bilevel search described by ``cfg`` (seeded by ``cfg.seed``) and derive a genotype.

    ``callbacks`` are called as ``cb(step, record)`` each time a history record is made (every
    ``search.log_every`` steps and at each epoch end). ``out``: folder for the outputs (None: keep
    nothing on disk). ``resume``: continue from ``out/checkpoint.pt``.
    """
    from tqdm.auto import tqdm

    s = cfg.search
    dev = get_device(device)
    out = Path(out) if out is not None else None
    seed_everything(cfg.seed)
    train_imgs, arch_imgs = search_photos(cfg)
    train_stream, arch_stream, probe_stream = _samplers(cfg, train_imgs, arch_imgs)
    probe = tuple(t.to(dev) for t in probe_stream.next_batch())

    net = SuperNet.from_config(cfg).to(dev)
    loss_fn = get_loss(s.loss)
    w_optim = torch.optim.Adam(net.weights(), lr=s.w_lr, betas=tuple(s.w_betas), weight_decay=s.w_weight_decay)
    sched = torch.optim.lr_scheduler.MultiStepLR(w_optim, milestones=list(s.w_milestones), gamma=s.w_gamma)
    architect = Architect(net, s, loss_fn, lambda n: expected_cost(n, s.cost_kind))
    history: list[dict[str, Any]] = []
    sums: dict[str, float] = {}      # running sums of the losses since the last history record
    counts: dict[str, int] = {}
    start = 0

    ckpt_path = out / "checkpoint.pt" if out else None
    if out:
        out.mkdir(parents=True, exist_ok=True)
        if resume and ckpt_path.exists():
            check_same_config(out, cfg, ("seed", "data", "search"))
            state = safe_load(ckpt_path)
            net.load_state_dict(state["net"])
            w_optim.load_state_dict(state["w_optim"])
            architect.optimizer.load_state_dict(state["a_optim"])
            sched.load_state_dict(state["sched"])
            train_stream.load_state_dict(state["train_stream"])
            arch_stream.load_state_dict(state["arch_stream"])
            torch.set_rng_state(state["torch_rng"])
            history, start = state["history"], state["step"]
            sums, counts = state["sums"], state["counts"]
        else:
            cfg.to_json(out / "config.json")

    def save(step: int) -> None:
        if not out:
            return
        atomic_save({"net": net.state_dict(), "w_optim": w_optim.state_dict(),
                     "a_optim": architect.optimizer.state_dict(), "sched": sched.state_dict(),
                     "train_stream": train_stream.state_dict(), "arch_stream": arch_stream.state_dict(),
                     "torch_rng": torch.get_rng_state(), "history": history, "step": step,
                     "sums": sums, "counts": counts}, ckpt_path)
        atomic_write_text(json.dumps(history, indent=1) + "\n", out / "history.json")

    total = s.epochs * s.steps_per_epoch
    net.train()
    bar = tqdm(total=total, initial=start, desc="search", disable=not progress, file=sys.stderr, leave=False)
    with deferred_interrupt() as interrupt:
        for step in range(start, total):
            epoch = step // s.steps_per_epoch
            if s.aux_skip:
                net.set_aux_skip(s.aux_skip * (1 - epoch / s.epochs))
            train_batch = tuple(t.to(dev) for t in train_stream.next_batch())
            arch_batch = tuple(t.to(dev) for t in arch_stream.next_batch())
            w_lr = w_optim.param_groups[0]["lr"]
            if epoch >= s.warmup_epochs:
                parts = architect.step(train_batch, arch_batch, w_lr)
                check_finite(parts["arch_objective"], "the architecture loss", step, s.alpha_lr, "search.alpha_lr")
                for k, v in parts.items():
                    sums[k] = sums.get(k, 0.0) + v
                    counts[k] = counts.get(k, 0) + 1
            w_optim.zero_grad(set_to_none=True)
            w_loss = loss_fn(net(train_batch[0]), train_batch[1])
            check_finite(float(w_loss.detach()), "the weight loss", step, w_lr, "search.w_lr")
            w_loss.backward(inputs=net.weights())
            torch.nn.utils.clip_grad_norm_(net.weights(), s.grad_clip)
            w_optim.step()
            sums["w_loss"] = sums.get("w_loss", 0.0) + float(w_loss.detach())
            counts["w_loss"] = counts.get("w_loss", 0) + 1
            done = step + 1
            end_of_epoch = done % s.steps_per_epoch == 0
            if end_of_epoch:
                sched.step()
            if end_of_epoch or (s.log_every and done % s.log_every == 0):
                rec = _record(net, done, epoch, sums, counts, probe, cfg.data.scale, s.cost_kind)
                rec["w_lr"] = w_lr
                history.append(rec)
                sums, counts = {}, {}
                bar.set_postfix(loss=f"{rec['w_loss']:.2f}", psnr=f"{rec['psnr_arch']:.2f}")
                try:
                    for cb in callbacks:
                        cb(done, rec)
                except KeyboardInterrupt:  # a callback may stop the run (e.g. a notebook's Stop button)
                    interrupt["hit"] = True
            bar.update(1)
            if end_of_epoch:
                save(done)
            if interrupt["hit"]:
                save(done)
                bar.close()
                raise KeyboardInterrupt(f"search interrupted after step {done}; resume with resume=True")
    bar.close()
    genotype = net.derive()
    if out:
        save(total)
        genotype.to_json(out / "genotype.json")
    return SearchResult(genotype=genotype, history=history, out=out, net=net)
