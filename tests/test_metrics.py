"""PSNR / SSIM against hand computations and scikit-image, numpy vs torch, and the input contract."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tinysr.metrics import calculate_psnr, calculate_psnr_pt, calculate_ssim, calculate_ssim_pt, rgb2ycbcr

RNG = np.random.default_rng(0)


def _img(h=32, w=40, c=3) -> np.ndarray:
    shape = (h, w, c) if c else (h, w)
    return RNG.integers(0, 256, shape, dtype=np.uint8)


def test_rgb2ycbcr_known_values():
    px = np.array([[[0, 0, 0], [255, 255, 255], [255, 0, 0], [128, 128, 128]]], np.uint8)
    y = rgb2ycbcr(px)
    np.testing.assert_allclose(y[0], [16, 235, 16 + 65.481, 16 + 219 * 128 / 255], atol=1e-9)
    ycc = rgb2ycbcr(px, y_only=False)
    assert ycc.shape == (1, 4, 3) and ycc.dtype == np.float64
    np.testing.assert_allclose(ycc[0, 3, 1:], [128, 128], atol=1e-9)      # gray: no chroma
    np.testing.assert_allclose(ycc[0, 2, 1:], [128 - 37.797, 128 + 112], atol=1e-9)
    with pytest.raises(ValueError, match=r"\(H, W, 3\).*\(4, 4\)"):
        rgb2ycbcr(np.zeros((4, 4)))


def test_psnr_by_hand():
    a = _img(c=0).astype(np.int16)
    b = np.clip(a + 5, 0, 255)
    mse = np.mean((a - b).astype(float) ** 2)
    assert calculate_psnr(a, b, crop_border=0) == pytest.approx(10 * math.log10(255 ** 2 / mse), abs=1e-10)
    # RGB, every channel shifted by d: Y moves by d * 219 / 255.
    rgb = np.full((20, 20, 3), 100, np.uint8)
    expect = 10 * math.log10(255 ** 2 / (6 * 219 / 255) ** 2)
    assert calculate_psnr(rgb, rgb + 6, crop_border=2) == pytest.approx(expect, abs=1e-9)
    assert calculate_psnr(rgb, rgb + 6, 2, test_y_channel=False) == pytest.approx(10 * math.log10(255 ** 2 / 36))
    assert calculate_psnr(rgb, rgb, 0) == float("inf")


def test_crop_border_shaves_each_side():
    a = np.full((20, 30, 3), 50, np.uint8)
    b = a.copy()
    b[:3] = b[-3:] = b[:, :3] = b[:, -3:] = 200
    assert calculate_psnr(a, b, crop_border=3) == float("inf")
    assert calculate_psnr(a, b, crop_border=2) < 20
    assert calculate_ssim(a, b, crop_border=3) == pytest.approx(1.0)


def test_ssim_constant_images_by_hand():
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    a, b = np.full((16, 16), 100, np.uint8), np.full((16, 16), 140, np.uint8)
    expect = (2 * 100 * 140 + c1) / (100 ** 2 + 140 ** 2 + c1) * (c2 / c2)
    assert calculate_ssim(a, b, 0) == pytest.approx(expect, abs=1e-12)


def _ssim_bruteforce(a: np.ndarray, b: np.ndarray) -> float:
    """Direct 11x11 windows, no separability (the textbook formula)."""
    x = np.arange(11) - 5
    g = np.exp(-x ** 2 / (2 * 1.5 ** 2))
    win = np.outer(g, g) / np.outer(g, g).sum()
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    vals = []
    for i in range(a.shape[0] - 10):
        for j in range(a.shape[1] - 10):
            pa, pb = a[i:i + 11, j:j + 11], b[i:i + 11, j:j + 11]
            ma, mb = (win * pa).sum(), (win * pb).sum()
            va, vb = (win * pa * pa).sum() - ma ** 2, (win * pb * pb).sum() - mb ** 2
            cov = (win * pa * pb).sum() - ma * mb
            vals.append((2 * ma * mb + c1) * (2 * cov + c2) / ((ma ** 2 + mb ** 2 + c1) * (va + vb + c2)))
    return float(np.mean(vals))


def test_ssim_matches_bruteforce_and_scikit_image():
    from skimage.metrics import structural_similarity

    a = _img(24, 27, 0).astype(np.float64)
    b = np.clip(a + RNG.normal(0, 20, a.shape), 0, 255).round()
    ours = calculate_ssim(a, b, crop_border=0)
    assert ours == pytest.approx(_ssim_bruteforce(a, b), abs=1e-10)
    sk = structural_similarity(a, b, data_range=255, gaussian_weights=True, sigma=1.5,
                               use_sample_covariance=False)
    assert ours == pytest.approx(sk, abs=1e-6)   # skimage crops the same 5-pixel border of 'valid' output


def test_grayscale_rules():
    gray = _img(c=0)
    rgb_of_gray = np.repeat(gray[:, :, None], 3, axis=2)
    other = _img(c=0)
    # gray vs gray: single channel, no Y transform
    plain = 10 * math.log10(255 ** 2 / np.mean((gray[2:-2, 2:-2].astype(float) - other[2:-2, 2:-2]) ** 2))
    assert calculate_psnr(gray, other, 2) == pytest.approx(plain)
    assert calculate_psnr(gray[:, :, None], other, 2) == pytest.approx(plain)
    # an RGB prediction of a gray target is reduced by the rounded channel mean
    assert calculate_psnr(rgb_of_gray, other, 2) == pytest.approx(plain)
    assert calculate_ssim(rgb_of_gray, other, 2) == pytest.approx(calculate_ssim(gray, other, 2))
    pred = _img()
    reduced = np.floor(pred.astype(float).mean(axis=2) + 0.5)
    assert calculate_psnr(pred, other, 0) == pytest.approx(calculate_psnr(reduced, other, 0))


@pytest.mark.parametrize("fn", [calculate_psnr, calculate_ssim])
def test_shape_mismatch_names_both_shapes(fn):
    with pytest.raises(ValueError, match=r"\(32, 40, 3\) vs \(30, 40, 3\)"):
        fn(_img(32, 40), _img(30, 40), 2)
    with pytest.raises(ValueError, match="crop_border"):
        fn(_img(), _img(), -1)
    with pytest.raises(ValueError, match="shaves away"):
        fn(_img(8, 8), _img(8, 8), 4)
    with pytest.raises(ValueError, match=r"\(H, W, 3\).*\(4, 4, 2\)"):
        fn(np.zeros((4, 4, 2)), np.zeros((4, 4, 2)), 0)


def test_ssim_needs_11_pixels():
    with pytest.raises(ValueError, match="11x11"):
        calculate_ssim(_img(14, 14), _img(14, 14), 2)


def _as_batch(imgs: list[np.ndarray]) -> torch.Tensor:
    return torch.stack([torch.from_numpy(i).permute(2, 0, 1) for i in imgs]).float()


@pytest.mark.parametrize("y", [True, False])
def test_torch_matches_numpy(y):
    a = [_img(40, 36) for _ in range(3)]
    b = [np.clip(x.astype(int) + RNG.integers(-20, 21, x.shape), 0, 255).astype(np.uint8) for x in a]
    psnr = calculate_psnr_pt(_as_batch(a), _as_batch(b), crop_border=3, test_y_channel=y)
    ssim = calculate_ssim_pt(_as_batch(a), _as_batch(b), crop_border=3, test_y_channel=y)
    assert psnr.shape == ssim.shape == (3,)
    for i in range(3):
        assert psnr[i].item() == pytest.approx(calculate_psnr(a[i], b[i], 3, y), abs=1e-9)
        assert ssim[i].item() == pytest.approx(calculate_ssim(a[i], b[i], 3, y), abs=1e-9)


def test_torch_gray_and_errors():
    g = _img(30, 30, 0)
    rgb = _as_batch([np.repeat(g[:, :, None], 3, axis=2)])
    other = _img(30, 30, 0)
    gray_t = torch.from_numpy(other)[None, None].float()
    assert calculate_psnr_pt(rgb, gray_t, 2).item() == pytest.approx(calculate_psnr(g, other, 2))
    assert calculate_ssim_pt(rgb, gray_t, 2).item() == pytest.approx(calculate_ssim(g, other, 2))
    with pytest.raises(ValueError, match=r"\(1, 3, 30, 30\) vs \(1, 3, 28, 30\)"):
        calculate_psnr_pt(rgb, rgb[:, :, :28], 2)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        calculate_ssim_pt(rgb[0], rgb[0], 2)
