"""Search options that make a short search decide: hard Gumbel samples and the SGD architecture optimiser."""
import torch

from tinysr import override, preset
from tinysr.architect import make_alpha_optimizer
from tinysr.search import Search
from tinysr.space import SuperNet


def test_hard_gumbel_forward_is_one_op_per_position_with_the_soft_gradient():
    torch.manual_seed(0)
    net = SuperNet(C=8, cells=3, scale=2, gumbel=True, tau=1.0, hard=True).train()
    with net.frozen_noise():
        w = net._op_weights()
        noise = net._noise.clone()
        assert torch.equal(w.detach().sum(dim=-1), torch.ones(3))
        assert set(w.detach().unique().tolist()) <= {0.0, 1.0}                  # one-hot values
        soft = torch.softmax(net.alpha + noise, dim=-1)
        probe = torch.randn(3, 9)
        (g_hard,) = torch.autograd.grad((w * probe).sum(), [net.alpha])
        (g_soft,) = torch.autograd.grad((soft * probe).sum(), [net.alpha])
        assert torch.allclose(g_hard, g_soft)                                    # straight-through
    net.eval()
    assert torch.allclose(net._op_weights(), torch.softmax(net.alpha, dim=-1))  # evaluation: no sampling


def test_hard_gumbel_comes_from_the_config():
    cfg = override(preset("smoke"), {"search.gumbel": True, "search.gumbel_hard": True})
    assert Search(cfg, "cpu").net.hard is True
    assert Search(preset("smoke"), "cpu").net.hard is False


def test_alpha_optimiser_by_setting():
    p = [torch.nn.Parameter(torch.zeros(3))]
    adam = make_alpha_optimizer(p, preset("smoke").search)
    assert isinstance(adam, torch.optim.Adam)
    sgd_cfg = override(preset("smoke"), {"search.alpha_optim": "sgd"}).search
    sgd = make_alpha_optimizer(p, sgd_cfg)
    assert isinstance(sgd, torch.optim.SGD)
    assert sgd.param_groups[0]["momentum"] == sgd_cfg.alpha_betas[0]
    assert sgd.param_groups[0]["lr"] == sgd_cfg.alpha_lr


def test_adam_moves_same_sign_gradients_alike_and_sgd_keeps_their_sizes():
    """Why Adam ties ops the data all favours: one step moves each logit by ~lr whatever its gradient."""
    for kind, expect_tie in (("adam", True), ("sgd", False)):
        cfg = override(preset("smoke"), {"search.alpha_optim": kind, "search.alpha_lr": 0.1}).search
        x = torch.nn.Parameter(torch.zeros(2))
        opt = make_alpha_optimizer([x], cfg)
        for _ in range(5):
            opt.zero_grad()
            (x * torch.tensor([1.0, 10.0])).sum().backward()
            opt.step()
        ratio = float(x[1].detach() / x[0].detach())
        assert (abs(ratio - 1) < 0.01) == expect_tie, (kind, ratio)


def test_temperature_anneal_then_hold():
    def schedule(hold):
        cfg = override(preset("smoke"), {"search.epochs": 14, "search.warmup_epochs": 1, "search.tau_end": 0.2,
                                         "search.tau_hold": hold})
        search = Search(cfg, "cpu")
        taus = []
        for epoch in range(14):
            search.set_epoch(epoch)
            taus.append(search.net.alpha_tau)
        return taus

    plain, held = schedule(0.0), schedule(0.3)
    assert plain[1] == held[1] == 1.0 and abs(plain[-1] - 0.2) < 1e-12 and plain[-2] > 0.2
    first = next(i for i, t in enumerate(held) if abs(t - 0.2) < 1e-12)
    assert first == 9 and all(abs(t - 0.2) < 1e-12 for t in held[first:])      # the last 5 of 13 epochs held
    assert all(a >= b for a, b in zip(held, held[1:]))
