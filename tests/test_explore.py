"""tinysr.widgets.explore: the three explorables' numbers (softmax temperature, genotype builder, bicubic
widening) against the library's own counts and a measured receptive field, and each widget redraws when a
control changes (the observers, called by setting the value; no browser)."""
from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import numpy as np
import pytest
import torch

import tinysr
from tinysr.widgets import explore as E


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# -- softmax temperature --------------------------------------------------------------------------------------
def test_temperature_probs_sum_to_one_and_sharpen_as_T_falls():
    alpha = E.default_alpha_row(3)
    temps = [5.0, 2.0, 1.0, 0.5, 0.2, 0.05]
    rs = [E.temperature_probs(alpha, T) for T in temps]
    for r in rs:
        assert r["probs"].shape == (9,) and abs(r["probs"].sum() - 1) < 1e-12 and (r["probs"] > 0).all()
    entropies, tops = [r["entropy"] for r in rs], [r["top_prob"] for r in rs]
    assert all(a > b for a, b in zip(entropies, entropies[1:])), entropies
    assert all(a < b for a, b in zip(tops, tops[1:])), tops
    assert entropies[0] < math.log(9) and rs[-1]["top_prob"] > 0.99
    assert {r["top_op"] for r in rs} == {tinysr.PRIMITIVES[int(np.argmax(alpha))]}   # T never reorders the ops
    assert np.allclose(E.temperature_probs(alpha, 1.0)["probs"], torch.softmax(torch.tensor(alpha), 0).numpy())


def test_temperature_probs_refuses_bad_input():
    with pytest.raises(ValueError, match="T must be > 0"):
        E.temperature_probs(None, 0.0)
    with pytest.raises(ValueError, match="9 logits"):
        E.temperature_probs([0.0, 1.0], 1.0)


def test_temperature_widget_redraws_when_T_changes():
    box = E.softmax_temperature_explorer()
    assert isinstance(box, W.VBox) and isinstance(box.controls["T"], W.FloatLogSlider)
    image = next(c for c in box.children if isinstance(c, W.Image))
    before, png = box.result, image.value
    assert png[:4] == b"\x89PNG"
    box.controls["T"].value = 0.1
    assert box.result["T"] == pytest.approx(0.1) and box.result["top_prob"] > before["top_prob"]
    assert image.value != png


# -- genotype builder -----------------------------------------------------------------------------------------
CASES = [(("conv_1x1", "sep_conv_7x7", "sep_conv_5x5"), 48, 6, 2),
         (("conv_7x7", "dil_conv_3x3", "conv_1x1"), 12, 3, 3),
         (("sep_conv_3x3", "conv_5x5", "dil_conv_5x5"), 20, 8, 4),
         (("conv_3x3",) * 3, 4, 2, 2)]


@pytest.mark.parametrize("ops, channels, cells, scale", CASES)
def test_builder_numbers_equal_the_built_network(ops, channels, cells, scale):
    r = E.genotype_numbers(ops, channels, cells, scale)
    net = tinysr.DLSRNet(tinysr.Genotype(ops, E.chain_inputs(cells), channels=channels, cells=cells), scale)
    assert r["params"] == tinysr.count_params(net)
    assert r["multi_adds"] == tinysr.multi_adds(net, scale)


def test_builder_numbers_for_published_dlsr_and_a_one_input_wiring():
    dlsr = tinysr.GENOTYPES["dlsr"]
    r = E.genotype_numbers(dlsr.ops, 48, 6, 2, dlsr.inputs)
    assert (r["params"], r["multi_adds"]) == (322_620, 67_306_238_496)      # docs/paper.md's DLSR x2
    inputs = ((1,), (1, 2, 3), (4,))                                          # not 2 per cell: built and counted
    r = E.genotype_numbers(dlsr.ops, 8, 5, 2, inputs)
    net = tinysr.DLSRNet(tinysr.Genotype(dlsr.ops, inputs, channels=8, cells=5), 2)
    assert r["params"] == tinysr.count_params(net) and r["multi_adds"] == tinysr.multi_adds(net, 2)


