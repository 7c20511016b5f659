"""The bilevel search loop: parameter groups, resume, determinism, the NaN guard, derivation, Gumbel reruns (the
architecture step itself: tests/test_architect.py)."""
from __future__ import annotations

import json

import pytest
import torch
from support import micro_search, tiny_supernet

from tinysr.config import override, preset
from tinysr.search import run_search
from tinysr.space import SuperNet


def test_search_is_deterministic_and_resume_is_exact(tmp_path):
    cfg = micro_search()
    full = run_search(cfg, out=tmp_path / "full", progress=False)
    run_search(cfg, out=tmp_path / "again", progress=False)
    for name in ("genotype.json", "history.json"):
        assert (tmp_path / "full" / name).read_text() == (tmp_path / "again" / name).read_text()

    def stop_at_3(step, record):
        if step == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_search(cfg, out=tmp_path / "cut", progress=False, callbacks=[stop_at_3])
    assert json.loads((tmp_path / "cut" / "history.json").read_text())[-1]["step"] == 3
    resumed = run_search(cfg, out=tmp_path / "cut", resume=True, progress=False)
    for a, b in zip(full.net.alphas(), resumed.net.alphas()):
        assert torch.equal(a, b)
    assert (tmp_path / "full" / "history.json").read_text() == (tmp_path / "cut" / "history.json").read_text()
    assert full.genotype == resumed.genotype


def test_resume_refuses_other_settings(tmp_path):
    run_search(micro_search(), out=tmp_path, progress=False)
    with pytest.raises(ValueError, match="settings changed"):
        run_search(micro_search(**{"search.w_lr": 1e-2}), out=tmp_path, resume=True, progress=False)


def test_nan_guard_names_step_and_learning_rate(monkeypatch):
    import tinysr.search as search

    calls = {"n": 0}

    def exploding(sr, hr):
        calls["n"] += 1
        loss = torch.nn.functional.l1_loss(sr, hr)
        return loss * float("nan") if calls["n"] > 3 else loss

    monkeypatch.setattr(search, "get_loss", lambda *names: exploding)
    with pytest.raises(FloatingPointError, match=r"at step \d+.*learning rate"):
        run_search(micro_search(), progress=False)


def test_derive_ties_and_topk_are_deterministic():
    net = tiny_supernet(torch.float32)
    with torch.no_grad():
        net.alpha.zero_()
        for b in net.betas:
            b.zero_()
    g = net.derive()
    assert g.ops == ("conv_1x1",) * 3
    assert g.inputs == ((1, 2),)
    with torch.no_grad():
        net.alpha[1, 5] = 1.0
        net.betas[0][1] = 1.0
    assert net.derive().ops[1] == "sep_conv_5x5"


def test_weights_and_alphas_partition_parameters():
    net = SuperNet.from_config(preset("smoke"))
    w, a = {id(p) for p in net.weights()}, {id(p) for p in net.alphas()}
    assert not (w & a)
    assert w | a == {id(p) for p in net.parameters()}
    assert len(a) == 1 + (net.n_cells - 2)


@pytest.mark.parametrize("extra", [{"search.gumbel": True}, {"search.aux_skip": 0.5},
                                   {"search.objective": "val", "search.loss": "l1+hfen"}])
def test_search_options_run(extra):
    result = run_search(micro_search(**{"search.epochs": 1, **extra}), progress=False)
    assert len(result.genotype.ops) == 3


def gumbel_smoke(single_path: bool = False):
    """The smoke search with the laptop preset's sampling: hard Gumbel samples, a budget (whose size table is
    cached) and the temperature anneal; ``single_path``: only the sampled ops computed."""
    lap = preset("laptop").search
    return override(preset("smoke"), {"search.gumbel": True, "search.gumbel_hard": True, "search.epochs": 4,
                                      "search.single_path": single_path,
                                      "search.steps_per_epoch": 4, "search.log_every": 2,
                                      "search.budget_params": lap.budget_params, "search.lambda_cost": lap.lambda_cost,
                                      "search.tau_end": lap.tau_end, "search.tau_hold": lap.tau_hold})


def test_a_finished_search_resumed_returns_the_supernet_as_it_ended(tmp_path):
    """A study job stopped while retraining resumes its finished search from the last checkpoint: the supernet it
    gets back must forward as the uninterrupted one did (the alpha temperature of the last epoch, not 1)."""
    cfg = gumbel_smoke()
    full = run_search(cfg, out=tmp_path, progress=False)
    again = run_search(cfg, out=tmp_path, resume=True, progress=False)
    assert full.net.alpha_tau == again.net.alpha_tau == pytest.approx(preset("laptop").search.tau_end)
    x = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(full.net.eval()(x), again.net.eval()(x))


def test_gumbel_search_twice_in_one_process_agrees(tmp_path):
    from tinysr.space.cost import fixed_and_op_costs

    cfg = gumbel_smoke()
    fixed_and_op_costs.cache_clear()           # the first run fills the size table, the second finds it filled
    first = run_search(cfg, out=tmp_path / "a", progress=False)
    second = run_search(cfg, out=tmp_path / "b", progress=False)
    assert (tmp_path / "a" / "history.json").read_text() == (tmp_path / "b" / "history.json").read_text()
    assert first.genotype == second.genotype


@pytest.mark.parametrize("single_path", [False, True])
def test_gumbel_search_resumed_is_the_uninterrupted_one_bit_for_bit(tmp_path, single_path):
    from tinysr.space.cost import fixed_and_op_costs

    cfg = gumbel_smoke(single_path)
    full = run_search(cfg, out=tmp_path / "full", progress=False)

    def stop_at_6(step, record):
        if step == 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_search(cfg, out=tmp_path / "cut", progress=False, callbacks=[stop_at_6])
    fixed_and_op_costs.cache_clear()           # as in a new process: Ctrl-C, then `tinysr search --resume`
    torch.manual_seed(1234)                    # whatever the global generator holds, the samples are the search's
    resumed = run_search(cfg, out=tmp_path / "cut", resume=True, progress=False)
    for name in ("history.json", "genotype.json"):
        assert (tmp_path / "full" / name).read_bytes() == (tmp_path / "cut" / name).read_bytes(), name
    for a, b in zip(full.net.alphas(), resumed.net.alphas()):
        assert torch.equal(a, b)
