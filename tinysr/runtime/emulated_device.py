"""An emulated GPU on the CPU: a machine without a GPU catches the device mistakes a GPU would crash on.

``TINYSR_EMULATE_DEVICE=1`` (``make test-device``, docs/devices.md) installs :class:`EmulatedDevice` for the
whole process when ``tinysr`` is imported, and :func:`tinysr.runtime.devices.get_device` then returns
:data:`EMULATED`, ``torch.device("cpu", 0)``: a real CPU device to torch's kernels, but a different
``torch.device`` from the host's plain ``cpu``. The mode (a ``torch.overrides.TorchFunctionMode``, which sees
every torch call made from Python) keeps the set of *placed* tensors -- those on the emulated device:

- results of ``.to(EMULATED)`` / ``.cuda()`` and of factories called with ``device=EMULATED`` (when ``.to``
  would return its input, the result is a copy, as on a GPU); parameters whose ``.data`` becomes a placed
  tensor (``nn.Module.to``), parameters made from placed data, ``.grad`` of placed parameters (when read);
- every output of an op with a placed input, except the moves to the host (``.cpu()``, ``.to("cpu")``).

An op that mixes a placed tensor with a host tensor of one or more dimensions raises CUDA's
``RuntimeError`` ("Expected all tensors to be on the same device ..."), and ``.numpy()`` of a placed tensor
raises CUDA's ``TypeError``. What CUDA allows stays allowed: 0-dim host tensors (scalars), ``copy_`` either
way (``load_state_dict``), ``.to``, host index tensors and masks, copies into basic slices. A placed tensor's
``.device`` reads ``cpu:0``, so ``x.to(next(model.parameters()).device)`` moves ``x`` as on a GPU. Weak
references only. Not emulated: docs/devices.md, "Limits".
"""
from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode, resolve_name

__all__ = ["EMULATED", "ENV_VAR", "EmulatedDevice", "emulating", "emulation", "install", "uninstall", "is_placed"]

EMULATED = torch.device("cpu", 0)
ENV_VAR = "TINYSR_EMULATE_DEVICE"
_HOST = torch.device("cpu")

# id(tensor) -> weak reference to it; an entry dies with its tensor (ids are reused: compare the referent)
_placed: dict[int, weakref.ref] = {}


def is_placed(t: Any) -> bool:
    """Whether ``t`` is a tensor on the emulated device."""
    ref = _placed.get(id(t))
    return ref is not None and ref() is t


def _set(t: Any, placed: bool) -> None:
    """Put the tensor ``t`` on the emulated device (``placed``) or the host; other values are ignored."""
    if not isinstance(t, torch.Tensor) or is_placed(t) == placed:
        return
    key = id(t)
    if placed:
        _placed[key] = weakref.ref(t, lambda ref, key=key: _placed.get(key) is ref and _placed.pop(key))
    else:
        del _placed[key]


def _mark(out: Any) -> None:
    """Place the tensors an op returned (one tensor, or a tuple / list of them)."""
    if isinstance(out, torch.Tensor):
        _set(out, True)
    elif isinstance(out, (tuple, list)):
        for t in out:
            _set(t, True)


