"""PSNR and SSIM the way SR papers report them (BasicSR names and numerics, RGB channel order).

Contract (numpy functions):

- Images are numpy arrays ``(H, W, 3)`` **RGB** (not BGR as in BasicSR/cv2), values in [0, 255]; uint8 is
  expected (the SR output clamped and rounded), any real dtype is accepted and computed in float64.
- ``test_y_channel=True`` (the default, what papers report): compare the Y channel of ITU-R BT.601
  YCbCr with the "studio" range 16-235 (MATLAB's ``rgb2ycbcr``), from :func:`rgb2ycbcr`, kept in float
  (not rounded to uint8, as BasicSR). ``False``: compare all channels as given.
- ``crop_border`` pixels are shaved from each side before comparing (papers use ``crop_border = scale``).
- Grayscale images, ``(H, W)`` or ``(H, W, 1)``, are compared on their single channel with no Y
  transform (Set14 ``bridge``). If one image is RGB and the other grayscale (an SR network always outputs
  RGB), the RGB one is reduced to one channel by the mean of its channels, rounded half up
  (``floor(mean + 0.5)``): exact when the RGB image is a replicated gray one.
- SSIM is MATLAB's (Wang et al. 2004, ``ssim_index.m``): 11x11 Gaussian window, sigma 1.5, 'valid'
  filtering (no padding), ``C1 = (0.01*255)^2``, ``C2 = (0.03*255)^2``, mean of the SSIM map; for
  several channels (``test_y_channel=False``) the mean over channels.
- Shapes that do not match (after the grayscale rule) raise ``ValueError`` showing both shapes.

The ``*_pt`` versions take float tensors ``(N, C, H, W)`` in [0, 255] (C = 3 RGB or 1 gray), use the same
formulas in float64 and return one value per image, shape ``(N,)``, for validation during training.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["rgb2ycbcr", "calculate_psnr", "calculate_ssim", "calculate_psnr_pt", "calculate_ssim_pt"]

# BT.601 studio range, rows: Y, Cb, Cr; input RGB in [0, 255] (MATLAB rgb2ycbcr, /255 folded in).
_YCBCR = np.array([[65.481, 128.553, 24.966],
                   [-37.797, -74.203, 112.0],
                   [112.0, -93.786, -18.214]]) / 255.0
_YCBCR_OFFSET = np.array([16.0, 128.0, 128.0])


def rgb2ycbcr(img: np.ndarray, y_only: bool = True) -> np.ndarray:
    """RGB ``(H, W, 3)`` in [0, 255] -> Y ``(H, W)`` (``y_only``) or YCbCr ``(H, W, 3)``, float64.

    ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255`` is in [16, 235]; not rounded.
    """
    img = np.asarray(img, dtype=np.float64)
    if img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"rgb2ycbcr expects an RGB image of shape (H, W, 3), got shape {img.shape}")
    if y_only:
        return img @ _YCBCR[0] + _YCBCR_OFFSET[0]
    return img @ _YCBCR.T + _YCBCR_OFFSET


def _is_gray(img: np.ndarray) -> bool:
    return img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1)


def _prepare(img: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool,
             name: str) -> tuple[np.ndarray, np.ndarray]:
    """Validate, apply the grayscale rule and the Y transform, shave; return two float64 (H, W, C)."""
    img, img2 = np.asarray(img), np.asarray(img2)
    for a in (img, img2):
        if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3)):
            raise ValueError(f"{name} expects images (H, W), (H, W, 1) or (H, W, 3), got shape {a.shape}")
    if crop_border < 0 or int(crop_border) != crop_border:
        raise ValueError(f"{name}: crop_border must be an integer >= 0 (usually the scale), got {crop_border!r}")
    crop_border = int(crop_border)
    given = (img.shape, img2.shape)
    img, img2 = np.ascontiguousarray(img), np.ascontiguousarray(img2)
    gray1, gray2 = _is_gray(img), _is_gray(img2)
    if gray1 or gray2:
        img, img2 = _to_gray(img), _to_gray(img2)
    if img.shape != img2.shape:
        raise ValueError(f"{name}: image shapes differ: {img.shape} vs {img2.shape} (as given: "
                         f"{given[0]} vs {given[1]}); crop the reference to the SR size "
                         f"(hr[:h*s, :w*s]) before comparing")
    if img.shape[0] <= 2 * crop_border or img.shape[1] <= 2 * crop_border:
        raise ValueError(f"{name}: crop_border={crop_border} shaves away the whole {img.shape[:2]} image")
    if test_y_channel and not (gray1 or gray2):
        img, img2 = rgb2ycbcr(img)[..., None], rgb2ycbcr(img2)[..., None]
    if crop_border:
        img = img[crop_border:-crop_border, crop_border:-crop_border]
        img2 = img2[crop_border:-crop_border, crop_border:-crop_border]
    # contiguous float64: the same numbers whatever the memory layout (summation order) of the inputs
    return np.ascontiguousarray(img, np.float64), np.ascontiguousarray(img2, np.float64)


def _to_gray(img: np.ndarray) -> np.ndarray:
    """(H, W) / (H, W, 1) -> (H, W, 1); (H, W, 3) -> channel mean rounded half up, (H, W, 1)."""
    if img.ndim == 2:
        return img[..., None]
    if img.shape[2] == 1:
        return img
    return np.floor(img.astype(np.float64).mean(axis=2, keepdims=True) + 0.5)


def calculate_psnr(img: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool = True) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(255^2 / MSE)``; ``inf`` for identical images.

    Args:
        img, img2: ``(H, W, 3)`` RGB or ``(H, W)``/``(H, W, 1)`` gray, [0, 255] (see the module contract).
        crop_border: pixels shaved from each side (the scale, in SR papers).
        test_y_channel: compare the BT.601 Y channel (RGB inputs only).
    """
    a, b = _prepare(img, img2, crop_border, test_y_channel, "calculate_psnr")
    mse = np.mean((a - b) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0 ** 2 / mse))


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-x ** 2 / (2 * sigma ** 2))
    return g / g.sum()


