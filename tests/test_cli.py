"""The command line: search determinism on the smoke preset, --set validation, config round trip."""
from __future__ import annotations

import json

import pytest

from tinysr.cli import main
from tinysr.config import Config, override, preset
from tinysr.genotype import Genotype


def test_search_smoke_twice_gives_identical_outputs(tmp_path, capsys):
    for name in ("A", "B"):
        assert main(["search", "--preset", "smoke", "--seed", "3", "--out", str(tmp_path / name)]) == 0
    capsys.readouterr()
    for f in ("genotype.json", "history.json", "config.json"):
        assert (tmp_path / "A" / f).read_text() == (tmp_path / "B" / f).read_text(), f
    Genotype.from_json(tmp_path / "A" / "genotype.json")  # valid
    assert json.loads((tmp_path / "A" / "config.json").read_text())["seed"] == 3


@pytest.mark.parametrize("bad, message", [
    ("nosuchfield=1", "is not a config field; valid names: name, seed, data.source"),
    ("w_lr=1e-3", "ambiguous, it matches search.w_lr and train.w_lr"),
    ("search.epochs=three", "bad value 'three' for search.epochs"),
    ("search.fast=maybe", "expected true/false"),
    ("search.epochs", "expects key=value"),
])
def test_set_validation_errors_are_clear(bad, message, tmp_path, capsys):
    assert main(["search", "--preset", "smoke", "--set", bad, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "checkpoint.pt").exists()


def test_override_types_and_round_trip():
    cfg = override(preset("smoke"), ["alpha_lr=1e-2", "search.w_milestones=3,5", "train.ema=0.99",
                                     "search.order=second", "eval.sets=Set5,Set14", "gumbel=yes"])
    assert cfg.search.alpha_lr == 1e-2 and cfg.search.w_milestones == (3, 5) and cfg.train.ema == 0.99
    assert cfg.search.order == "second" and cfg.eval.sets == ("Set5", "Set14") and cfg.search.gumbel is True
    assert Config.from_dict(json.loads(cfg.to_json())) == cfg


def test_presets_and_env(monkeypatch):
    for name in ("smoke", "laptop", "paper"):
        assert preset(name).name == name
    paper = preset("paper")
    s, t = paper.search, paper.train
    assert (s.channels, s.cells, s.batch_size, s.hr_patch) == (48, 6, 64, 64)
    assert (t.batch_size, t.hr_patch, t.w_lr, t.grad_clip) == (32, 128, 3e-4, 50.0)
    monkeypatch.setenv("TINYSR_PRESET", "smoke")
    assert preset().name == "smoke"
    monkeypatch.setenv("TINYSR_PRESET", "huge")
    with pytest.raises(ValueError, match="TINYSR_PRESET='huge' is not a preset"):
        preset()


def test_every_set_example_in_the_help_is_valid():
    """The ``--set`` examples the help prints must themselves work (``--set epochs=3`` used to error)."""
    import re

    from tinysr.cli import build_parser

    parser = build_parser()
    subs = next(a for a in parser._actions if a.dest == "command").choices
    examples = {(name, m) for name, p in subs.items()
                for m in re.findall(r"--set ([a-z][\w.]*=[\w.+-]+)", p.format_help())}
    assert examples, "no --set example found in the help"
    for name, example in examples:
        context = ["search.budget_params=100000"] if name == "study" else []   # a study sets each job's budget
        override(preset("smoke"), [*context, example])
