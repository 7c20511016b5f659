"""tinysr.runtime.emulated_device: an emulated GPU on the CPU refuses what CUDA refuses and allows what CUDA allows.

Each test enters the emulation and leaves it (the ``emulated`` fixture), so the rest of the suite runs
without it; the last test checks, in subprocesses, that ``import tinysr`` installs it exactly when
``TINYSR_EMULATE_DEVICE=1``.
"""
from __future__ import annotations

import copy
import gc
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from tinysr.runtime import emulated_device as ed
from tinysr.runtime.devices import get_device, module_device, to_device

MIXED = "Expected all tensors to be on the same device"


@pytest.fixture
def emulated():
    with ed.emulation():
        yield get_device()


def _net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1))


def test_get_device_is_the_emulated_device(emulated):
    assert emulated == torch.device("cpu", 0) == ed.EMULATED != torch.device("cpu")
    assert get_device("cpu") == torch.device("cpu")
    assert get_device("cpu:0") == ed.EMULATED


def test_a_moved_model_refuses_a_host_input(emulated):
    net = _net().to(emulated)
    assert module_device(net) == emulated and all(b.device == emulated for b in net.buffers())
    with pytest.raises(RuntimeError, match=MIXED) as err:
        net(torch.rand(1, 3, 16, 16))
    assert "conv2d" in str(err.value) and "(1, 3, 16, 16)" in str(err.value)


def test_a_moved_input_runs_and_the_output_is_on_the_device(emulated):
    net = _net().to(emulated)
    x = torch.rand(1, 3, 16, 16)
    xd = to_device(x, emulated)
    out = net(xd)
    assert out.device == emulated and xd.device == emulated
    assert x.device == torch.device("cpu") and not ed.is_placed(x), "the host tensor stays on the host"
    assert xd.to(emulated) is xd, "a tensor already on the device is returned as is, as on a GPU"
    assert x.to(next(net.parameters()).device).device == emulated


def test_an_adam_step_with_clipping_on_a_moved_model(emulated):
    net = _net().to(emulated)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    before = [p.detach().cpu().clone() for p in net.parameters()]
    x = to_device(torch.rand(2, 3, 16, 16), emulated)
    (net(x) - x).abs().mean().backward()
    assert all(p.grad.device == emulated for p in net.parameters())
    nn.utils.clip_grad_norm_(net.parameters(), 0.1)
    opt.step()
    assert all(not torch.equal(b, p.detach().cpu()) for b, p in zip(before, net.parameters()))
    assert all(s.device == emulated for st in opt.state.values() for s in st.values() if s.dim())


def test_autograd_grad_and_assigned_grads(emulated):
    w = nn.Parameter(torch.rand(3, device=emulated))
    (g,) = torch.autograd.grad((w * w).sum(), [w])
    assert g.device == emulated
    w.grad = g
    with pytest.raises(RuntimeError, match="different device"):
        w.grad = torch.zeros(3)
    assert torch.rand(3).cuda().device == emulated, "the emulated device is the GPU of .cuda()"


def test_load_state_dict_from_host_tensors(emulated):
    host = _net()
    net = _net().to(emulated)
    with torch.no_grad():
        for p in host.parameters():
            p.add_(1.0)
    net.load_state_dict(host.state_dict())
    assert module_device(net) == emulated
    assert torch.equal(next(net.parameters()).detach().cpu(), next(host.parameters()).detach())


def test_numpy_needs_cpu_first(emulated):
    y = to_device(torch.rand(2, 3), emulated)
    assert y.cpu().numpy().shape == (2, 3)
    assert y.cpu() is not y and y.cpu().device == torch.device("cpu")
    with pytest.raises(TypeError, match="Use Tensor.cpu()"):
        y.numpy()
    with pytest.raises(TypeError, match="Use Tensor.cpu()"):
        np.asarray(y)
    assert to_device(np.ones((2, 2), np.float32), emulated).device == emulated


def test_what_cuda_allows_and_refuses(emulated):
    y = to_device(torch.rand(4, 3), emulated)
    assert (y * torch.tensor(2.0)).device == emulated, "a 0-dim host tensor is a scalar"
    assert (y * 2).device == emulated
    with pytest.raises(RuntimeError, match=MIXED):
        y + torch.ones(3)
    with pytest.raises(RuntimeError, match=MIXED):
        torch.cat([y, torch.rand(1, 3)])
    assert y[torch.tensor([0, 2])].device == emulated, "host index tensors are allowed"
    assert y[torch.rand(4) > 0.5].device == emulated, "host masks are allowed"
    y[0:2] = torch.zeros(2, 3)                                   # a basic slice copies across devices
    with pytest.raises(RuntimeError, match=MIXED):
        y[torch.tensor([0, 1])] = torch.zeros(2, 3)              # index_put_ wants the value on the device
    host = torch.zeros(4, 3)
    host.copy_(y)
    assert not ed.is_placed(host)
    assert torch.zeros(3, device=emulated).device == emulated
    assert torch.zeros_like(y).device == emulated
    assert torch.zeros_like(y, device="cpu").device == torch.device("cpu")


def test_parameters_made_or_copied_on_the_device(emulated):
    p = nn.Parameter(torch.zeros(3, device=emulated))
    assert p.device == emulated
    net = copy.deepcopy(_net().to(emulated))
    assert module_device(net) == emulated
    assert net(to_device(torch.rand(1, 3, 8, 8), emulated)).device == emulated
    net.cpu()
    assert module_device(net) == torch.device("cpu")
    assert net(torch.rand(1, 3, 8, 8)).device == torch.device("cpu")


def test_placement_is_weak():
    with ed.emulation() as mode:
        assert isinstance(mode, ed.EmulatedDevice)
        gc.collect()
        n = len(ed._placed)
        ts = [to_device(torch.rand(3), ed.EMULATED) for _ in range(50)]
        assert len(ed._placed) == n + 50
        del ts
        gc.collect()
        assert len(ed._placed) == n


def test_leaving_the_emulation_restores_torch():
    stack = torch._C._len_torch_function_stack()
    new = nn.Parameter.__dict__["__new__"]
    with ed.emulation():
        assert ed.emulating() and torch._C._len_torch_function_stack() == stack + 1
    assert not ed.emulating() and torch._C._len_torch_function_stack() == stack
    assert nn.Parameter.__dict__["__new__"] is new
    assert get_device() != ed.EMULATED


_PROBE = ("import torch, tinysr; from tinysr.runtime import emulated_device as ed; "
          "print(ed.emulating(), torch._C._len_torch_function_stack(), tinysr.get_device())")


@pytest.mark.parametrize("value, expected", [(None, "False 0"), ("1", "True 1 cpu:0")])
def test_import_installs_it_only_with_the_environment_variable(value, expected):
    env = {k: v for k, v in os.environ.items() if k != ed.ENV_VAR}
    if value is not None:
        env[ed.ENV_VAR] = value
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(expected), out.stdout


def test_module_to_with_a_device_keyword_places_the_parameters():
    """torch parses ``Module.to(device=cpu:0)`` as plain ``cpu``; the emulation must still place the module
    (``inherit_weights`` moves its network with ``.to(device=..., dtype=...)``)."""
    from tinysr.runtime.emulated_device import EMULATED, emulation, is_placed

    with emulation():
        assert is_placed(torch.nn.Linear(2, 2).to(device=EMULATED).weight)
        assert is_placed(torch.nn.Linear(2, 2).to(device=EMULATED, dtype=torch.float32).weight)
        assert not is_placed(torch.nn.Linear(2, 2).to(dtype=torch.float64).weight)
