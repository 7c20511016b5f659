"""tinysr.widgets: controls come from the config fields, panel.config() follows them with the declared
types, the preset dropdown resets them, and Run (the button's handler, no browser) calls the library in a
worker thread and drives the progress bar and the live figure; Stop, the double-click guard and the
one-run-per-kernel lock work with those threads. (tests/browser/ does the same in a real JupyterLab.)"""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import threading

import ipywidgets as W
import pytest
import torch

from tinysr import widgets
from tinysr.config import PRESETS, Config, field_names, field_spec, override, preset
from tinysr.genotype import Genotype

# A search / retraining of a few seconds: 2 tiny steps each.
TINY = {"search.channels": 4, "search.cells": 3, "search.epochs": 2, "search.steps_per_epoch": 1,
        "search.warmup_epochs": 1, "search.batch_size": 1, "search.hr_patch": 32,
        "train.channels": 4, "train.epochs": 2, "train.steps_per_epoch": 1, "train.batch_size": 1,
        "train.hr_patch": 32, "train.val_images": 1}



@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny networks gain nothing from intra-op threads, and on a shared 2-core machine two spinning
    OpenMP threads make each conv up to 10x slower; restore the setting for the other test modules."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def test_every_field_of_every_section_gets_a_control_of_the_right_kind():
    cfg = preset("laptop")
    for dotted in field_names():
        value, spec = widgets.field_value(cfg, dotted), field_spec(dotted, cfg)
        w = widgets.make_control(dotted, value, cfg)
        name = dotted.split(".")[-1]
        if spec.choices and spec.kind is not tuple:
            assert isinstance(w, W.Dropdown) and value in w.options and set(w.options) <= set(spec.choices), dotted
        elif spec.kind is bool:
            assert isinstance(w, W.Checkbox), dotted
        elif spec.log:
            assert isinstance(w, W.FloatLogSlider) and name.endswith(("_lr", "_eps")), dotted
        elif spec.kind is int:
            assert isinstance(w, W.IntSlider) and w.continuous_update is False and w.min <= value <= w.max, dotted
        elif spec.kind is float:
            assert isinstance(w, (W.FloatSlider, W.FloatText)), dotted
        else:
            assert isinstance(w, W.Text), dotted
    assert isinstance(widgets.make_control("search.lambda_cost", 0.0), W.FloatSlider)


def test_panel_is_built_from_fields_and_config_round_trips():
    cfg = preset("smoke")
    panel = widgets.SearchPanel(cfg)
    assert set(panel.controls) == set(widgets.SEARCH_FIELDS)
    assert panel.config() == cfg                       # untouched controls give back the same config
    assert isinstance(panel.widget, W.VBox)


def test_changing_controls_changes_config_with_declared_types():
    panel = widgets.SearchPanel(preset("smoke"))
    assert panel.controls["search.lambda_cost"].max == 0          # no budget: the penalty weight stays 0
    panel.controls["search.budget_params"].value = 50_000
    panel.controls["search.lambda_cost"].value = 10.0
    panel.controls["search.w_lr"].value = 2e-3
    panel.controls["search.channels"].value = 12
    panel.controls["search.order"].value = "second"
    panel.controls["search.gumbel"].value = True
    panel.controls["data.scale"].value = 3
    cfg = panel.config()
    assert isinstance(cfg, Config)
    assert cfg.search.w_lr == pytest.approx(2e-3) and type(cfg.search.w_lr) is float
    assert cfg.search.lambda_cost == pytest.approx(10.0) and cfg.search.budget_params == 50_000
    assert panel.controls["search.budget_params"].min == 1         # lambda > 0: the budget cannot go to 0
    assert cfg.search.channels == 12 and type(cfg.search.channels) is int
    assert cfg.search.order == "second" and cfg.search.gumbel is True
    assert cfg.data.scale == 3 and type(cfg.data.scale) is int
    assert cfg.search.epochs == preset("smoke").search.epochs        # untouched fields kept


def test_tuple_fields_are_parsed_back_to_tuples():
    panel = widgets.ConfigPanel(preset("paper"), fields=("search.w_milestones", "train.w_betas"))
    panel.controls["search.w_milestones"].value = "10, 20"
    panel.controls["train.w_betas"].value = "0.8, 0.99"
    cfg = panel.config()
    assert cfg.search.w_milestones == (10, 20) and cfg.train.w_betas == (0.8, 0.99)


