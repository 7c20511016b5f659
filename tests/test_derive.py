"""Deriving under a budget (tinysr.space.derive): the most probable genotype whose size meets the budget."""
import itertools
import math

import numpy as np
import pytest
import torch

from tinysr import PRIMITIVES, DLSRNet, count_params, override, preset
from tinysr.search import Search
from tinysr.space import SuperNet
from tinysr.space.cost import fixed_and_op_costs
from tinysr.space.derive import best_ops_in_budget, budget_violation, derive_in_budget

WIDTH = 24


def _net(ops_logits: dict[int, str], seed: int = 0) -> SuperNet:
    """A 16-channel supernet whose alpha favours ``ops_logits[position]`` (+3) over small noise."""
    torch.manual_seed(seed)
    net = SuperNet(C=16, cells=4, scale=2)
    with torch.no_grad():
        net.alpha.copy_(0.3 * torch.randn(3, 9))
        for pos, name in ops_logits.items():
            net.alpha[pos, PRIMITIVES.index(name)] += 3.0
    return net


def _params(genotype) -> int:
    from dataclasses import replace
    return count_params(DLSRNet(replace(genotype, channels=WIDTH), 2))


def _brute_force(net: SuperNet, budget: float, mode: str) -> tuple[str, ...]:
    """An independent enumeration with numpy: every op triple's size and joint log-probability."""
    fixed, costs = fixed_and_op_costs(WIDTH, net.n_cells, net.scale, "params")
    logp = torch.log_softmax(net.alpha.detach().double(), dim=-1).numpy()
    k = np.array(list(itertools.product(range(9), repeat=3)))
    sizes = fixed + net.n_cells * np.asarray(costs)[k].sum(axis=1)
    score = logp[0, k[:, 0]] + logp[1, k[:, 1]] + logp[2, k[:, 2]]
    ratio = np.abs(np.log(sizes / budget)) if mode == "target" else np.log(sizes / budget)
    limit = math.log1p(0.1) if mode == "target" else 0.0
    ok = ratio <= limit + 1e-12
    assert ok.any()
    best = k[ok][np.argmax(score[ok])]
    return tuple(PRIMITIVES[i] for i in best)


@pytest.mark.parametrize("budget,mode", [(60_000, "max"), (100_000, "target"), (150_000, "target")])
def test_derived_network_meets_the_budget_and_is_the_most_probable_that_does(budget, mode):
    net = _net({0: "conv_7x7", 1: "conv_7x7", 2: "conv_5x5"})        # argmax: ~320k params at 24 channels
    assert _params(net.derive()) > 2 * budget
    geno = derive_in_budget(net, "params", WIDTH, budget, mode)
    size = _params(geno)
    assert budget_violation(size, budget, mode) == 0.0, size
    assert geno.ops == _brute_force(net, budget, mode)
    assert geno.inputs == net.derive().inputs and geno.channels == net.C


def test_argmax_that_meets_the_budget_is_kept():
    net = _net({0: "sep_conv_3x3", 1: "conv_1x1", 2: "dil_conv_3x3"})
    plain = net.derive()
    assert derive_in_budget(net, "params", WIDTH, 10 * _params(plain), "max") == plain


def test_a_budget_outside_the_space_gives_the_closest_network():
    net = _net({0: "conv_7x7", 1: "conv_7x7", 2: "conv_7x7"})
    fixed, costs = fixed_and_op_costs(WIDTH, 4, 2, "params")
    cheapest = min(range(9), key=lambda i: costs[i])
    geno = derive_in_budget(net, "params", WIDTH, 1_000, "max")
    assert geno.ops == (PRIMITIVES[cheapest],) * 3


def test_best_ops_checks_its_budget():
    with pytest.raises(ValueError, match="budget must be > 0"):
        best_ops_in_budget(torch.zeros(3, 9), 0.0, (1.0,) * 9, 4, 0.0)
    with pytest.raises(ValueError, match="budget mode"):
        budget_violation(1.0, 1.0, "exact")


def test_search_derives_by_its_setting():
    cfg = override(preset("smoke"), {"search.budget_params": 60_000, "search.lambda_cost": 1.0,
                                     "train.channels": WIDTH})
    search = Search(cfg, "cpu")
    with torch.no_grad():
        search.net.alpha.zero_()
        search.net.alpha[:, PRIMITIVES.index("conv_7x7")] = 2.0
    assert _params(search.derive()) <= 60_000 < _params(search.net.derive())
    argmax = Search(override(cfg, {"search.derive": "argmax"}), "cpu")
    argmax.net.load_state_dict(search.net.state_dict())
    assert argmax.derive() == search.net.derive()
    record = search.record((torch.rand(1, 3, 24, 24) * 255, torch.rand(1, 3, 48, 48) * 255))
    assert record["derived_params"] <= 60_000 < record["argmax_params"]
    assert record["argmax_ops"] == ["conv_7x7"] * 3


def test_configs_saved_before_the_field_keep_the_argmax_derivation():
    from tinysr.config import Config
    saved = preset("laptop").to_dict()
    assert saved["search"]["derive"] == "budget"
    del saved["search"]["derive"]
    assert Config.from_dict(saved).search.derive == "argmax"      # what such a run did: its reruns agree