def _tensors(args: tuple, kwargs: dict) -> Iterator[torch.Tensor]:
    """The tensors among the arguments, also inside a list or tuple argument (``torch.cat``, ``_foreach_*``)."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, (tuple, list)):
            for b in a:
                if isinstance(b, torch.Tensor):
                    yield b


def _name(func: Callable) -> str:
    return resolve_name(func) or getattr(func, "__qualname__", repr(func))


def _mix_error(func: Callable, host: torch.Tensor) -> RuntimeError:
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, cpu:0 (emulated GPU) and "
        f"cpu! (in {_name(func)}: a tensor of shape {tuple(host.shape)} is on the host while another is on the "
        "device; move it with tinysr.to_device(x, device). TINYSR_EMULATE_DEVICE=1 emulates a GPU on the CPU, "
        "see docs/devices.md)")


def _checked(func: Callable, args: tuple, kwargs: dict) -> bool:
    """Whether an input is placed; raises if one is and a host input has a dimension (CUDA's rule)."""
    placed, host = False, None
    for t in _tensors(args, kwargs):
        if is_placed(t):
            placed = True
        elif host is None and t.dim() > 0:
            host = t
    if placed and host is not None:
        raise _mix_error(func, host)
    return placed


def _on_emulated(device: Any) -> bool | None:
    """Whether a ``device=`` value or ``.to`` argument names the emulated device (None: it names none)."""
    if isinstance(device, torch.Tensor):
        return is_placed(device)
    if isinstance(device, (str, torch.device)):
        return torch.device(device) == EMULATED
    return None


def _to_host(value: Any) -> Any:
    """``value`` with the emulated device replaced by the host: the kernels run on the CPU either way."""
    return _HOST if isinstance(value, (str, torch.device)) and torch.device(value) == EMULATED else value


def _moved(func: Callable, args: tuple, kwargs: dict, placed: bool) -> torch.Tensor:
    """Run a move (``.to``, a factory with ``device=``) and put its result where ``placed`` says; a result
    that is an input whose placement would change is copied first (its input stays where it was)."""
    out = func(*(_to_host(a) for a in args), **{k: _to_host(v) for k, v in kwargs.items()})
    if isinstance(out, torch.Tensor) and is_placed(out) != placed and any(out is a for a in _tensors(args, kwargs)):
        out = out.clone()
    _set(out, placed)
    return out


def _to(func: Callable, args: tuple, kwargs: dict) -> Any:
    """``Tensor.to(device | other | dtype, ...)``: placed if the target is the emulated device (or a placed
    ``other``), on the host for another device, unchanged for a dtype alone."""
    target = None
    for a in (*args[1:], kwargs.get("device"), kwargs.get("other")):
        if (on := _on_emulated(a)) is not None:
            target = on
            break
    return _moved(func, args, kwargs, is_placed(args[0]) if target is None else target)


def _numpy(func: Callable, args: tuple, kwargs: dict) -> Any:
    if is_placed(args[0]):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to "
                        "host memory first. (cpu:0 is the emulated GPU of TINYSR_EMULATE_DEVICE=1, docs/devices.md)")
    return func(*args, **kwargs)


def _grad_get(func: Callable, args: tuple, kwargs: dict) -> Any:     # p.grad (autograd fills it outside the mode)
    _set(grad := func(*args, **kwargs), is_placed(args[0]))
    return grad


def _grad_set(func: Callable, args: tuple, kwargs: dict) -> Any:
    param, grad = args[0], args[1]
    if isinstance(grad, torch.Tensor) and is_placed(grad) != is_placed(param):
        raise RuntimeError("assigned grad has data located on a different device (cpu:0: the emulated GPU)")
    return func(*args, **kwargs)


def _data_set(func: Callable, args: tuple, kwargs: dict) -> Any:
    """``p.data = x`` (``nn.Module.to`` does this for every parameter): ``p`` is now where ``x`` is."""
    out = func(*args, **kwargs)
    _set(args[0], is_placed(args[1]))
    return out


def _unchecked(func: Callable, args: tuple, kwargs: dict) -> Any:
    """Ops that CUDA runs across devices and that leave ``self`` where it is (``copy_``, ``view_as``, ...)."""
    if kwargs.get("device") is not None:     # new_tensor(data, device=...)
        return _moved(func, args, kwargs, bool(_on_emulated(kwargs["device"])))
    out = func(*args, **kwargs)
    if out is not args[0] and is_placed(args[0]):
        _mark(out)
    return out


def _type_as(func: Callable, args: tuple, kwargs: dict) -> Any:     # x.type_as(other) moves x, as .to(other)
    return _moved(func, args, kwargs, is_placed(args[1] if len(args) > 1 else kwargs["other"]))


def _index_tensors(index: Any) -> list[torch.Tensor]:
    return [i for i in (index if isinstance(index, (tuple, list)) else (index,)) if isinstance(i, torch.Tensor)]


def _getitem(func: Callable, args: tuple, kwargs: dict) -> Any:
    """``x[index]``: host index tensors and masks are allowed; a placed index into a host tensor is not."""
    self, index = args[0], args[1]
    placed = is_placed(self)
    if not placed:
        for i in _index_tensors(index):
            if is_placed(i) and i.dim() > 0:
                raise _mix_error(func, self)
    out = func(*args, **kwargs)
    if placed:
        _mark(out)
    return out


def _setitem(func: Callable, args: tuple, kwargs: dict) -> Any:
    """``x[index] = value``: a basic index (ints, slices) copies across devices as ``copy_`` does; an index
    with tensors is ``index_put_``, where the value must be on ``x``'s device unless it is a scalar."""
    self, index, value = args[0], args[1], args[2]
    indices = _index_tensors(index)
    if indices:
        placed = is_placed(self)
        if not placed and any(is_placed(i) and i.dim() > 0 for i in indices):
            raise _mix_error(func, self)
        if isinstance(value, torch.Tensor) and value.dim() > 0 and is_placed(value) != placed:
            raise _mix_error(func, self if is_placed(value) else value)
    return func(*args, **kwargs)