def test_paper_is_offered_only_with_the_opt_in():
    assert "paper" not in widgets.SearchPanel(preset("smoke")).preset.options
    assert "paper" not in widgets.TrainPanel("dlsr", preset("laptop")).preset.options
    assert "paper" in widgets.SearchPanel(preset("smoke"), allow_paper=True).preset.options
    assert "paper" in widgets.SearchPanel(preset("paper")).preset.options       # course_preset(allow_paper=True)
    assert widgets.offered_presets(preset("laptop")) == [n for n in PRESETS if n != "paper"]


def test_preset_dropdown_resets_values_and_ranges():
    panel = widgets.SearchPanel(preset("smoke"), allow_paper=True)
    panel.controls["search.channels"].value = 6
    panel.preset.value = "paper"
    assert panel.config().search == preset("paper").search          # epochs 1000 fits: the slider widened
    assert panel.controls["search.epochs"].max >= 1000
    panel.preset.value = "laptop"
    assert panel.config() == preset("laptop")
    epochs = panel.controls["search.epochs"]                          # and narrowed again: reset, not grown
    laptop = preset("laptop")
    assert epochs.max == widgets.make_control("search.epochs", laptop.search.epochs, laptop).max < 1000
    assert list(panel.controls["data.scale"].options) == [2, 4]      # 64 and 96 px patches: no x3


def test_warmup_slider_stops_below_epochs():
    panel = widgets.SearchPanel(preset("laptop"))
    epochs, warmup = panel.controls["search.epochs"], panel.controls["search.warmup_epochs"]
    assert warmup.max == epochs.value - 1 and epochs.min == warmup.value + 1
    epochs.value = 10
    assert warmup.max == 9
    warmup.value = 9
    assert epochs.min == 10 and panel.config().search.warmup_epochs == 9