def _filter_valid(img: np.ndarray, g: np.ndarray) -> np.ndarray:
    """'valid' separable filtering of (H, W) with the outer product g g^T: (H-10, W-10) for size 11."""
    k = len(g)
    h, w = img.shape
    rows = sum(g[i] * img[i:h - k + 1 + i] for i in range(k))
    return sum(g[j] * rows[:, j:w - k + 1 + j] for j in range(k))


def _ssim_channel(a: np.ndarray, b: np.ndarray) -> float:
    """MATLAB SSIM of one float64 channel in [0, 255]."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    g = _gaussian_1d()
    mu1, mu2 = _filter_valid(a, g), _filter_valid(b, g)
    s11 = _filter_valid(a * a, g) - mu1 ** 2
    s22 = _filter_valid(b * b, g) - mu2 ** 2
    s12 = _filter_valid(a * b, g) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s11 + s22 + c2))
    return float(ssim_map.mean())


def calculate_ssim(img: np.ndarray, img2: np.ndarray, crop_border: int, test_y_channel: bool = True) -> float:
    """Structural similarity (MATLAB's, see the module docstring), in [-1, 1]; 1 for identical images.

    Same arguments and input rules as :func:`calculate_psnr`. Each image must be at least 11x11 after
    shaving ``crop_border``.
    """
    a, b = _prepare(img, img2, crop_border, test_y_channel, "calculate_ssim")
    if a.shape[0] < 11 or a.shape[1] < 11:
        raise ValueError(f"calculate_ssim needs at least 11x11 pixels after shaving, got {a.shape[:2]}")
    return float(np.mean([_ssim_channel(a[..., c], b[..., c]) for c in range(a.shape[2])]))


# -- torch versions ----------------------------------------------------------------------------
def _prepare_pt(img: torch.Tensor, img2: torch.Tensor, crop_border: int, test_y_channel: bool,
                name: str) -> tuple[torch.Tensor, torch.Tensor]:
    for t in (img, img2):
        if not isinstance(t, torch.Tensor) or t.ndim != 4 or t.shape[1] not in (1, 3):
            shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name} expects tensors (N, 3, H, W) or (N, 1, H, W) in [0, 255], got {shape}")
    img, img2 = img.double(), img2.double()
    gray = img.shape[1] == 1 or img2.shape[1] == 1
    if gray:
        img, img2 = (t if t.shape[1] == 1 else torch.floor(t.mean(1, keepdim=True) + 0.5) for t in (img, img2))
    if img.shape != img2.shape:
        raise ValueError(f"{name}: tensor shapes differ: {tuple(img.shape)} vs {tuple(img2.shape)}")
    if crop_border < 0 or img.shape[2] <= 2 * crop_border or img.shape[3] <= 2 * crop_border:
        raise ValueError(f"{name}: bad crop_border={crop_border} for images of size {tuple(img.shape[2:])}")
    if test_y_channel and not gray:
        w = torch.as_tensor(_YCBCR[0], dtype=img.dtype, device=img.device).view(1, 3, 1, 1)
        img = (img * w).sum(1, keepdim=True) + 16.0
        img2 = (img2 * w).sum(1, keepdim=True) + 16.0
    if crop_border:
        img = img[..., crop_border:-crop_border, crop_border:-crop_border]
        img2 = img2[..., crop_border:-crop_border, crop_border:-crop_border]
    return img, img2


def calculate_psnr_pt(img: torch.Tensor, img2: torch.Tensor, crop_border: int,
                      test_y_channel: bool = True) -> torch.Tensor:
    """PSNR per image of two batches ``(N, C, H, W)`` in [0, 255] -> float64 tensor ``(N,)`` (inf if equal)."""
    a, b = _prepare_pt(img, img2, crop_border, test_y_channel, "calculate_psnr_pt")
    mse = ((a - b) ** 2).mean(dim=(1, 2, 3))
    return 10.0 * torch.log10(255.0 ** 2 / mse)


def calculate_ssim_pt(img: torch.Tensor, img2: torch.Tensor, crop_border: int,
                      test_y_channel: bool = True) -> torch.Tensor:
    """MATLAB SSIM per image of two batches ``(N, C, H, W)`` in [0, 255] -> float64 tensor ``(N,)``."""
    a, b = _prepare_pt(img, img2, crop_border, test_y_channel, "calculate_ssim_pt")
    if a.shape[2] < 11 or a.shape[3] < 11:
        raise ValueError(f"calculate_ssim_pt needs at least 11x11 pixels after shaving, got {tuple(a.shape[2:])}")
    c = a.shape[1]
    g = torch.as_tensor(_gaussian_1d(), dtype=a.dtype, device=a.device)
    window = torch.outer(g, g).expand(c, 1, 11, 11).contiguous()
    filt = lambda x: F.conv2d(x, window, groups=c)  # noqa: E731 - 'valid': no padding
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = filt(a), filt(b)
    s11 = filt(a * a) - mu1 ** 2
    s22 = filt(b * b) - mu2 ** 2
    s12 = filt(a * b) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s11 + s22 + c2))
    return ssim_map.mean(dim=(1, 2, 3))

