"""The notebooks' preset guard and the ETA of long runs."""
from __future__ import annotations

import io

import pytest

from tinysr.config import ConfigError
from tinysr.config.course import course_preset
from tinysr.runtime.eta import Eta


def test_notebooks_refuse_paper_without_opt_in(monkeypatch):
    monkeypatch.setenv("TINYSR_PRESET", "paper")
    with pytest.raises(ConfigError, match="allow_paper=True"):
        course_preset()
    assert course_preset(allow_paper=True).name == "paper"
    monkeypatch.setenv("TINYSR_PRESET", "smoke")
    assert course_preset().name == "smoke"


def test_default_preset_with_a_gpu_is_gpu(monkeypatch):
    import torch

    from tinysr.config import PRESETS, preset

    monkeypatch.delenv("TINYSR_PRESET", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert preset().name == "gpu"
    assert {"smoke", "laptop", "gpu", "paper"} <= set(PRESETS)


def test_eta_speaks_before_the_first_epoch_ends_for_a_paper_sized_run(monkeypatch):
    import tinysr.runtime.eta as eta_mod

    clock = iter(range(0, 10_000, 1))               # each call: one more second -> 1 s/step
    monkeypatch.setattr(eta_mod.time, "perf_counter", lambda: float(next(clock)))
    out = io.StringIO()
    eta = Eta("search", total=1000 * 985, stream=out)
    for done in range(1, 11):
        eta.step(done)
    assert "search: about" in out.getvalue() and " h to go" in out.getvalue()
    quiet_out = io.StringIO()
    quiet = Eta("search", total=12, stream=quiet_out)
    for done in range(1, 13):
        quiet.step(done, done % 6 == 0)
    assert quiet_out.getvalue() == ""                # a short run says nothing


def test_paper_search_prints_its_eta_before_the_first_epoch_ends(tmp_path, capsys):
    """A real paper-sized search (1000 epochs x 985 steps at 48 channels): the estimate comes after 10 steps."""
    from tinysr.config import override, preset
    from tinysr.runtime.stop import StopFlag
    from tinysr.search import run_search

    cfg = override(preset("paper"), {"search.batch_size": 2, "search.hr_patch": 32})
    flag = StopFlag()
    import tinysr.runtime.eta as eta_mod

    real = eta_mod.Eta

    class Stopping(real):
        def step(self, done, end_of_epoch=False):
            super().step(done, end_of_epoch)
            if done >= 10:
                flag.set("test")

    eta_mod.Eta = Stopping                          # the search's Progress makes its Eta from this module
    try:
        with pytest.raises(KeyboardInterrupt):
            run_search(cfg, out=tmp_path / "p", progress=False, stop=flag)
    finally:
        eta_mod.Eta = real
    err = capsys.readouterr().err
    assert "search: about" in err and "to go" in err
