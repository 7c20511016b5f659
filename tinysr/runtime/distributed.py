"""The few collective operations tinysr's loops need under ``torchrun`` (a no-op in one process).

``torchrun --nproc_per_node N -m tinysr search|train ...`` starts N processes with ``RANK``/``WORLD_SIZE``
set; :func:`init` joins them into one process group (NCCL with CUDA, else gloo). The search keeps
DistributedDataParallel semantics by hand: every rank draws the same global batch, computes on its slice
(:func:`shard`), and gradients are averaged (:func:`average_grads`), so weights, alphas and betas stay
identical on every rank. :func:`any_rank` lets a Ctrl-C or SIGTERM on one rank stop all ranks at the same step.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

import torch
import torch.distributed as dist

__all__ = ["init", "rank_world", "shard", "average_grads", "broadcast_params", "any_rank", "barrier"]


def init() -> tuple[int, int]:
    """Join the torchrun process group if ``WORLD_SIZE > 1``; return ``(rank, world_size)``."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return rank_world()


def rank_world() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def shard(batch: tuple[torch.Tensor, ...], rank: int, world: int) -> tuple[torch.Tensor, ...]:
    """This rank's contiguous slice of a global batch (the batch size is divisible by ``world``)."""
    if world == 1:
        return batch
    n = batch[0].shape[0] // world
    return tuple(t[rank * n:(rank + 1) * n] for t in batch)


def average_grads(params: Iterable[torch.Tensor]) -> None:
    """Average ``.grad`` over the ranks (the gradient of the mean loss over the global batch)."""
    _, world = rank_world()
    if world == 1:
        return
    for p in params:
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)


def broadcast_params(params: Iterable[torch.Tensor]) -> None:
    """Make every rank start from rank 0's values."""
    if rank_world()[1] > 1:
        with torch.no_grad():
            for p in params:
                dist.broadcast(p.data, 0)


def any_rank(flag: bool, device: torch.device | str = "cpu") -> bool:
    """True on every rank if ``flag`` is true on any rank."""
    if rank_world()[1] == 1:
        return bool(flag)
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier() -> None:
    if rank_world()[1] > 1:
        dist.barrier()
