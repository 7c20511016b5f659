"""super_resolve: shapes, gray input, eval mode, tiles == whole image for a translation-equivariant
network, only approximately for one with global pooling (like DLSR's ESA), the out-of-memory fallback and
automatic tiling; the fast path (tinysr.deploy.fused) against the plain forward; upscale_image's gray and alpha."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import tinysr
from tinysr.deploy import fused, inference
from tinysr.deploy.fused import can_fuse, fused_forward
from tinysr.deploy.inference import forward, super_resolve, upscale_image
from tinysr.genotype import Genotype
from tinysr.metrics import calculate_psnr
from tinysr.model import DLSRNet, load_official
from tinysr.resize import imresize


class ConvShuffle(nn.Module):
    """Plain convolutions + PixelShuffle: translation-equivariant, receptive-field radius 2 LR pixels."""

    def __init__(self, scale: int = 2) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.scale = scale
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(8, 3 * scale * scale, 3, padding=1), nn.PixelShuffle(scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x / 255) * 60 + F.interpolate(x, scale_factor=self.scale, mode="nearest")


class GlobalGate(ConvShuffle):
    """A stand-in for ESA: strided conv, max pooling, bilinear upsampling over the whole map."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        f = F.max_pool2d(F.conv2d(x / 255, torch.ones(1, 3, 3, 3) / 27, stride=2), 7, 3)
        return y * 1.5 * torch.sigmoid(F.interpolate(f, size=y.shape[-2:], mode="bilinear", align_corners=False))


@pytest.fixture(scope="module")
def lr_img() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (45, 61, 3), dtype=np.uint8)


