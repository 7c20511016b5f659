"""Check tinysr's accelerator path and time the paper-size stages; prints numbers (not a test).

    python benchmarks/gpu_check.py [--benchmarks DIR] [--official DIR] [--json]

1. the smoke search and retraining on the auto-detected device (cuda, then mps, then cpu);
2. the authors' DLSR checkpoint on Set5 x2 on that device (PSNR must match the CPU's 38.04 dB);
3. one first-order search step of the paper supernet (48 ch, 6 cells, batch 64, HR patch 64), reference
   and fast mixed op, and one retraining step of DLSR (batch 32, HR patch 128): seconds per step and the
   implied hours for the released schedules.
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from tinysr.architect import Architect
from tinysr.config import SearchConfig, preset
from tinysr.runtime.devices import get_device
from tinysr.space import SuperNet
from tinysr.space.cost import expected_cost


def _sync(dev: torch.device) -> None:
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)


def time_search_step(dev: torch.device, fast: bool, batch: int = 64, hr_patch: int = 64, reps: int = 5) -> float:
    torch.manual_seed(0)
    net = SuperNet(48, 6, 2, fast=fast).to(dev)
    arch = Architect(net, SearchConfig(), F.l1_loss, lambda n: expected_cost(n))
    w_optim = torch.optim.Adam(net.weights(), lr=5e-4)
    lr_p = hr_patch // 2
    def pair():
        return (torch.rand(batch, 3, lr_p, lr_p, device=dev) * 255,
                torch.rand(batch, 3, hr_patch, hr_patch, device=dev) * 255)

    tb, ab = pair(), pair()
    times = []
    for i in range(reps + 1):
        _sync(dev)
        t0 = time.perf_counter()
        arch.step(tb, ab)
        w_optim.zero_grad()
        F.l1_loss(net(tb[0]), tb[1]).backward()
        w_optim.step()
        _sync(dev)
        if i:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def time_train_step(dev: torch.device, batch: int = 32, hr_patch: int = 128, reps: int = 5) -> float:
    from tinysr.model import DLSRNet

    net = DLSRNet("dlsr", 2).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=3e-4)
    lr_img = torch.rand(batch, 3, hr_patch // 2, hr_patch // 2, device=dev) * 255
    hr_img = torch.rand(batch, 3, hr_patch, hr_patch, device=dev) * 255
    times = []
    for i in range(reps + 1):
        _sync(dev)
        t0 = time.perf_counter()
        opt.zero_grad()
        F.l1_loss(net(lr_img), hr_img).backward()
        opt.step()
        _sync(dev)
        if i:
            times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--benchmarks", default=None, help="benchmark root with Set5 (EDSR layout)")
    ap.add_argument("--official", default=None, help="folder with RFDN_beta21_ps128_20210128_1000.pt")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    dev = get_device()
    out: dict = {"device": str(dev), "name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else str(dev)}

    from tinysr.search import run_search
    from tinysr.train import run_train

    t0 = time.perf_counter()
    found = run_search(preset("smoke"), progress=False)
    out["smoke_search_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    trained = run_train(found.genotype, preset("smoke"), progress=False)
    out["smoke_train_s"] = round(time.perf_counter() - t0, 2)
    out["smoke_train_val_psnr"] = round(trained.best_psnr, 3)
    out["smoke_model_device"] = str(next(trained.model.parameters()).device)

    if args.benchmarks and args.official:
        from tinysr.evaluate import evaluate
        from tinysr.model import load_official

        model = load_official(Path(args.official) / "RFDN_beta21_ps128_20210128_1000.pt", "dlsr").to(dev)
        t0 = time.perf_counter()
        res = evaluate(model, args.benchmarks, ["Set5"], 2, device=dev)
        out["official_set5_x2"] = {k: round(v, 4) for k, v in res["sets"]["Set5"].items()}
        out["official_set5_s"] = round(time.perf_counter() - t0, 2)

    naive = time_search_step(dev, fast=False)
    fast = time_search_step(dev, fast=True)
    train = time_train_step(dev)
    out.update({"paper_search_step_naive_s": round(naive, 4), "paper_search_step_fast_s": round(fast, 4),
                "search_speedup": round(naive / fast, 2), "paper_train_step_s": round(train, 4),
                "paper_search_hours_1000ep": round(fast * 985 * 1000 / 3600, 1),
                "paper_train_hours_1000ep": round(train * 1941 * 1000 / 3600, 1)})
    if dev.type == "cuda":
        out["max_memory_gib"] = round(torch.cuda.max_memory_allocated(dev) / 2**30, 2)
    if not args.json:
        for k, v in out.items():
            print(f"{k:28s} {v}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
