"""Bilevel differentiable architecture search: :class:`Search` is one iteration, :func:`run_search` the loop.

One iteration of the released search (``search.step_order="weight_first"``, the ``paper`` preset)::

    weight step        w <- Adam(grad_w L(train batch))                       (every iteration)
    architecture step  a <- Adam(grad_a [L(same train batch, updated w) + L(arch batch)])
                       only at 0-based epoch index >= warmup_epochs (released: ``epoch > 20``, so 21)

``step_order="arch_first"`` is DARTS' order (architecture step on the weights before the update).
``L`` is ``search.loss`` (released: L1 + 0.2 HFEN). Gradient clipping of the weights is off at
``grad_clip = 0`` (released). The released cost term is reported, never differentiated; tinysr's budget
penalty (:mod:`tinysr.space.cost`) is added with weight ``lambda_cost`` when a budget is set.

:func:`run_search` draws the batches (weights on the ``train`` photos, architecture steps on the disjoint
``arch`` photos), records the history, calls callbacks ``cb(step, record)``, and checkpoints atomically
every epoch and when stopped (Ctrl-C, SIGTERM, a Stop button) through :class:`tinysr.runstate.RunFolder`,
so ``resume=True`` continues to the bit-identical result of an uninterrupted run.
Outputs in ``out``: ``run.json``, ``data.json``, ``config.json``, ``history.json``, ``checkpoint.pt``,
``genotype.json``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .architect import Architect, Batch
from .config import Config
from .data.datasets import PatchSampler
from .data.splits import search_photos
from .genotype import Genotype
from .losses import get_loss
from .metrics import calculate_psnr_pt
from .runstate import Meter, RunFolder
from .runtime.devices import get_device, module_dtype, to_device
from .runtime.distributed import average_grads, barrier, broadcast_params, init, rank_world, shard
from .runtime.eta import Progress
from .runtime.stop import StopFlag, stop_signals
from .space import SuperNet
from .space.cost import budget_penalty, derived_size, expected_size, genotype_size, released_cost
from .space.derive import derive_in_budget
from .space.speed import apply_switches
from .utils import seed_everything

__all__ = ["Search", "SearchResult", "run_search", "budget_of", "Callback"]

Callback = Callable[[int, dict[str, Any]], None]
#: the Gumbel noise generator is seeded with ``cfg.seed + NOISE_SEED_OFFSET`` (the patch streams use seed + 0..2)
NOISE_SEED_OFFSET = 3


def budget_of(cfg: Config) -> tuple[str, int]:
    """``(kind, budget)`` of the search's budget: ``("params", n)``, ``("multi_adds", n)``, or
    ``("params", 0)`` when no budget is set."""
    s = cfg.search
    return ("multi_adds", s.budget_multi_adds) if s.budget_multi_adds else ("params", s.budget_params)


class Search:
    """The supernet (``.net``), both optimisers, the weight schedule, the loss and the architect.

    ``step(train_batch, arch_batch, epoch)`` is exactly one iteration (module docstring); batches are
    ``(lr, hr)`` pairs of (N, 3, h, w) / (N, 3, s h, s w) float images in [0, 255], tensors on any device or
    numpy arrays: the step moves them to the net's device and dtype (``s.net.double()`` works: the
    optimisers hold the same parameter objects). Returns the iteration's losses as detached 0-dim tensors
    (no host synchronisation)."""

    def __init__(self, cfg: Config, device: str | torch.device | None = None) -> None:
        s = self.settings = cfg.search
        self.cfg, self.device = cfg, get_device(device)
        self.net = SuperNet.from_config(cfg).to(self.device)
        # the Gumbel samples come from a generator of the search's own, checkpointed with it: a resumed
        # search draws the samples the uninterrupted one drew, whatever else used torch's global generator
        self.net.noise_gen = torch.Generator(device=self.device).manual_seed(cfg.seed + NOISE_SEED_OFFSET)
        self.rank, self.world = rank_world()
        if self.world == 1:                    # speed switches (exact; NCHW under torchrun, for the collectives)
            apply_switches(self.net, s.channels_last, s.compile, self.device)
        self.loss_fn = get_loss(s.loss, s.hfen)
        self.w_optim = torch.optim.Adam(self.net.weights(), lr=s.w_lr, betas=tuple(s.w_betas),
                                        weight_decay=s.w_weight_decay)
        self.sched = torch.optim.lr_scheduler.MultiStepLR(self.w_optim, list(s.w_milestones), s.w_gamma)
        self.kind, self.budget = budget_of(cfg)
        self.width = cfg.train.channels or s.channels          # the width the derived net is retrained at
        size = derived_size if s.budget_estimate == "derived" else expected_size
        cost_fn = (lambda n: budget_penalty(size(n, self.kind, self.width), self.budget, s.budget_mode)) \
            if self.budget else None
        self.architect = Architect(self.net, s, self.loss_fn, cost_fn, self.w_optim)
        if self.world > 1:                     # DDP semantics: same start, gradients averaged over the ranks
            broadcast_params(self.net.parameters())
            self.architect.grad_hook = average_grads

    # -- one iteration ---------------------------------------------------------------------------------
    def set_epoch(self, epoch: int) -> None:
        """Per-epoch knobs: the DARTS- auxiliary skip (decays to 0) and the alpha temperature (geometric
        from ``tau_start`` to ``tau_end`` over the epochs after warm-up, the last ``tau_hold`` share of them at
        ``tau_end``)."""
        s = self.settings
        if s.aux_skip:
            self.net.set_aux_skip(s.aux_skip * (1 - epoch / s.epochs))
        span = max(1, round((s.epochs - s.warmup_epochs) * (1 - s.tau_hold)) - 1)
        t = min(1.0, max(0.0, (epoch - s.warmup_epochs) / span))
        self.net.alpha_tau = s.tau_start * (s.tau_end / s.tau_start) ** t

    def weight_step(self, batch: Batch) -> torch.Tensor:
        """``w <- Adam(grad_w L(batch))`` (clipped when ``grad_clip > 0``); returns the loss."""
        self.w_optim.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.net(batch[0]), batch[1])
        loss.backward(inputs=self.net.weights())
        average_grads(self.net.weights())
        if self.settings.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.net.weights(), self.settings.grad_clip)
        self.w_optim.step()
        return loss.detach()

    def arch_steps(self, train_batch: Batch, arch_batches: Sequence[Batch]) -> dict[str, torch.Tensor]:
        parts: dict[str, torch.Tensor] = {}
        w_lr = self.w_optim.param_groups[0]["lr"]
        for arch_batch in arch_batches:
            parts = self.architect.step(train_batch, arch_batch, w_lr)
        return parts

    def step(self, train_batch: Batch, arch_batch: Batch | Sequence[Batch] | None,
             epoch: int) -> dict[str, torch.Tensor]:
        """One iteration at 0-based ``epoch``; ``arch_batch`` is a pair, or a list of ``arch_steps`` pairs.
        Under torchrun the batches are the GLOBAL batches: each rank computes on its slice."""
        self.set_epoch(epoch)
        dtype = module_dtype(self.net)
        train_batch = to_device(train_batch, self.device, dtype)
        arch_batches = [] if arch_batch is None else \
            [arch_batch] if isinstance(arch_batch[0], (torch.Tensor, np.ndarray)) else list(arch_batch)
        arch_batches = [to_device(b, self.device, dtype) for b in arch_batches]
        train_batch = shard(train_batch, self.rank, self.world)
        arch_batches = [shard(b, self.rank, self.world) for b in arch_batches]
        do_arch = epoch >= self.settings.warmup_epochs and arch_batches
        out: dict[str, torch.Tensor] = {}
        if do_arch and self.settings.step_order == "arch_first":
            out.update(self.arch_steps(train_batch, arch_batches))
        out["loss"] = self.weight_step(train_batch)
        if do_arch and self.settings.step_order == "weight_first":
            out.update(self.arch_steps(train_batch, arch_batches))
        return out

    # -- state ------------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"net": self.net.state_dict(), "w_optim": self.w_optim.state_dict(),
                "a_optim": self.architect.optimizer.state_dict(), "sched": self.sched.state_dict(),
                "noise_gen": self.net.noise_gen.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"])
        self.w_optim.load_state_dict(state["w_optim"])
        self.architect.optimizer.load_state_dict(state["a_optim"])
        self.sched.load_state_dict(state["sched"])
        if "noise_gen" in state:               # checkpoints written before the search had its own generator
            self.net.noise_gen.set_state(state["noise_gen"])

    def derive(self) -> Genotype:
        """The genotype this search yields now: with a budget and ``derive="budget"``, the most probable one
        whose retrained-width size meets the budget (:mod:`tinysr.space.derive`); else the argmax per position."""
        if self.budget and self.settings.derive == "budget":
            return derive_in_budget(self.net, self.kind, self.width, self.budget, self.settings.budget_mode)
        return self.net.derive()

    # -- what the history records ------------------------------------------------------------------------
    def derived_size(self, genotype: Genotype) -> int:
        """Params (or Multi-Adds, by the budget's kind) of ``genotype`` built at the retraining width."""
        return genotype_size(genotype.ops, self.width, genotype.cells, self.cfg.data.scale, self.kind)

    @torch.no_grad()
    def record(self, probe: Batch) -> dict[str, Any]:
        """The architecture's state: probabilities, derived genotype, costs, supernet PSNR on ``probe``."""
        net = self.net
        probe = to_device(probe, self.device, module_dtype(net))
        net.eval()
        sr = net(probe[0]).clamp(0, 255).round()
        psnr = float(calculate_psnr_pt(sr, probe[1], crop_border=self.cfg.data.scale).mean())
        net.train()
        alpha = net.alpha_probs()
        genotype, argmax = self.derive(), net.derive()
        top = (alpha.mean(dim=0) if alpha.dim() == 3 else alpha).max(dim=-1).values
        return {"psnr": psnr, "alpha": alpha.cpu().tolist(), "betas": [p.cpu().tolist() for p in net.beta_probs()],
                "top_prob": top.cpu().tolist(), "genotype": genotype.to_dict(), "cost": released_cost(net),
                f"expected_{self.kind}": float(expected_size(net, self.kind, self.width)),
                f"derived_{self.kind}": self.derived_size(genotype), "budget": self.budget or None,
                f"argmax_{self.kind}": self.derived_size(argmax), "argmax_ops": list(argmax.ops), "tau": net.alpha_tau}


@dataclass
class SearchResult:
    """The derived ``genotype``, the ``history`` (list of records), the output folder, the supernet."""

    genotype: Genotype
    history: list[dict[str, Any]] = field(default_factory=list)
    out: Path | None = None
    net: SuperNet | None = None


def _streams(cfg: Config, train: dict, arch: dict) -> tuple[PatchSampler, PatchSampler, PatchSampler]:
    s = cfg.search

    def make(imgs: dict, seed: int, batch_size: int) -> PatchSampler:
        return PatchSampler(imgs, cfg.data.scale, s.hr_patch, batch_size, seed=seed)

    return (make(train, cfg.seed, s.batch_size), make(arch, cfg.seed + 1, s.arch_batch_size or s.batch_size),
            make(arch, cfg.seed + 2, min(8, 2 * s.batch_size)))


def _advice(search: Search) -> str:
    s = search.settings
    return (f"The usual cause is a learning rate that is too high: lower search.w_lr (now "
            f"{search.w_optim.param_groups[0]['lr']:g}) or search.alpha_lr (now {s.alpha_lr:g}), e.g. "
            f"--set search.w_lr={search.w_optim.param_groups[0]['lr'] / 10:g}, or set search.grad_clip")


def run_search(cfg: Config, *, callbacks: Iterable[Callback] = (), out: str | Path | None = None,
               resume: bool = False, overwrite: bool = False, device: str | None = None, progress: bool = True,
               stop: StopFlag | None = None) -> SearchResult:
    """Run the search described by ``cfg`` (seeded by ``cfg.seed``) and derive a genotype; see the module
    docstring. ``stop``: a flag another thread may set to stop between steps."""
    # -- set up: the run folder, the data streams, the supernet and its optimisers; resume if asked
    s, spe = cfg.search, cfg.search.steps_per_epoch
    rank, world = init()
    _check_divisible(s, world)
    folder = RunFolder(out, "search", resume=resume, overwrite=overwrite, active=rank == 0)
    barrier()
    seed_everything(cfg.seed)
    train, arch = search_photos(cfg)
    search = Search(cfg, device)
    train_stream, arch_stream, probe_stream = _streams(cfg, train, arch)
    probe, meter = probe_stream.next_batch(), Meter()
    state = {"search": search, "meter": meter, "train_stream": train_stream, "arch_stream": arch_stream}
    history, start, _ = folder.restore(cfg, state, world)
    if start:
        search.set_epoch((start - 1) // spe)          # the per-epoch knobs as the last step set them
    folder.start(search.device, world)
    folder.write_data({"train": sorted(train), "arch": sorted(arch), "val": []})
    total = s.epochs * spe
    # -- the loop: a weight step (and, after warm-up, architecture steps) per iteration; records, checkpoints
    with stop_signals(stop) as flag, Progress("search", total, start, enabled=rank == 0, bar=progress) as bar:
        for step in range(start, total):
            epoch, done = step // spe, step + 1
            arch_batches = [arch_stream.next_batch() for _ in range(s.arch_steps)] if epoch >= s.warmup_epochs else None
            meter.add(search.step(train_stream.next_batch(), arch_batches, epoch), step)
            if done % spe == 0:
                search.sched.step()
            if rank == 0 and (done % spe == 0 or (s.log_every and done % s.log_every == 0)):
                history.append({"step": done, "epoch": epoch + 1, **meter.read(_advice(search)),
                                "w_lr": search.w_optim.param_groups[0]["lr"], **search.record(probe)})
                bar.show(loss=history[-1]["loss"], psnr=history[-1]["psnr"])
                flag.call(callbacks, done, history[-1])        # a callback may stop the run: checkpoint, then stop
            bar.advance(done, done % spe == 0)
            flag.agree(world, search.device)
            if done % spe == 0 or flag:
                folder.checkpoint(state, history, done, cfg, world)
            if flag:
                flag.stop("search", done, out)
    # -- the result: the derived genotype
    genotype = search.derive()
    if folder.active:
        folder.checkpoint(state, history, total, cfg, world)
        genotype.to_json(folder.file("genotype.json"))
        folder.finish()
    return SearchResult(genotype=genotype, history=history, out=folder.path, net=search.net)


def _check_divisible(s, world: int) -> None:
    for name, size in (("search.batch_size", s.batch_size), ("search.arch_batch_size", s.arch_batch_size)):
        if size % world:
            raise ValueError(f"{name}={size} is not divisible by the {world} processes of torchrun: each global "
                             f"batch is split evenly across the ranks; use a multiple of {world}")
