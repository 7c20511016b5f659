"""Only plain values reach a check: the grader wraps the student's functions so that a value of a type the
notebook made up is refused before any comparison sees it.

A check such as ``assert abs(mine - expected) < 1e-9`` trusts the arithmetic of ``mine``. A ``float``
subclass whose ``-``, ``==`` and ``<`` are rigged passes it while computing nothing; so does a tensor
subclass with a rigged ``__torch_function__``, or a ``tuple`` whose ``__eq__`` always says yes. Before every
check cell the grader runs ``guard(globals(), names)`` (:func:`guard`): each function the tasks define (and
``forward``/``__call__`` of each class they define) is wrapped so that its return value is inspected
(:func:`check_value`) and an :class:`UntrustedValueError` is raised, naming the type, when it holds anything
but

- exact builtins (``bool``, ``int``, ``float``, ``complex``, ``str``, ``bytes``, ``None``) and exact
  ``tuple``/``list``/``dict``/``set``/``frozenset`` of allowed values;
- instances of types defined by installed libraries (numpy arrays and scalars, torch tensors and modules,
  tinysr's ``Genotype``, an optimiser): the type must be reachable under its module and name, and that
  module must come from the environment, not from the notebook (``__main__``) or a file it wrote.

Numpy object arrays and dataclasses are inspected element by element. The check itself then fails with
that error, and the grader flags the task ``untrusted:<type>``. This runs inside the graded kernel.
"""
from __future__ import annotations

import dataclasses
import functools
import os
import sys
import types

__all__ = ["UntrustedValueError", "check_value", "guard", "GUARDED"]

GUARDED = "__tinysr_guarded__"
_BUILTIN = (bool, int, float, complex, str, bytes, type(None))
_CONTAINERS = (tuple, list, set, frozenset)


class UntrustedValueError(TypeError):
    """A student's function returned a value of a type the notebook defined (or could have rigged)."""


@functools.cache
def _roots() -> tuple[str, ...]:
    """Folders whose modules count as the environment's: the interpreter's prefixes and tinysr's parent."""
    here = os.path.dirname(os.path.abspath(__file__))                 # .../tinysr/assignments
    places = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(here))}
    return tuple(os.path.realpath(p) + os.sep for p in places)


_VERDICTS: dict[int, tuple[type, bool]] = {}     # by id: a rigged metaclass could fake == and hash


def _trusted_type(t: type) -> bool:
    seen = _VERDICTS.get(id(t))
    if seen is not None and seen[0] is t:
        return seen[1]
    verdict = _judge(t)
    _VERDICTS[id(t)] = (t, verdict)
    return verdict


def _judge(t: type) -> bool:
    module = sys.modules.get(getattr(t, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return False
    obj = module
    for part in getattr(t, "__qualname__", "?").split("."):
        obj = getattr(obj, part, None)
    if obj is not t or type(t) is not type and not _trusted_type(type(t)):     # a home-made metaclass
        return False
    path = getattr(module, "__file__", None)
    root = module.__name__.split(".")[0]
    if path is None:
        return root in sys.builtin_module_names or root in getattr(sys, "stdlib_module_names", ())
    return os.path.realpath(path).startswith(_roots())


def check_value(value, where: str = "the value", depth: int = 0) -> None:
    """Raise :class:`UntrustedValueError` if ``value`` is not a plain value (see the module docstring)."""
    t = type(value)                      # compared by identity: a metaclass could rig ==
    if any(t is b for b in _BUILTIN):
        return
    if depth > 20:
        raise UntrustedValueError(f"{where} is nested more than 20 levels deep")
    if any(t is c for c in _CONTAINERS):
        for i, item in enumerate(value):
            check_value(item, f"{where}[{i}]", depth + 1)
        return
    if t is dict:
        for key, item in value.items():
            check_value(key, f"a key of {where}", depth + 1)
            check_value(item, f"{where}[{key!r}]", depth + 1)
        return
    if not _trusted_type(t):
        raise UntrustedValueError(f"{where} is a {t.__module__}.{t.__qualname__}, a type this notebook defines "
                                  "(or one not installed in the environment); return plain values -- numbers, "
                                  "strings, numpy arrays, torch tensors, tuples, lists, dicts of them")
    if t.__module__.split(".")[0] == "numpy" and getattr(value, "dtype", None) is not None \
            and value.dtype.kind == "O":
        for i, item in enumerate(value.flat):
            check_value(item, f"{where}.flat[{i}]", depth + 1)
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            check_value(getattr(value, f.name), f"{where}.{f.name}", depth + 1)


def _wrap(fn, name: str):
    if getattr(fn, GUARDED, False):
        return fn

    @functools.wraps(fn)
    def guarded(*args, **kwargs):
        out = fn(*args, **kwargs)
        check_value(out, f"the value returned by {name}")
        return out

    setattr(guarded, GUARDED, True)
    return guarded


def guard(namespace: dict, names) -> None:
    """Wrap, in ``namespace``, each function named in ``names`` and the ``forward``/``__call__`` of each
    class named there that the notebook defined; already wrapped ones are left alone."""
    for name in names:
        obj = namespace.get(name)
        if isinstance(obj, types.FunctionType):
            namespace[name] = _wrap(obj, name)
        elif isinstance(obj, type) and not _trusted_type(obj):
            for method in ("forward", "__call__"):
                fn = obj.__dict__.get(method)
                if isinstance(fn, types.FunctionType):
                    setattr(obj, method, _wrap(fn, f"{name}.{method}"))
