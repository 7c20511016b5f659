"""``FastMixedOp`` computes the reference ``MixedOp``'s function: same parameters, same outputs, same
gradients (w.r.t. the input, every parameter and alpha), alone and inside a whole ``SuperNet``."""
from __future__ import annotations

import itertools

import pytest
import torch

from tinysr.model import DLSRNet
from tinysr.space import SuperNet
from tinysr.space.fast import (
    FastMixedOp,
    add_from_phases,
    from_phases,
    pad_kernel,
    pointwise_sum,
    rows,
    to_phases,
    unrows,
)
from tinysr.space.mixed import MixedOp
from tinysr.space.speed import is_channels_last, maybe_compile, set_channels_last, use_channels_last

# float64: only the order of additions differs -> ~1e-15 relative. float32 on [0, 255]-scale inputs:
# outputs are O(100), so a few 1e-6 relative (a few 1e-4 absolute) is reassociation noise.
RTOL = {torch.float64: 1e-10, torch.float32: 2e-5}
SETTINGS = list(itertools.product((False, True), repeat=4))   # (grouped, phases, channels_last, matmul)


def rel_err(a: torch.Tensor, b: torch.Tensor) -> float:
    """max |a - b| / max |a| (0 when both are 0)."""
    scale = a.abs().max().item()
    return (a - b).abs().max().item() / scale if scale else (a - b).abs().max().item()


def make_pair(C: int, dtype: torch.dtype, seed: int = 0) -> tuple[MixedOp, FastMixedOp]:
    torch.manual_seed(seed)
    ref = MixedOp(C).to(dtype)
    fast = FastMixedOp(C).to(dtype)
    fast.load_state_dict(ref.state_dict())
    return ref, fast


def run(op, x: torch.Tensor, alpha: torch.Tensor, probe: torch.Tensor):
    """Forward + backward of ``<op(x, softmax(alpha)), probe>``; returns output and all gradients."""
    x = x.detach().clone().requires_grad_()
    alpha = alpha.detach().clone().requires_grad_()
    op.zero_grad(set_to_none=True)
    y = op(x, torch.softmax(alpha, dim=0))
    (y * probe).sum().backward()
    grads = {name: p.grad.detach().clone() for name, p in op.named_parameters()}
    return y.detach(), x.grad, alpha.grad, grads


def assert_same(ref_op, fast_op, x, alpha, rtol):
    torch.manual_seed(123)
    probe = torch.randn(x.shape, dtype=x.dtype)
    y_r, gx_r, ga_r, gp_r = run(ref_op, x, alpha, probe)
    y_f, gx_f, ga_f, gp_f = run(fast_op, x, alpha, probe)
    assert y_f.shape == y_r.shape and y_f.dtype == y_r.dtype
    assert rel_err(y_r, y_f) < rtol, f"output: {rel_err(y_r, y_f):.2e}"
    assert rel_err(gx_r, gx_f) < rtol, f"grad x: {rel_err(gx_r, gx_f):.2e}"
    assert rel_err(ga_r, ga_f) < rtol, f"grad alpha: {rel_err(ga_r, ga_f):.2e}"
    assert gp_r.keys() == gp_f.keys()
    for name in gp_r:
        assert rel_err(gp_r[name], gp_f[name]) < rtol, f"grad {name}: {rel_err(gp_r[name], gp_f[name]):.2e}"
    return y_r, y_f


# -- the module itself -------------------------------------------------------------------------------
def test_same_parameters_and_state_dicts_both_ways():
    ref, fast = MixedOp(8), FastMixedOp(8)
    shapes_r = {k: v.shape for k, v in ref.state_dict().items()}
    shapes_f = {k: v.shape for k, v in fast.state_dict().items()}
    assert shapes_r == shapes_f
    assert list(shapes_r) == list(shapes_f)                       # same names in the same order
    fast.load_state_dict(ref.state_dict())                        # strict, both ways
    ref.load_state_dict(fast.state_dict())
    assert fast.aux == ref.aux == 0.0