_T = torch.Tensor
_SPECIAL: dict[Callable, Callable[[Callable, tuple, dict], Any]] = {
    _T.device.__get__: lambda f, a, k: EMULATED if is_placed(a[0]) else f(*a, **k),
    _T.get_device: lambda f, a, k: 0 if is_placed(a[0]) else f(*a, **k),
    _T.cuda: lambda f, a, k: _moved(_T.to, (a[0], EMULATED), {}, True),      # the emulated device is the GPU
    _T.cpu: lambda f, a, k: _moved(f, a, k, False),
    _T.to: _to, _T.grad.__get__: _grad_get, _T.grad.__set__: _grad_set, _T.data.__set__: _data_set,
    _T.numpy: _numpy, _T.__array__: _numpy, _T.type_as: _type_as, _T.__getitem__: _getitem,
    _T.__setitem__: _setitem, _T.copy_: _unchecked, _T.new_tensor: _unchecked, _T.view_as: _unchecked,
    _T.expand_as: _unchecked, _T.reshape_as: _unchecked, torch.is_same_size: _unchecked,
    torch._has_compatible_shallow_copy_type: _unchecked,
}


class EmulatedDevice(TorchFunctionMode):
    """Tracks which tensors are on the emulated device and refuses ops that mix them with host tensors
    (see the module docstring). Install it with :func:`install` or :func:`emulation`."""

    def __torch_function__(self, func: Callable, types: tuple, args: tuple = (), kwargs: dict | None = None) -> Any:
        kwargs = kwargs or {}
        special = _SPECIAL.get(func)
        if special is not None:
            return special(func, args, kwargs)
        device = kwargs.get("device")
        if device is not None:               # a factory or conversion: the device named decides
            return _moved(func, args, kwargs, bool(_on_emulated(device)))
        if not _placed:                      # nothing on the device yet: nothing to mix
            return func(*args, **kwargs)
        placed = _checked(func, args, kwargs)
        out = func(*args, **kwargs)
        if placed and not (args and out is args[0]):
            _mark(out)
        return out


_mode: EmulatedDevice | None = None
_parameter_new, _MODULE_TO = torch.nn.Parameter.__dict__["__new__"], torch.nn.Module.to


def _new_parameter(cls: type, data: torch.Tensor | None = None, requires_grad: bool = True) -> torch.nn.Parameter:
    """``nn.Parameter(data)`` (also in ``copy.deepcopy``): placed when ``data`` is."""
    param = _parameter_new.__func__(cls, data, requires_grad)
    _set(param, data is not None and is_placed(data))
    return param


def emulating() -> bool:      # installed? (then get_device() returns EMULATED)
    return _mode is not None


def _module_to(self: torch.nn.Module, *args: Any, **kwargs: Any) -> torch.nn.Module:
    """``Module.to(device=...)``: torch parses a keyword ``cpu:0`` as plain ``cpu``; pass it positionally."""
    if "device" in kwargs:
        args = (kwargs.pop("device"), *args)
    return _MODULE_TO(self, *args, **kwargs)


def install() -> EmulatedDevice:
    """Install the emulation for this thread until :func:`uninstall` (``import tinysr`` does this when the
    environment variable ``TINYSR_EMULATE_DEVICE`` is ``1``). Installing twice is one installation."""
    global _mode
    if _mode is None:
        mode = EmulatedDevice()
        mode.__enter__()
        torch.nn.Parameter.__new__ = staticmethod(_new_parameter)
        torch.nn.Module.to = _module_to
        _mode = mode
    return _mode


def uninstall() -> None:
    """Remove the emulation (what :func:`install` did; the mode must be the innermost one)."""
    global _mode
    if _mode is not None:
        _mode.__exit__(None, None, None)
        torch.nn.Parameter.__new__ = _parameter_new
        torch.nn.Module.to = _MODULE_TO
        _placed.clear()
        _mode = None


@contextlib.contextmanager
def emulation() -> Iterator[EmulatedDevice]:
    """``with emulation():`` the emulated device inside the block only (tests); already installed, it stays."""
    installed = emulating()
    mode = install()
    try:
        yield mode
    finally:
        if not installed:
            uninstall()
