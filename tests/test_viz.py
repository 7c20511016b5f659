"""tinysr.viz: every function returns a Figure with the expected panels/artists on small synthetic inputs."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Rectangle

from tinysr import viz
from tinysr.data.published import published_points
from tinysr.genotype import Genotype, get_genotype
from tinysr.ops import PRIMITIVES


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _history(n: int = 3, per_cell: bool = False, cells: int = 6) -> list[dict]:
    rng = np.random.default_rng(0)
    recs = []
    for t in range(n):
        alpha = _softmax(rng.normal(size=(cells, 3, 9) if per_cell else (3, 9)))
        betas = [_softmax(rng.normal(size=k)).tolist() for k in range(2, cells)]
        recs.append({"step": 10 * (t + 1), "epoch": t, "w_loss": 5.0 - t, "arch_loss": 6.0 - t, "cost": 0.3,
                     "psnr_arch": 30.0 + t, "w_lr": 5e-4, "alpha": alpha.tolist(), "betas": betas,
                     "genotype": get_genotype("dlsr").to_dict()})
    return recs


def _image_axes(fig: Figure) -> list:
    return [a for a in fig.axes if a.get_label() != "<colorbar>"]


def test_alpha_history_one_heatmap_per_position():
    fig = viz.plot_alpha_history(_history())
    assert isinstance(fig, Figure)
    axes = _image_axes(fig)
    assert len(axes) == 3 and len(fig.axes) == 4                 # + one shared colorbar
    assert [t.get_text() for t in axes[0].get_yticklabels()] == list(PRIMITIVES)
    assert len(axes[0].collections) == 1                          # the pcolormesh
    assert axes[0].collections[0].get_array().size == 3 * 9       # records x ops


def test_alpha_history_per_cell_alphas_are_averaged_and_said_so():
    hist = _history(per_cell=True, cells=4)
    fig = viz.plot_alpha_history(hist)
    assert "mean over 4 cells" in fig.get_suptitle()
    mean = np.mean(hist[-1]["alpha"], axis=0)[0]                  # position 1 at the last record
    mesh = _image_axes(fig)[0].collections[0].get_array().reshape(9, 3)
    np.testing.assert_allclose(mesh[:, -1], mean)


def test_alpha_history_into_given_axes_and_errors():
    fig, axes = plt.subplots(3, 1)
    assert viz.plot_alpha_history(_history(), ax=axes) is fig
    with pytest.raises(ValueError, match="3 axes"):
        viz.plot_alpha_history(_history(), ax=axes[:2])
    with pytest.raises(ValueError, match="'alpha'"):
        viz.plot_alpha_history([{"step": 1, "loss": 2.0}])


def test_plot_alphas_dispatches():
    assert len(_image_axes(viz.plot_alphas(_history()))) == 3
    assert len(viz.plot_alphas(_history()[-1]["alpha"]).axes) == 1


def test_beta_history_one_panel_per_searched_cell():
    fig = viz.plot_beta_history(_history(cells=6))
    axes = _image_axes(fig)
    assert len(axes) == 4                                         # B3..B6
    assert [len(a.get_yticks()) for a in axes] == [2, 3, 4, 5]
    assert axes[0].get_title(loc="left").startswith("B3")


def test_alpha_bars_27_bars_and_derived_ops_in_title():
    probs = np.full((3, 9), 0.05)
    probs[0, 0], probs[1, 6], probs[2, 5] = 0.6, 0.6, 0.6
    fig = viz.plot_alpha_bars(probs)
    (ax,) = fig.axes
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == 27
    assert "conv_1x1, sep_conv_7x7, sep_conv_5x5" in ax.get_title()


def test_curves_grouped_by_unit_search_and_retraining():
    fig = viz.plot_curves(_history(), keys=("w_loss", "arch_loss", "psnr_arch", "cost"))
    assert len(fig.axes) == 3
    assert len(fig.axes[0].get_lines()) == 2                       # both losses on one panel
    retrain = [{"step": s, "epoch": 0, "loss": 1.0 / s} for s in (1, 2, 3, 4)]
    retrain[1]["val_psnr"], retrain[3]["val_psnr"] = 30.0, 31.0    # validation only every 2 records
    fig = viz.plot_curves(retrain, keys=("loss", "val_psnr"))
    assert len(fig.axes) == 2
    np.testing.assert_array_equal(fig.axes[1].get_lines()[0].get_xdata(), [2, 4])
    with pytest.raises(ValueError, match="numeric keys present"):
        viz.plot_curves(retrain, keys=("nope",))


def _arrows(fig: Figure, prefix: str) -> list[str]:
    return [p.get_gid() for a in fig.axes for p in a.patches
            if isinstance(p, FancyArrowPatch) and (p.get_gid() or "").startswith(prefix)]


@pytest.mark.parametrize("name", ["dlsr", "dlsr_para"])
def test_draw_genotype_one_arrow_per_connection(name):
    g = get_genotype(name)
    fig = viz.draw_genotype(name)
    net = _arrows(fig, "net:")
    expected = {"net:fea->B1", "net:B1->B2"} | {f"net:B{i}->B{k + 3}" for k, row in enumerate(g.inputs) for i in row}
    assert len(net) == 2 + sum(len(r) for r in g.inputs) == len(expected)
    assert set(net) == expected
    assert len(_arrows(fig, "tail:B")) == g.cells                 # every cell feeds the tail concat
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert all(op in texts for op in g.ops)
    assert "C = 48, 6 cells" in fig.axes[0].get_title()


def test_draw_genotype_custom_and_into_ax():
    g = Genotype(("dil_conv_3x3", "conv_3x3", "sep_conv_3x3"), [[2], [1, 2, 3], [4]], channels=16, cells=5)
    fig, ax = plt.subplots()
    assert viz.draw_genotype(g.to_dict(), ax=ax) is fig
    assert len(_arrows(fig, "net:")) == 2 + 1 + 3 + 1


def test_sr_crops_two_axes_per_image_box_and_gray():
    rng = np.random.default_rng(0)
    imgs = {"HR": rng.integers(0, 256, (40, 60, 3), dtype=np.uint8),
            "bicubic": rng.integers(0, 256, (40, 60, 3), dtype=np.uint8),
            "gray": rng.integers(0, 256, (40, 60), dtype=np.uint8),
            "LR": rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)}
    fig = viz.plot_sr_crops(imgs, box=(10, 20, 8, 12), psnr={"bicubic": 30.5}, title="x2")
    assert len(fig.axes) == 8
    top = fig.axes[:4]
    assert "30.50 dB" in top[1].get_title()
    assert all(sum(isinstance(p, Rectangle) for p in a.patches) == 1 for a in top)
    assert fig.axes[4 + 0].images[0].get_array().shape[:2] == (8, 12)     # the zoom shows the box
    assert fig.axes[4 + 3].images[0].get_array().shape[:2] == (4, 6)      # scaled to the LR size
    assert fig.axes[4 + 2].images[0].get_cmap().name == "gray"
    with pytest.raises(ValueError, match="not inside"):
        viz.plot_sr_crops(imgs, box=(35, 0, 10, 10))


def test_pareto_front_selects_non_dominated_points():
    pts = [{"name": "a", "multi_adds": 10, "psnr": 36.0}, {"name": "b", "multi_adds": 20, "psnr": 35.0},
           {"name": "c", "multi_adds": 30, "psnr": 37.0}, {"name": "d", "multi_adds": 30, "psnr": 36.5},
           {"name": "e", "multi_adds": 50e9, "psnr": 37.5},   # a count: 50 G
           {"name": "f", "multi_adds": 5, "psnr": 36.0}]      # same PSNR as a, cheaper: a is dominated
    assert [p["name"] for p in viz.pareto_front(pts)] == ["f", "c", "e"]
    assert viz.pareto_front([]) == []


def test_plot_pareto_points_published_and_front():
    pts = [{"name": "tinysr", "multi_adds": 20e9, "psnr": 36.0, "params": 93_000}]
    published = published_points("Set5")
    assert {"SRCNN", "FALSR-A", "DLSR"} <= {p["name"] for p in published}
    fig = viz.plot_pareto(pts, published)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    assert len(ax.collections) == 2                                # published (grey) + tinysr
    assert len(ax.texts) == len(published) + 1                     # every point labelled
    front_line = ax.get_lines()[0]
    assert len(front_line.get_xdata()) == len(viz.pareto_front(pts + published))


def test_save_writes_a_png(tmp_path):
    fig = viz.plot_alpha_bars(np.full((3, 9), 1 / 9), save=tmp_path / "bars.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "bars.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_resize_comparison_three_panels():
    img = np.random.default_rng(0).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    fig = viz.plot_resize_comparison(img, scale=4)
    assert len(_image_axes(fig)) == 3


def test_viz_package_reexports_its_modules_functions():
    from tinysr.viz import diagram, history, results

    for module in (history, diagram, results):
        for name in module.__all__:
            assert getattr(viz, name) is getattr(module, name), name
    assert sorted(viz.__all__) == sorted(history.__all__ + diagram.__all__ + results.__all__)


def test_save_writes_the_file(tmp_path):
    fig = viz.draw_genotype("dlsr_tiny", save=tmp_path / "g.png")
    assert isinstance(fig, Figure) and (tmp_path / "g.png").stat().st_size > 1000
