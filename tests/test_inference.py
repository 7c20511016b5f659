"""super_resolve: shapes, gray input, eval mode, tiles == whole image for a translation-equivariant
network, only approximately for one with global pooling (like DLSR's ESA), and the out-of-memory fallback."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import tinysr
from tinysr.inference import super_resolve
from tinysr.metrics import calculate_psnr


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
    out = super_resolve(model, lr_img, 2)
    assert out.shape == (90, 122, 3) and out.dtype == np.uint8
    assert model.training                        # mode restored
    x = torch.from_numpy(lr_img).permute(2, 0, 1)[None].float()
    with torch.no_grad():
        ref = model.eval()(x).clamp(0, 255).round().byte()[0].permute(1, 2, 0).numpy()
    np.testing.assert_array_equal(out, ref)
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
    np.testing.assert_array_equal(super_resolve(model, lr_img, 2, tile=tile, overlap=overlap),
                                  super_resolve(model, lr_img, 2))


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
    assert model.sizes[0] == 45 * 61 and "retrying with 30x30 tiles" in err and "30x30 tiles; retrying with 15x15" in err


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
