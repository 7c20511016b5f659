"""The released checkpoints as the oracle for the network definition: every key and shape loads, and
tinysr's network + benchmark code reproduce the paper's x2 PSNR-Y / SSIM-Y.

Published (paper, x2): DLSR Set5 38.04 / 0.9606, Set14 33.54 / 0.9179, B100 32.24 / 0.9003;
DLSR-tiny Set5 37.72 / 0.9595. Set5 runs in the default suite (~35 s on 2 cores); Set14 and B100 are slow.
"""
from __future__ import annotations

import pytest
import torch

from tinysr.complexity import count_params
from tinysr.model import load_official, official_name

FILES = {
    "dlsr": "RFDN_beta21_ps128_20210128_1000.pt",
    "dlsr_para": "RFDN_beta1_para_loss.pt",
    "dlsr_tiny": "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt",
}
PARAMS = {"dlsr": 322_620, "dlsr_para": 327_804, "dlsr_tiny": 56_268}


@pytest.fixture(scope="module")
def models(official_dir):
    return {name: load_official(official_dir / f, name) for name, f in FILES.items()}


@pytest.mark.parametrize("name", list(FILES))
def test_exact_key_and_shape_match(name, models, official_dir):
    model = models[name]
    sd = torch.load(official_dir / FILES[name], map_location="cpu", weights_only=True)["state_dict"]
    ours = model.state_dict()
    assert {official_name(k) for k in ours} == set(sd)
    for k, v in ours.items():
        assert torch.equal(v, sd[official_name(k)]), k
    assert count_params(model) == PARAMS[name] and model.scale == 2 and not model.training


def _check(models, benchmarks_dir, name, set_name, psnr, ssim, psnr_tol, ssim_tol):
    from tinysr.evaluate import evaluate

    res = evaluate(models[name], benchmarks_dir, [set_name], 2)["sets"][set_name]
    assert abs(res["psnr"] - psnr) <= psnr_tol, f"{name} {set_name} PSNR {res['psnr']:.3f} vs published {psnr}"
    assert abs(res["ssim"] - ssim) <= ssim_tol, f"{name} {set_name} SSIM {res['ssim']:.4f} vs published {ssim}"


@pytest.mark.parametrize("name, psnr, ssim", [("dlsr", 38.04, 0.9606), ("dlsr_tiny", 37.72, 0.9595)])
def test_set5_x2_matches_paper(name, psnr, ssim, models, benchmarks_dir):
    _check(models, benchmarks_dir, name, "Set5", psnr, ssim, 0.02, 0.001)


@pytest.mark.slow
@pytest.mark.parametrize("set_name, psnr, ssim", [("Set14", 33.54, 0.9179), ("B100", 32.24, 0.9003)])
def test_dlsr_set14_b100_x2_match_paper(set_name, psnr, ssim, models, benchmarks_dir):
    _check(models, benchmarks_dir, "dlsr", set_name, psnr, ssim, 0.05, 0.002)
