"""Random networks at a parameter budget: genotypes drawn uniformly from the search space, kept when their
size is within a window of the budget (rejection sampling).

The size of a derived network depends on its 3 ops only: every cell B3..Bn fuses exactly 2 predecessors,
so which ones does not change a single parameter. With ``F`` the fixed part and ``c_k`` op k's params at
the retraining width (:func:`tinysr.space.cost.fixed_and_op_costs`, exact)::

    params(g) = F + cells * (c_{op1} + c_{op2} + c_{op3})

So the feasible range is known in closed form, and a budget whose window holds no op triple fails at once,
naming the range and the nearest sizes there are. Draws are :func:`tinysr.genotype.random_genotype`
(ops and connections uniform) from ``random.Random(seed)``: the same seed gives the same networks. A drawn
genotype already kept is drawn again (the N networks are distinct).
"""
from __future__ import annotations

import itertools
import math
import random

from ..genotype import Genotype, random_genotype
from ..space.cost import fixed_and_op_costs, genotype_size

__all__ = ["WINDOW", "params_of", "feasible_range", "in_window", "sample_in_budget"]

WINDOW = 0.15          # a random network counts for budget B when |params - B| <= WINDOW * B
MAX_DRAWS = 200_000    # rejection-sampling draws per budget before giving up


def params_of(genotype: Genotype, channels: int | None = None, scale: int = 2) -> int:
    """Parameters of ``genotype`` built at width ``channels`` (None: its own), without building it."""
    return genotype_size(genotype.ops, channels or genotype.channels, genotype.cells, scale)


def _triple_sizes(channels: int, cells: int, scale: int) -> list[int]:
    fixed, costs = fixed_and_op_costs(channels, cells, scale, "params")
    return sorted(int(round(fixed + cells * sum(t))) for t in itertools.product(costs, repeat=3))


def feasible_range(channels: int, cells: int, scale: int = 2) -> tuple[int, int]:
    """``(smallest, largest)`` parameter count of any network of the space at this width and depth."""
    sizes = _triple_sizes(channels, cells, scale)
    return sizes[0], sizes[-1]


def in_window(params: int, budget: int, window: float = WINDOW) -> bool:
    """``|params - budget| <= window * budget``."""
    return abs(params - budget) <= window * budget


def sample_in_budget(budget: int, n: int, channels: int, cells: int, scale: int = 2, *, seed: int = 0,
                     window: float = WINDOW, max_draws: int = MAX_DRAWS) -> list[Genotype]:
    """``n`` distinct genotypes (width ``channels``, ``cells`` cells) whose parameter count is within
    ``window`` of ``budget``, by rejection sampling from ``random.Random(seed)``. Raises ``ValueError``
    naming the feasible range when no network (or fewer than ``n``) fits, or when ``max_draws`` draws
    were not enough."""
    if budget <= 0 or n < 0:
        raise ValueError(f"a budget must be a parameter count > 0 and n >= 0; got budget={budget}, n={n}")
    lo, hi = (1 - window) * budget, (1 + window) * budget
    sizes = _triple_sizes(channels, cells, scale)
    fits = sum(lo <= s <= hi for s in sizes)
    where = (f"networks of {cells} cells at width {channels} have {sizes[0]:,}..{sizes[-1]:,} parameters "
             f"(x{scale})")
    if not fits:
        below = max((s for s in sizes if s < lo), default=None)
        above = min((s for s in sizes if s > hi), default=None)
        near = ", ".join(f"{s:,}" for s in (below, above) if s is not None)
        raise ValueError(f"budget {budget:,} is infeasible: no network is within {window:.0%} of it; {where}, "
                         f"the nearest sizes are {near}. Choose budgets in that range (e.g. --budgets "
                         f"{int(sizes[0] * 1.2)},{int(math.sqrt(sizes[0] * sizes[-1]))})")
    wiring = math.prod(math.comb(j - 1, 2) for j in range(3, cells + 1))
    if fits * wiring < n:
        raise ValueError(f"budget {budget:,}: only {fits * wiring} distinct networks are within {window:.0%} of "
                         f"it ({where}); ask for fewer random networks (--random {fits * wiring}) or another budget")
    rng, kept = random.Random(seed), []
    for _ in range(max_draws):
        if len(kept) == n:
            return kept
        g = random_genotype(rng, channels, cells)
        if lo <= params_of(g, scale=scale) <= hi and g not in kept:
            kept.append(g)
    if len(kept) == n:
        return kept
    raise ValueError(f"budget {budget:,}: {max_draws:,} random draws gave only {len(kept)} of {n} networks within "
                     f"{window:.0%} ({fits} of the {len(sizes)} op triples fit; {where}); choose a budget "
                     "nearer the middle of the range or ask for fewer random networks")
