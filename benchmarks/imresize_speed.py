"""Time the MATLAB-exact ``tinysr.imresize`` (numpy) and the approximate ``imresize_pt`` (torch).

    python benchmarks/imresize_speed.py [--repeats 5]

Prints the median wall time of each case, and for imresize (single-threaded numpy) also its CPU time,
which is what the wall time would be on an idle machine. The headline case is a DIV2K-sized image
(2040x1404 RGB) shrunk x4, which should take well under a second on 2 CPU cores.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from tinysr.resize import imresize, imresize_pt

CASES = [  # (H, W, scale)
    (1404, 2040, 1 / 4),
    (1404, 2040, 1 / 3),
    (1404, 2040, 1 / 2),
    (160, 240, 2),     # a B100 LR image -> bicubic baseline
    (351, 510, 4),
]


def median_time(fn, repeats: int, clock=time.perf_counter) -> float:
    fn()  # warm-up (weight tables are cached per size)
    times = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"torch threads: {torch.get_num_threads()}; median of {args.repeats} runs")
    print(f"{'input (HxWx3)':>15} {'scale':>6} {'output':>11} {'imresize':>10} {'(cpu)':>9} {'imresize_pt':>12}")
    for h, w, scale in CASES:
        img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
        batch = torch.from_numpy(img).permute(2, 0, 1)[None].float()
        out = imresize(img, scale)
        t_np = median_time(lambda img=img, scale=scale: imresize(img, scale), args.repeats)
        t_cpu = median_time(lambda img=img, scale=scale: imresize(img, scale), args.repeats, clock=time.process_time)
        t_pt = median_time(lambda batch=batch, scale=scale: imresize_pt(batch, scale), args.repeats)
        label = f"1/{round(1 / scale)}" if scale < 1 else f"{scale:g}"
        print(f"{f'{h}x{w}':>15} {label:>6} {f'{out.shape[0]}x{out.shape[1]}':>11} "
              f"{t_np * 1000:>8.1f}ms {t_cpu * 1000:>7.1f}ms {t_pt * 1000:>10.1f}ms")


if __name__ == "__main__":
    main()