def test_pad_kernel_keeps_the_kernel_centred():
    w = torch.arange(9.0).reshape(1, 1, 3, 3)
    p = pad_kernel(w, 7)
    assert p.shape == (1, 1, 7, 7)
    assert torch.equal(p[..., 2:5, 2:5], w) and p.sum() == w.sum()
    assert pad_kernel(w, 3) is w


@pytest.mark.parametrize("h,w", [(8, 6), (7, 9)])
def test_pixel_phases_round_trip_and_dilated_conv(h, w):
    x = torch.randn(2, 3, h, w, dtype=torch.float64)
    p = to_phases(x)
    assert p.shape == (8, 3, (h + 1) // 2, (w + 1) // 2)
    assert torch.equal(p[0:2, :, : h // 2 + h % 2, : w // 2 + w % 2], x[:, :, ::2, ::2])   # phase (even, even)
    assert torch.equal(from_phases(p, h, w), x)
    k = torch.randn(3, 1, 5, 5, dtype=torch.float64)
    dilated = torch.nn.functional.conv2d(x, k, padding=4, dilation=2, groups=3)
    plain = from_phases(torch.nn.functional.conv2d(p, k, padding=2, groups=3), h, w)
    assert rel_err(dilated, plain) < 1e-14


def test_rows_and_phase_add_are_exact():
    x = torch.randn(2, 3, 6, 4, dtype=torch.float64).contiguous(memory_format=torch.channels_last)
    m = rows(x)
    assert m.shape == (48, 3) and m.data_ptr() == x.data_ptr()                 # a view, no copy
    assert torch.equal(m[5], x[0, :, 1, 1]) and torch.equal(unrows(m, 2, 6, 4), x)
    y = to_phases(torch.randn(2, 3, 6, 4, dtype=torch.float64))
    s = add_from_phases(x, y)
    assert s.is_contiguous(memory_format=torch.channels_last)
    assert torch.equal(s, x + from_phases(y, 6, 4))
    P = [torch.randn(5, 3, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)]
    z = [torch.randn(7, 3, dtype=torch.float64), torch.randn(7, 2, dtype=torch.float64)]
    acc = torch.randn(7, 5, dtype=torch.float64)
    want = acc + z[0] @ P[0].t() + z[1] @ P[1].t()
    assert rel_err(want, pointwise_sum(acc, list(zip(z, P)))) < 1e-14
    assert rel_err(want - acc, pointwise_sum(None, list(zip(z, P)))) < 1e-14


@pytest.mark.parametrize("grouped,phases,channels_last,matmul", SETTINGS)
@pytest.mark.parametrize("size", [(11, 13), (10, 12)])                 # odd sides; even (phase-order mixing)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_output_and_all_gradients_match_reference(dtype, size, grouped, phases, channels_last, matmul):
    ref, fast = make_pair(8, dtype)
    fast.grouped, fast.phases, fast.channels_last, fast.matmul = grouped, phases, channels_last, matmul
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 8, *size, generator=g, dtype=dtype) * 255       # [0, 255] scale
    alpha = torch.randn(9, generator=g, dtype=dtype)
    y_r, y_f = assert_same(ref, fast, x, alpha, RTOL[dtype])
    if dtype == torch.float32:
        assert (y_r - y_f).abs().max() < 1e-3


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_aux_skip_is_kept(dtype):
    ref, fast = make_pair(8, dtype, seed=3)
    ref.aux = fast.aux = 0.7
    g = torch.Generator().manual_seed(2)
    x = torch.rand(1, 8, 9, 9, generator=g, dtype=dtype) * 255
    alpha = torch.randn(9, generator=g, dtype=dtype)
    assert_same(ref, fast, x, alpha, RTOL[dtype])


def test_peaked_weights_and_paper_width():
    """C = 48 (the paper), a nearly one-hot softmax (late in a search) and a channels_last input."""
    ref, fast = make_pair(48, torch.float32, seed=4)
    x = (torch.rand(2, 48, 10, 12) * 255).contiguous(memory_format=torch.channels_last)
    alpha = torch.tensor([0.0, 1.0, -2.0, 9.0, 0.5, -1.0, 2.0, 0.0, -3.0])
    assert_same(ref, fast, x, alpha, RTOL[torch.float32])


def test_plain_tensor_weights_and_no_grad():
    ref, fast = make_pair(8, torch.float64, seed=5)
    x = torch.rand(1, 8, 7, 7, dtype=torch.float64) * 255
    w = torch.softmax(torch.randn(9, dtype=torch.float64), 0)
    with torch.no_grad():
        assert rel_err(ref(x, w), fast(x, w)) < 1e-12
    one_hot = torch.zeros(9, dtype=torch.float64)
    one_hot[6] = 1.0                                               # only sep_conv_7x7
    assert rel_err(ref.ops[6](x), fast(x, one_hot)) < 1e-12


# -- inside the supernet -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_supernet_fast_equals_reference(dtype):
    torch.manual_seed(0)
    ref = SuperNet(C=8, cells=3, scale=2, fast=False).to(dtype)
    fast = SuperNet(C=8, cells=3, scale=2, fast=True).to(dtype)
    assert all(isinstance(op, FastMixedOp) for cell in fast.cells for op in cell.ops)
    fast.load_state_dict(ref.state_dict())
    with torch.no_grad():                                          # make the alphas non-uniform
        ref.alpha.copy_(torch.randn(ref.alpha.shape))
        fast.alpha.copy_(ref.alpha)
    g = torch.Generator().manual_seed(7)
    lr = torch.rand(2, 3, 16, 17, generator=g, dtype=dtype) * 255
    hr = torch.rand(2, 3, 32, 34, generator=g, dtype=dtype) * 255
    rtol = RTOL[dtype]                                             # measured: 7e-8 (float32), 1e-16

    outs = []
    for net in (ref, fast):
        net.zero_grad(set_to_none=True)
        sr = net(lr)
        torch.nn.functional.l1_loss(sr, hr).backward()
        outs.append((sr.detach(), [a.grad.clone() for a in net.alphas()],
                     {n: p.grad.clone() for n, p in net.named_parameters()}))
    (sr_r, ga_r, gp_r), (sr_f, ga_f, gp_f) = outs
    assert rel_err(sr_r, sr_f) < rtol
    for a, b in zip(ga_r, ga_f):                                   # alpha and every beta
        assert rel_err(a, b) < rtol * 5, rel_err(a, b)               # measured: 3e-7 (float32)
    if dtype == torch.float64:                                     # every weight gradient too
        for name in gp_r:
            assert rel_err(gp_r[name], gp_f[name]) < rtol, name


# -- network-wide switches (tinysr.space.speed) ------------------------------------------------------
def forward_backward(net, lr, hr):
    """SR output and every parameter's gradient of ``l1(net(lr), hr)``."""
    net.zero_grad(set_to_none=True)
    sr = net(lr)
    torch.nn.functional.l1_loss(sr, hr).backward()
    return sr.detach(), {n: p.grad.clone() for n, p in net.named_parameters()}


def lr_hr(dtype, size=(16, 18), n=2, seed=7):
    g = torch.Generator().manual_seed(seed)
    lr = torch.rand(n, 3, *size, generator=g, dtype=dtype) * 255
    hr = torch.rand(n, 3, 2 * size[0], 2 * size[1], generator=g, dtype=dtype) * 255
    return lr, hr


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_channels_last_fast_supernet_equals_reference_supernet(dtype):
    """The search path: reference SuperNet (MixedOp, NCHW) vs FastMixedOp + channels_last end to end,
    at even sides (the phase-order mixing) -- output, alpha/beta gradients, every weight gradient."""
    torch.manual_seed(0)
    ref = SuperNet(C=8, cells=3, scale=2, fast=False).to(dtype)
    fast = SuperNet(C=8, cells=3, scale=2, fast=True).to(dtype)
    fast.load_state_dict(ref.state_dict())
    with torch.no_grad():
        ref.alpha.copy_(torch.randn(ref.alpha.shape))
        fast.alpha.copy_(ref.alpha)
    assert set_channels_last(fast) is fast and is_channels_last(fast)
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in fast.parameters() if p.dim() == 4)
    lr, hr = lr_hr(dtype)
    (sr_r, g_r), (sr_f, g_f) = forward_backward(ref, lr, hr), forward_backward(fast, lr, hr)
    assert rel_err(sr_r, sr_f) < RTOL[dtype]
    assert (sr_r - sr_f).abs().max() < 1e-3
    for name in g_r:
        assert rel_err(g_r[name], g_f[name]) < RTOL[dtype], (name, rel_err(g_r[name], g_f[name]))
    # measured: output 1e-7 (float32, 1.5e-5 absolute) / 7e-16; worst gradient 1.3e-6 / 2e-15


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_channels_last_dlsrnet_equals_nchw(dtype):
    """The retraining path: the discrete network in NHWC computes what it computes in NCHW."""
    torch.manual_seed(1)
    ref = DLSRNet("dlsr", 2).to(dtype)
    net = DLSRNet("dlsr", 2).to(dtype)
    net.load_state_dict(ref.state_dict())
    set_channels_last(net)
    lr, hr = lr_hr(dtype, size=(15, 17), n=1)
    (sr_r, g_r), (sr_f, g_f) = forward_backward(ref, lr, hr), forward_backward(net, lr, hr)
    assert rel_err(sr_r, sr_f) < RTOL[dtype]
    for name in g_r:
        assert rel_err(g_r[name], g_f[name]) < RTOL[dtype], (name, rel_err(g_r[name], g_f[name]))


def test_set_channels_last_is_idempotent_reversible_and_keeps_state_dicts():
    torch.manual_seed(2)
    net = SuperNet(C=8, cells=3, scale=2, fast=True)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    params = list(net.parameters())
    set_channels_last(net)
    set_channels_last(net)                                            # twice: one hook, same parameters
    assert len(net._forward_pre_hooks) == 1
    assert all(a is b for a, b in zip(params, net.parameters()))      # optimisers keep valid references
    lr, _ = lr_hr(torch.float32)
    with torch.no_grad():
        y_cl = net(lr)
    plain = SuperNet(C=8, cells=3, scale=2, fast=True)
    plain.load_state_dict(net.state_dict())                           # NHWC state dict -> NCHW net
    assert all(torch.equal(before[k], v) for k, v in plain.state_dict().items())
    set_channels_last(net, False)
    assert not is_channels_last(net) and not net._forward_pre_hooks
    assert all(p.is_contiguous() for p in net.parameters())
    with torch.no_grad():
        assert rel_err(plain(lr), y_cl) < RTOL[torch.float32]
        assert torch.equal(net(lr), plain(lr))


def test_use_channels_last_resolves_settings():
    assert use_channels_last("auto", "cpu") is True
    assert use_channels_last("auto", torch.device("cuda")) is False
    assert use_channels_last("on", "cuda") is True and use_channels_last("off", "cpu") is False
    assert use_channels_last(True, "cpu") is True and use_channels_last(False, "cpu") is False
    with pytest.raises(ValueError, match="choose one of"):
        use_channels_last("yes", "cpu")


def test_maybe_compile_off_is_the_identity():
    net = SuperNet(C=8, cells=3, scale=2, fast=True)
    forward = net.forward
    assert maybe_compile(net, False) is net and net.forward == forward and net._compiled_call_impl is None


@pytest.mark.slow
def test_compiled_fast_op_matches_reference():
    """``torch.compile`` (Inductor; about a minute to compile on 2 CPU cores) keeps the function and
    every gradient, and the parameter names (compiled in place)."""
    ref, fast = make_pair(8, torch.float32, seed=6)
    assert maybe_compile(fast, True) is fast and fast._compiled_call_impl is not None
    g = torch.Generator().manual_seed(8)
    x = torch.rand(2, 8, 10, 12, generator=g) * 255
    alpha = torch.randn(9, generator=g)
    assert_same(ref, fast, x, alpha, RTOL[torch.float32])