def _reachable(w: W.Widget) -> list:
    """min, max and a few values in between that the slider (or dropdown) can take."""
    if isinstance(w, W.Dropdown):
        return list(w.options)
    if isinstance(w, W.Checkbox):
        return [False, True]
    n = round((w.max - w.min) / w.step)
    picks = sorted({0, n, n // 2, n // 3, 1 if n else 0, max(n - 1, 0)})
    values = [w.min + k * w.step for k in picks]
    return [int(v) for v in values] if isinstance(w, W.IntSlider) else values


@pytest.mark.parametrize("name", PRESETS)
@pytest.mark.parametrize("panel_kind", ["search", "train"])
def test_every_reachable_slider_value_builds_a_valid_config(name, panel_kind):
    cfg = preset(name)
    panel = (widgets.SearchPanel(cfg) if panel_kind == "search" else widgets.TrainPanel("dlsr", cfg))
    sliders = [d for d, w in panel.controls.items() if not isinstance(w, W.Text)]
    assert len(sliders) >= 6
    for dotted in sliders:
        w = panel.controls[dotted]
        for value in _reachable(w):
            panel.reset(cfg)
            panel._follow_rules()
            w.value = value
            got = widgets.field_value(panel.config(), dotted)        # validates the whole config
            assert got == pytest.approx(w.value), (dotted, value)


def test_unknown_field_names_the_valid_ones():
    with pytest.raises(ValueError, match="search.w_lr"):
        widgets.ConfigPanel(preset("smoke"), fields=("search.lr",))


def test_run_button_searches_and_updates_progress_and_figure():
    panel = widgets.SearchPanel(override(preset("smoke"), TINY))
    done = []
    panel.on_done(done.append)
    assert panel.progress.value == 0 and not panel.image.value
    assert panel.image.layout.display == "none"       # no broken-image placeholder before the first run
    panel._on_click(panel.button)                     # what a click does, without a browser: a worker thread
    assert panel.wait(timeout=600)
    assert "Error" not in panel.status.value and panel.status.value.startswith("done"), panel.status.value
    res = panel.result
    assert isinstance(res.genotype, Genotype) and res.genotype.channels == 4 and res.genotype.cells == 3
    assert panel.progress.value == panel.progress.max == 2
    assert panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"              # the live figure was drawn
    assert panel.results == [res] == done and not panel.button.disabled and panel.stop_button.disabled
    assert panel.image.layout.display is None and res.out == panel.folder and (panel.folder / "run.json").is_file()


def test_train_panel_runs_the_genotype_and_reports_errors_in_the_panel():
    g = Genotype(ops=("conv_1x1", "conv_3x3", "sep_conv_3x3"), inputs=((1, 2),), channels=4, cells=3)
    panel = widgets.TrainPanel(g, override(preset("smoke"), TINY))
    seen = []
    res = panel.run(callbacks=[lambda epoch, rec: seen.append(epoch)])
    assert seen == [1, 2] and len(res.history) == 2 and res.best_psnr > 0
    assert panel.progress.value == panel.progress.max == 2 and panel.image.value
    panel.controls["train.w_lr"].value = 1e-3
    panel.genotype = "no-such-genotype"
    assert "not a genotype" in panel.genotype_line.value
    panel._on_click()
    assert panel.wait(timeout=600)
    assert "Error" in panel.status.value and not panel.button.disabled and not panel.running


def test_live_figure_uses_one_display_handle(monkeypatch):
    shown = []

    class Handle:
        def update(self, fig):
            shown.append(("update", fig))

    def fake_display(obj, display_id=False):
        shown.append(("display", obj))
        return Handle()

    monkeypatch.setattr("IPython.display.display", fake_display)
    live = widgets.LiveFigure(widgets.train_figure)
    for e in (1, 2, 3):
        live(e, {"epoch": e, "step": e, "loss": 10.0 / e, "psnr": 30.0 + e})
    assert [k for k, _ in shown] == ["display", "update", "update"]
    assert len({id(f) for _, f in shown}) == 1 and len(live.history) == 3


class Gate:
    """A run callback that holds the run at its first record until the test lets it go, so that what a
    test does 'while the run goes' happens at a known point of it (no sleeps, no timing)."""

    def __init__(self) -> None:
        self.reached, self.go, self.calls = threading.Event(), threading.Event(), []

    def __call__(self, step: int, record: dict) -> None:
        self.calls.append((threading.current_thread().name, step))
        if len(self.calls) == 1:
            self.reached.set()
            assert self.go.wait(600), "the test never released the run"


def _wait_until(predicate, what: str) -> None:
    for _ in range(6000):
        if predicate():
            return
        threading.Event().wait(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def test_stop_button_stops_a_run_in_its_worker_thread_and_the_panel_runs_again():
    panel = widgets.SearchPanel(override(preset("smoke"), TINY))
    gate = Gate()
    panel.callbacks.append(gate)
    panel._on_click()
    assert gate.reached.wait(600) and panel.running and panel.button.disabled and not panel.stop_button.disabled
    assert gate.calls[0][0] != threading.current_thread().name       # the run is in a thread of its own
    assert "step 1/2" in panel.status.value and "to go" in panel.status.value    # progress with an ETA
    panel._on_stop()                                                 # Stop: a flag, not a signal
    gate.go.set()
    assert panel.wait(timeout=600)
    assert panel.status.value.startswith("stopped") and "after step 1" in panel.status.value, panel.status.value
    assert panel.results == [] and panel.progress.value == 1 < panel.progress.max == 2
    assert (panel.folder / "checkpoint.pt").is_file()                # stopped with a checkpoint
    assert not panel.button.disabled and panel.stop_button.disabled and widgets.running_panel() is None
    first = panel.folder
    panel.callbacks.clear()
    panel._on_click()                                                # recovers: a fresh run in a fresh folder
    assert panel.wait(timeout=600) and len(panel.results) == 1 and panel.status.value.startswith("done")
    assert panel.folder != first and (panel.folder / "genotype.json").is_file()


def test_a_double_click_starts_one_run():
    panel = widgets.SearchPanel(override(preset("smoke"), TINY))
    gate = Gate()
    panel.callbacks.append(gate)
    panel._on_click()
    assert gate.reached.wait(600)
    panel._on_click()                                                # the second click of a double click
    with pytest.raises(RuntimeError, match="already running"):
        panel.run()                                                  # nor can a cell start a second run
    gate.go.set()
    assert panel.wait(timeout=600)
    assert len(panel.results) == 1 and [s for _, s in gate.calls] == [1, 2]


def test_one_panel_run_at_a_time_a_second_panel_waits_and_stop_cancels_the_wait():
    g = Genotype(ops=("conv_1x1", "conv_3x3", "sep_conv_3x3"), inputs=((1, 2),), channels=4, cells=3)
    cfg = override(preset("smoke"), TINY)
    search, train, other = widgets.SearchPanel(cfg), widgets.TrainPanel(g, cfg), widgets.TrainPanel(g, cfg)
    order = []
    gate = Gate()
    search.callbacks += [gate, lambda step, rec: order.append(("search", step))]
    train.callbacks.append(lambda step, rec: order.append(("train", step)))
    search._on_click()
    assert gate.reached.wait(600)
    train._on_click()
    other._on_click()
    _wait_until(lambda: "waiting" in train.status.value and "waiting" in other.status.value, "the waiting panels")
    assert "Run search" in train.status.value and train.running and train.progress.value == 0
    other._on_stop()
    assert other.wait(timeout=600) and "cancelled while waiting" in other.status.value and not other.results
    gate.go.set()
    assert search.wait(timeout=600) and train.wait(timeout=600)
    assert order == [("search", 1), ("search", 2), ("train", 1), ("train", 2)]   # one after the other
    assert len(search.results) == len(train.results) == 1 and widgets.running_panel() is None


def test_results_and_prints_of_a_clicked_run_go_to_its_output_widget_and_nothing_else_does(capsys):
    import sys

    panel = widgets.SearchPanel(override(preset("smoke"), TINY))
    gate = Gate()
    panel.callbacks.append(gate)
    panel.on_done(lambda result: print("on_done saw", len(result.history), "records"))
    stdout = sys.stdout
    panel._on_click()
    assert gate.reached.wait(600)
    print("a cell prints meanwhile")                                 # the main thread: not captured
    gate.go.set()
    assert panel.wait(timeout=600) and panel.results
    text = "".join(o["text"] for o in panel.output.outputs if o["name"] == "stdout")
    assert "Run search #1 (smoke preset): genotype ops" in text and "on_done saw 2 records\n" in text, text
    assert "a cell prints meanwhile" not in text and "a cell prints meanwhile" in capsys.readouterr().out
    assert sys.stdout is stdout                                      # the stand-in is gone with the run
    panel.callbacks[:] = [lambda step, record: 1 / 0]               # a failing run: its traceback shows too
    panel._on_click()
    assert panel.wait(timeout=600) and "ZeroDivisionError" in panel.status.value
    errors = "".join(o["text"] for o in panel.output.outputs if o["name"] == "stderr")
    assert "Traceback" in errors and "ZeroDivisionError" in errors, errors


def test_train_panel_shows_the_genotype_it_will_train():
    panel = widgets.TrainPanel("dlsr", preset("smoke"))
    assert panel.genotype_line in panel.widget.children and "dlsr" in panel.genotype_line.value
    g = Genotype(ops=("conv_1x1", "conv_3x3", "sep_conv_3x3"), inputs=((1, 2),), channels=4, cells=3)
    panel.genotype = g
    assert "conv_1x1, conv_3x3, sep_conv_3x3" in panel.genotype_line.value
    panel.controls["train.channels"].value = 8
    assert "8 channels" in panel.genotype_line.value
    assert isinstance(panel.widget.children[0], W.HTML) and "<h3" in panel.widget.children[0].value


def test_linked_panels_size_the_budget_at_the_training_width():
    """The playground's search derives its genotype against a budget at the retraining width; with the panels
    linked, that width is the training panel's slider (before, a widened retraining silently left the budget)."""
    cfg = preset("smoke")
    search = widgets.SearchPanel(cfg, fields=("search.budget_params", "search.channels"))
    train = widgets.TrainPanel("dlsr", cfg, fields=("train.channels", "train.epochs"))
    widgets.link_panels(search, train)
    assert search.config().train.channels == train.config().train.channels == cfg.train.channels
    train.controls["train.channels"].value = 16
    assert search.config().train.channels == 16
    search.preset.value = "laptop"                      # a new preset keeps the link
    assert search.config().train.channels == 16 and search.config().name == "laptop"
    g = Genotype(ops=("conv_1x1", "conv_3x3", "sep_conv_3x3"), inputs=((1, 2),), channels=4, cells=3)
    for fn in search._done:
        fn(type("Result", (), {"genotype": g})())
    assert train.genotype == g


def test_figures_have_integer_epoch_ticks_and_loss_units():
    for epochs in ((1, 2, 3), (1,)):                                   # one record: still no 0.95, 1.05, ...
        history = [{"epoch": e, "step": e, "loss": 10.0 / e, "psnr": 30.0 + e} for e in epochs]
        fig = widgets.train_figure(history)
        for ax in fig.axes:
            ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
            assert ticks and all(float(t).is_integer() for t in ticks), (epochs, ticks)
        assert "pixel" in fig.axes[0].get_ylabel() and "dB" in fig.axes[1].get_ylabel()


def test_a_blocking_run_interrupted_by_ctrl_c_leaves_a_panel_that_runs_again():
    panel = widgets.TrainPanel(Genotype(ops=("conv_1x1", "conv_3x3", "sep_conv_3x3"), inputs=((1, 2),),
                                        channels=4, cells=3), override(preset("smoke"), TINY))

    def interrupt(step, record):
        raise KeyboardInterrupt("Kernel > Interrupt")

    with pytest.raises(KeyboardInterrupt):
        panel.run(callbacks=[interrupt])
    assert panel.status.value.startswith("stopped") and not panel.running and not panel.button.disabled
    assert widgets.running_panel() is None and widgets.RUN_LOCK.acquire(blocking=False)
    widgets.RUN_LOCK.release()
    assert panel.run().best_psnr > 0 and len(panel.results) == 1