@pytest.mark.parametrize("ops, cells, inputs", [
    (("conv_1x1",) * 3, 2, ()),
    (("sep_conv_7x7", "dil_conv_5x5", "conv_3x3"), 3, None),
    (("dil_conv_3x3", "conv_5x5", "sep_conv_3x3"), 5, ((1,), (1, 3), (2,))),     # longest path B1-B3-B4: 3 cells
])
def test_receptive_field_formula_equals_a_measured_perturbation(ops, cells, inputs):
    torch.manual_seed(0)
    g = tinysr.Genotype(ops, E.chain_inputs(cells) if inputs is None else inputs, channels=8, cells=cells)
    net = tinysr.DLSRNet(g, 2)
    rf = E.conv_receptive_field(g)
    assert E.measured_receptive_field(net, rf + 16) == rf
    # ESA's live mask reaches further than the convolutions
    assert E.measured_receptive_field(net, rf + 16, freeze_esa=False) > rf


def test_receptive_field_grows_with_the_ops_and_the_depth():
    small = E.conv_receptive_field(tinysr.Genotype(("conv_1x1",) * 3, E.chain_inputs(4), channels=8, cells=4))
    big = E.conv_receptive_field(tinysr.Genotype(("conv_7x7",) * 3, E.chain_inputs(4), channels=8, cells=4))
    deep = E.conv_receptive_field(tinysr.Genotype(("conv_7x7",) * 3, E.chain_inputs(6), channels=8, cells=6))
    assert small == 7 + 4 * 2 and big == 7 + 4 * 20 and deep == 7 + 6 * 20


def test_builder_widget_updates_when_a_control_changes():
    box = E.genotype_builder()
    assert set(box.controls) == {"op1", "op2", "op3", "channels", "cells", "scale"}
    text = next(c for c in box.children if isinstance(c, W.HTML))
    assert box.result["params"] == 322_620 and "322,620" in text.value   # DLSR's ops, 48 channels, 6 cells, x2
    box.controls["op2"].value = "conv_1x1"
    assert box.result["genotype"].ops[1] == "conv_1x1" and box.result["params"] < 322_620
    box.controls["cells"].value = 3
    box.controls["scale"].value = 4
    r = box.result
    net = tinysr.DLSRNet(r["genotype"], 4)
    assert r["params"] == tinysr.count_params(net) and f"{r['params']:,}" in text.value


# -- bicubic widening -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("s", [1.5, 2.0, 2.25, 3.0, 4.0])
def test_bicubic_weights_sum_to_one_and_span_4s(s):
    r = E.bicubic_kernels(s)
    assert r["down_weights"].shape[1] == math.ceil(4 * s) + 2           # the taps contributions() computes
    assert np.allclose(r["down_weights"].sum(1), 1) and np.allclose(r["up_weights"].sum(1), 1)
    assert 4 * s - 2 <= r["down_support"] <= 4 * s                     # nonzero over (almost) 4 s input pixels
    assert r["up_support"] == 3 and r["up_weights"].shape[1] == 6      # enlarging: 4 taps, not widened
    nz = r["down_row"] != 0
    assert (np.abs(r["down_offsets"][nz]) < 2 * s).all()                # inside the widened support +-2 s
    raw = tinysr.cubic(r["down_offsets"] / s) / s                       # the widened kernel k(t/s)/s at the taps
    assert abs(raw.sum() - 1) < 0.02 and np.allclose(r["down_row"], raw / raw.sum())   # peak 1/s, area 1
    hr = np.random.default_rng(0).integers(0, 256, (1, math.ceil(16 * s)), dtype=np.uint8)
    by_hand = (hr[0][r["down_indices"]] * r["down_weights"]).sum(1)     # the same weights as imresize's pass
    assert np.abs(tinysr.imresize(hr, 1 / s)[0].astype(float) - by_hand).max() <= 0.5 + 1e-9


def test_bicubic_at_s_1_is_the_identity_and_bad_s_is_refused():
    r = E.bicubic_kernels(1.0)
    assert r["down_support"] == 0 and np.allclose(r["down_row"].max(), 1)
    with pytest.raises(ValueError, match="downscale factor"):
        E.bicubic_kernels(0.5)


def test_bicubic_widget_redraws_when_s_changes():
    box = E.bicubic_widening_explorer()
    image = next(c for c in box.children if isinstance(c, W.Image))
    png = image.value
    box.controls["s"].value = 3.5
    assert box.result["s"] == 3.5 and box.result["down_weights"].shape[1] == 16 and image.value != png
