"""The GPU course: the gpu preset is the method the chapters teach, chapter 05 says what it is, and every chapter's
cost table (computed from the preset and the measured step times) fits class time on a GPU."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tinysr.complexity import count_params
from tinysr.config import preset
from tinysr.config.course import course_start
from tinysr.config.course_cost import PLANS, chapter_config, chapter_plan, cost_table, format_cost_table, run_steps
from tinysr.genotype import GENOTYPES
from tinysr.model import DLSRNet
from tinysr.study import PUBLISHED

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _markdown(name: str) -> str:
    nb = json.loads((NOTEBOOKS / name).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_gpu_preset_is_the_laptop_method_at_the_released_size():
    gpu, laptop = preset("gpu"), preset("laptop")
    s = gpu.search
    assert (s.channels, s.cells, s.batch_size) == (48, 6, 64)
    assert s.gumbel and s.gumbel_hard and s.tau_end == laptop.search.tau_end and s.tau_hold == laptop.search.tau_hold
    assert s.budget_mode == "max" and s.budget_params >= count_params(DLSRNet(GENOTYPES["dlsr"], 2)) == 322_620
    n_arch = (s.epochs - s.warmup_epochs) * s.steps_per_epoch
    n_arch_laptop = (laptop.search.epochs - laptop.search.warmup_epochs) * laptop.search.steps_per_epoch
    assert s.alpha_lr == pytest.approx(laptop.search.alpha_lr * n_arch_laptop / n_arch, rel=0.15)   # same logit travel
    t = gpu.train
    assert t.bicubic_skip and t.channels == 0 and (t.batch_size, t.hr_patch) == (32, 128)


def test_chapter_05_states_each_presets_retraining_exactly():
    text = _markdown("05_derive_and_retrain.ipynb")
    rows = {m[1]: [c.strip() for c in m[2].split("|")] for m in re.finditer(r"^\| `(\w+)` \|(.*)\|$", text, re.M)}
    assert set(rows) == {"smoke", "laptop", "gpu"}
    for name, cells in rows.items():
        t = preset(name).train
        steps, patch, lr, milestones, skip, scales, width = cells
        assert steps == f"{t.epochs} x {t.steps_per_epoch}", name
        assert patch == f"{t.batch_size} x {t.hr_patch}", name
        assert float(lr) == t.w_lr, name
        assert milestones == (", ".join(map(str, t.milestones)) or "none"), name
        assert skip == ("yes" if t.bicubic_skip else "no"), name
        assert [float(v) for v in scales.split(",")] == list(t.hr_scales), name
        assert width == (str(t.channels) if t.channels else "the genotype's"), name


def test_every_chapter_fits_ten_minutes_on_the_gpu_and_the_course_an_hour():
    minutes = {ch: cost_table(ch)["gpu"]["gpu"] for ch in PLANS}
    assert all(m is not None and m <= 10 for m in minutes.values()), minutes
    assert sum(minutes.values()) <= 60, minutes


def test_the_cost_table_is_steps_times_measured_seconds():
    times = {"devices": {"cpu": {"label": "test", "device": "d", "date": "x", "torch": "t", "command": "c",
                                 "presets": {"laptop": {"search": 2.0, "train": 0.5}}}}}
    lap = chapter_config(preset("laptop"), "08")
    want = (2 * run_steps(lap, "search") * 2.0 + 7 * run_steps(lap, "train") * 0.5) / 60
    table = cost_table("08", times)
    assert table["cpu"]["laptop"] == pytest.approx(want)
    assert table["cpu"]["gpu"] is None and table["cpu"]["smoke"] is None     # never measured: said, not guessed
    assert "not measured" in format_cost_table("08", preset("laptop"), "cpu", times)


def test_mini_study_counts_match_its_plan():
    plan = chapter_plan("08")
    trains = next(r for r in plan.runs if r.stage == "train")
    searches = next(r for r in plan.runs if r.stage == "search")
    assert searches.count == plan.params["seeds"]
    assert trains.count == plan.params["seeds"] + plan.params["random"] + len(PUBLISHED)


def test_each_chapter_prints_its_table_first(monkeypatch, capsys):
    import torch

    monkeypatch.setenv("TINYSR_PRESET", "gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    for path in sorted(NOTEBOOKS.glob("0*.ipynb")):
        chapter = path.name[:2]
        nb = json.loads(path.read_text())
        first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
        assert f'tinysr.course_start("{chapter}", cfg)' in first, path.name
        assert "%pip install" in first and "except ImportError" in first, path.name   # the hosted-notebook guard
        course_start(chapter, preset())
        out = capsys.readouterr().out
        assert "preset 'gpu'" in out and "cuda" in out
        if chapter_plan(chapter).runs:
            row = next(line for line in out.splitlines() if line.startswith("> GPU"))
            gpu_cell = row.split()[-2:]
            assert gpu_cell[1] == "min" and float(gpu_cell[0]) <= 10, row
            assert "step times measured by" in out and "H200" in out