def test_whole_image(lr_img):
    model = ConvShuffle().train()
    out = super_resolve(model, lr_img, 2, fast=False)
    assert out.shape == (90, 122, 3) and out.dtype == np.uint8
    assert model.training                        # mode restored
    x = torch.from_numpy(lr_img).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        ref = model.eval()(x).clamp(0, 255).round().byte()[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(out, ref)
    fast = super_resolve(model.train(), lr_img, 2)        # channels_last: the same values up to rounding ties
    assert model.training and np.abs(fast.astype(int) - ref).max() <= 1
    assert tinysr.super_resolve is super_resolve


def test_gray_input_gives_rgb(lr_img):
    gray = lr_img[:, :, 0]
    out = super_resolve(ConvShuffle(), gray, 2)
    assert out.shape == (90, 122, 3)
    np.testing.assert_array_equal(out, super_resolve(ConvShuffle(), np.repeat(gray[:, :, None], 3, 2), 2))
    np.testing.assert_array_equal(out, super_resolve(ConvShuffle(), gray[:, :, None], 2))


@pytest.mark.parametrize("tile, overlap", [(7, 4), (16, 2), (32, 16), (100, 16)])
def test_tiles_equal_whole_for_equivariant_net(lr_img, tile, overlap):
    model = ConvShuffle()
    np.testing.assert_array_equal(super_resolve(model, lr_img, 2, tile=tile, overlap=overlap, fast=False),
                                  super_resolve(model, lr_img, 2, fast=False))


def test_tiles_only_approximate_with_global_ops():
    lr = np.random.default_rng(1).integers(0, 256, (128, 160, 3), dtype=np.uint8)
    model = GlobalGate()
    whole, tiled = super_resolve(model, lr, 2), super_resolve(model, lr, 2, tile=64, overlap=16)
    assert (whole != tiled).any()
    assert calculate_psnr(tiled, whole, crop_border=0) > 35


class OOMAbove(ConvShuffle):
    """Raises a CUDA-style out-of-memory error for inputs bigger than ``limit`` pixels."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.sizes = limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(x.shape[2] * x.shape[3])
        if x.shape[2] * x.shape[3] > self.limit:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return super().forward(x)


def test_out_of_memory_falls_back_to_tiles(lr_img, capsys):
    model = OOMAbove(limit=2200)   # whole 45x61: no; 30-tiles (45x61 windows): no; 15-tiles: yes
    out = super_resolve(model, lr_img, 2)
    np.testing.assert_array_equal(out, super_resolve(ConvShuffle(), lr_img, 2))
    err = capsys.readouterr().err
    assert model.sizes[0] == 45 * 61
    assert "retrying with 30x30 tiles" in err and "30x30 tiles; retrying with 15x15" in err


def test_bad_inputs(lr_img):
    with pytest.raises(ValueError, match="uint8.*float32"):
        super_resolve(ConvShuffle(), lr_img.astype(np.float32), 2)
    with pytest.raises(ValueError, match=r"\(45, 61, 4\)"):
        super_resolve(ConvShuffle(), np.zeros((45, 61, 4), np.uint8), 2)
    with pytest.raises(ValueError, match=r"expected \(1, 3, 135, 183\) for scale 3.*x3 model"):
        super_resolve(ConvShuffle(scale=2), lr_img, 3)
    with pytest.raises(ValueError, match="tile and overlap must be >= 0"):
        super_resolve(ConvShuffle(), lr_img, 2, tile=-1)
    with pytest.raises(RuntimeError, match="boom"):   # other errors are not mistaken for out-of-memory
        class Boom(nn.Module):
            def forward(self, x):
                raise RuntimeError("boom")
        super_resolve(Boom(), lr_img, 2)


def test_cpu_allocation_failure_counts_as_out_of_memory(lr_img, capsys):
    class CPUOOM(OOMAbove):
        def forward(self, x):
            if x.shape[2] * x.shape[3] > self.limit:
                raise RuntimeError("[enforce fail at alloc_cpu.cpp:121] DefaultCPUAllocator: can't allocate memory: "
                                   "you tried to allocate 99999999999 bytes. Error code 12 (Cannot allocate memory)")
            return ConvShuffle.forward(self, x)

    out = super_resolve(CPUOOM(limit=2200), lr_img, 2, fast=False)
    np.testing.assert_array_equal(out, super_resolve(ConvShuffle(), lr_img, 2, fast=False))
    assert "out of memory" in capsys.readouterr().err


def test_big_images_are_tiled_before_running(lr_img, monkeypatch, capsys):
    model = OOMAbove(limit=10**9)
    need = inference.peak_bytes(model, 45, 61)
    assert need == 128 * 12 * 45 * 61                      # widest conv: 3 * 2 * 2 = 12 channels
    ref = super_resolve(ConvShuffle(), lr_img, 2, fast=False)
    monkeypatch.setattr(inference, "available_bytes", lambda: need)      # half of it is too little
    out = super_resolve(model, lr_img, 2, overlap=4, fast=False)
    np.testing.assert_array_equal(out, ref)
    assert max(model.sizes) == 40 * 40 and "running 32x32 tiles" in capsys.readouterr().err
    monkeypatch.setattr(inference, "available_bytes", lambda: 2 * need)
    model.sizes.clear()
    super_resolve(model, lr_img, 2, fast=False)
    assert model.sizes == [45 * 61]                        # fits: one whole-image forward


def test_tiles_that_do_not_fit_are_halved_then_the_error_says_what_to_do(lr_img, capsys):
    model = OOMAbove(limit=30 * 30)          # user tiles of 32 (+2*4 context = 40x40 windows) do not fit
    out = super_resolve(model, lr_img, 2, tile=32, overlap=4, fast=False)
    np.testing.assert_array_equal(out, super_resolve(ConvShuffle(), lr_img, 2, fast=False))
    assert "out of memory on 32x32 tiles; retrying with 16x16 tiles" in capsys.readouterr().err
    with pytest.raises(MemoryError, match="out of memory even on 15x15 tiles of a 61x45 image on cpu: free memory"):
        super_resolve(OOMAbove(limit=10), lr_img, 2, fast=False)


def test_available_memory_honours_the_address_space_limit():
    """``ulimit -v`` (a course server's per-user limit) is memory the process cannot take, whatever the machine
    has free: the automatic tiling must see it."""
    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, resource.RLIM_INFINITY)); "
            "from tinysr.deploy.inference import available_bytes; print(available_bytes())")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 0 < int(r.stdout) < 6 * 2**30


# -- the fast path ---------------------------------------------------------------------------------
def _dlsr(ops, channels=8, cells=3, scale=2, **kw) -> DLSRNet:
    torch.manual_seed(0)
    inputs = tuple((1, j - 1) for j in range(3, cells + 1))
    return DLSRNet(Genotype(tuple(ops), inputs, channels=channels, cells=cells), scale, **kw).eval()


@pytest.mark.parametrize("ops, scale, kw", [
    (("conv_1x1", "sep_conv_7x7", "sep_conv_5x5"), 2, {}),                 # dlsr's ops
    (("conv_3x3", "dil_conv_3x3", "conv_7x7"), 3, {}),
    (("conv_5x5", "dil_conv_5x5", "sep_conv_3x3"), 4, {"bicubic_skip": True}),
])
def test_fused_forward_matches_the_module(ops, scale, kw):
    model = _dlsr(ops, scale=scale, **kw)
    x = torch.rand(2, 3, 23, 31, generator=torch.Generator().manual_seed(1)) * 255
    assert can_fuse(model, x)
    with torch.no_grad():
        ref = model(x)
    got = fused_forward(model, x)
    assert got.shape == ref.shape == (2, 3, 23 * scale, 31 * scale)
    tol = 1e-5 * float(ref.abs().max()) + 1e-4
    assert float((got - ref).abs().max()) <= tol
    assert float((forward(model, x) - ref).abs().max()) <= tol
    assert torch.equal(forward(model, x, fast=False), ref)


def test_what_cannot_be_fused_runs_the_module():
    model = _dlsr(("conv_1x1", "sep_conv_3x3", "dil_conv_3x3"))
    x = torch.rand(1, 3, 20, 20) * 255
    assert not can_fuse(model.double(), x.double()) and not can_fuse(model.float(), x.double())
    calls: list[int] = []
    handle = model.fea_conv.register_forward_hook(lambda m, i, o: calls.append(1))
    assert not can_fuse(model, x)
    forward(model, x)
    assert calls == [1]                                     # the module's own forward ran, with its hook
    handle.remove()
    assert can_fuse(model, x) and not can_fuse(ConvShuffle(), x)
    with pytest.raises(ValueError, match="too small"):
        fused_forward(model, torch.rand(1, 3, 14, 20))


def test_released_dlsr_fast_equals_reference(benchmarks_dir, official_dir):
    from tinysr.data.images import load_image

    model = load_official(official_dir / "RFDN_beta21_ps128_20210128_1000.pt", "dlsr")
    lr = load_image(benchmarks_dir / "Set5" / "LR_bicubic" / "X2" / "birdx2.png")
    hr = load_image(benchmarks_dir / "Set5" / "HR" / "bird.png")
    x = torch.from_numpy(lr).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        diff = float((forward(model, x) - model(x)).abs().max())
    assert diff <= 0.01                                                 # on the 0..255 scale
    fast, ref = super_resolve(model, lr, 2), super_resolve(model, lr, 2, fast=False)
    assert np.abs(fast.astype(int) - ref).max() <= 1
    assert abs(calculate_psnr(fast, hr, 2) - calculate_psnr(ref, hr, 2)) < 0.001


_HEAP_PROBE = """
import resource, torch
from tinysr.deploy import fused
from tinysr.deploy.fused import kept_heap

def faults_of_allocation():
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    torch.ones(16 * 2**20)                      # 64 MiB, beyond glibc's largest mmap threshold
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

with kept_heap():
    with kept_heap():                           # re-entrant
        inside = min([faults_of_allocation() for _ in range(8)][1:])   # the first grows the heap; a busy
        # machine can make one later allocation miss the kept block, so the test asks that it is reused at all
    nested = fused._heap_users
print(inside, nested, fused._heap_users, faults_of_allocation())
"""


@pytest.mark.skipif(fused._libc() is None, reason="kept_heap acts on glibc only")
def test_kept_heap_reuses_memory():
    # a fresh interpreter: the heap of a long test session (other tests' threads and blocks) is not comparable
    out = subprocess.run([sys.executable, "-c", _HEAP_PROBE], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    inside, nested, after_users, after = map(int, out.stdout.split())
    assert inside < 1000                        # the freed block is reused: no fresh pages
    assert (nested, after_users) == (1, 0)
    assert after > 4000                         # afterwards 64 MiB > the 32 MiB threshold: mapped afresh


def test_upscale_image_gray_and_alpha(lr_img):
    model = ConvShuffle()
    rgb = super_resolve(model, lr_img, 2)
    np.testing.assert_array_equal(upscale_image(model, lr_img, 2), rgb)
    gray = lr_img[:, :, 1]
    g = upscale_image(model, gray, 2)
    full = super_resolve(model, gray, 2).astype(np.float64)
    assert g.shape == (90, 122) and g.dtype == np.uint8
    np.testing.assert_array_equal(g, np.floor(full.mean(axis=2) + 0.5).astype(np.uint8))
    alpha = lr_img[:, :, 2]
    rgba = upscale_image(model, np.dstack([lr_img, alpha]), 2)
    assert rgba.shape == (90, 122, 4)
    np.testing.assert_array_equal(rgba[:, :, :3], rgb)
    np.testing.assert_array_equal(rgba[:, :, 3], imresize(alpha, 2))
    la = upscale_image(model, np.dstack([gray, alpha]), 2)
    np.testing.assert_array_equal(la[:, :, 0], g)
    np.testing.assert_array_equal(la[:, :, 1], imresize(alpha, 2))
    with pytest.raises(ValueError, match=r"uint8 \(h, w\).*float32 \(45, 61, 3\)"):
        upscale_image(model, lr_img.astype(np.float32), 2)
