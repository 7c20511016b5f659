"""The DLSR search spaces: cell level (``MixedOp``, ``SearchCell``, alpha) and network level
(``SuperNet``, betas), plus the differentiable expected cost used as the complexity penalty.

- :mod:`.mixed`    the readable reference ``MixedOp``: ``sum_k softmax(alpha)_k * op_k(x)``;
- :mod:`.fast`     ``FastMixedOp``, the same function computed with fewer, fused convolutions;
- :mod:`.supernet` ``SearchCell`` and ``SuperNet`` (weights() / alphas(), derive() -> Genotype);
- :mod:`.released` the authors' released supernet state dict <-> ``SuperNet`` keys;
- :mod:`.cost`     ``expected_cost(net, kind)``.
"""
from .cost import expected_cost
from .fast import FastMixedOp
from .mixed import MixedOp
from .supernet import SearchCell, SuperNet

__all__ = ["MixedOp", "FastMixedOp", "SearchCell", "SuperNet", "expected_cost"]
