"""tinysr.config: every declared rule rejects a bad value with a one-line message naming the field, the rules
between fields hold, ``--set`` errors come before any data is read, saved configs load as presets, and the
CPU presets keep their values."""
from __future__ import annotations

import json
import math
import re

import pytest

from tinysr import losses
from tinysr.cli import main
from tinysr.config import PRESETS, Config, ConfigError, default_preset_name, field_names, field_spec, override, preset
from tinysr.config.rules import ESA_MIN

# (field, a bad value, text the message must contain)
BAD = [
    ("search.order", "2nd", "search.order='2nd': allowed values are 'first', 'second'"),
    ("search.channels", 0, "search.channels=0 must be an even int in 4..256"),
    ("search.channels", 7, "search.channels=7 must be an even int in 4..256"),
    ("search.channels", 258, "must be an even int in 4..256"),
    ("search.cells", 2, "search.cells=2 must be an int in 3..12"),
    ("search.epochs", 0, "search.epochs=0 must be an int >= 1"),
    ("search.steps_per_epoch", 0, "must be an int >= 1"),
    ("search.warmup_epochs", -1, "search.warmup_epochs=-1 must be an int >= 0"),
    ("search.batch_size", 0, "search.batch_size=0"),
    ("search.arch_batch_size", -1, "search.arch_batch_size=-1 must be an int >= 0 (0 = same as batch_size)"),
    ("search.w_lr", math.inf, "search.w_lr=inf must be a finite number > 0"),
    ("search.w_lr", 0.0, "search.w_lr=0.0 must be a finite number > 0"),
    ("search.alpha_lr", -1e-3, "search.alpha_lr=-0.001 must be a finite number > 0"),
    ("search.w_betas", (0.9, 1.0), "search.w_betas=(0.9, 1.0) must be 2 numbers in [0, 1)"),
    ("search.alpha_betas", (0.5,), "search.alpha_betas=(0.5,) must be 2 numbers"),
    ("search.w_weight_decay", -1.0, "search.w_weight_decay=-1.0 must be a finite number >= 0"),
    ("search.w_milestones", (5, 3), "search.w_milestones=(5, 3) must be increasing ints >= 1"),
    ("search.w_milestones", (0,), "must be increasing ints >= 1"),
    ("search.w_gamma", 0.0, "search.w_gamma=0.0 must be a number in (0, 1]"),
    ("search.arch_steps", 0, "search.arch_steps=0 must be an int >= 1"),
    ("search.objective", "train", "search.objective='train': allowed values are 'train+val', 'val'"),
    ("search.step_order", "both", "search.step_order='both': allowed values are"),
    ("search.loss", "l2", "search.loss='l2': allowed values are 'l1', 'l1+hfen'"),
    ("search.hfen", "new", "search.hfen='new'"),
    ("search.grad_clip", -1.0, "search.grad_clip=-1.0 must be >= 0 (0 turns clipping off)"),
    ("search.budget_params", -5, "search.budget_params=-5 must be an int >= 0 (0 = no budget)"),
    ("search.lambda_cost", math.nan, "search.lambda_cost=nan must be a finite number >= 0"),
    ("search.network_cost", -0.1, "search.network_cost=-0.1"),
    ("search.hvp", "approx", "search.hvp='approx': allowed values are 'exact', 'finite'"),
    ("search.hvp_eps", 0.0, "search.hvp_eps=0.0 must be a finite number > 0"),
    ("search.virtual_step", "rmsprop", "search.virtual_step='rmsprop'"),
    ("search.aux_skip", 1.5, "search.aux_skip=1.5 must be a number in [0, 1]"),
    ("search.gumbel_tau", 0.0, "search.gumbel_tau=0.0"),
    ("search.tau_start", -1.0, "search.tau_start=-1.0 must be a finite number > 0"),
    ("search.tau_end", 0.0, "search.tau_end=0.0"),
    ("search.channels_last", "yes", "search.channels_last='yes': allowed values are 'auto', 'on', 'off'"),
    ("search.log_every", -1, "search.log_every=-1"),
    ("search.fast", 1, "search.fast=1 must be true or false"),
    ("search.hr_patch", 20, "search.hr_patch=20 must be an int >= 30"),
    ("train.grad_clip", -1.0, "train.grad_clip=-1.0 must be >= 0 (0 turns clipping off)"),
    ("train.w_lr", math.inf, "train.w_lr=inf must be a finite number > 0"),
    ("train.ema", 1.0, "train.ema=1.0 must be a number in [0, 1)"),
    ("train.gamma", 1.5, "train.gamma=1.5 must be a number in (0, 1]"),
    ("train.channels", 2, "train.channels=2 must be 0 or an even int in 4..256 (0 = the genotype's width)"),
    ("train.milestones", (3, 3), "train.milestones=(3, 3) must be increasing ints >= 1"),
    ("train.weight_decay", -1e-8, "train.weight_decay=-1e-08"),
    ("train.loss", "l1+ssim", "train.loss='l1+ssim'"),
    ("train.val", "", "train.val='' must be a non-empty string"),
    ("train.val_images", -2, "train.val_images=-2"),
    ("train.epochs", 2.5, "train.epochs=2.5 must be an int >= 1"),
    ("data.scale", 5, "data.scale=5: allowed values are 2, 3, 4"),
    ("data.arch_fraction", 1.0, "data.arch_fraction=1.0 must be a number in (0, 1)"),
    ("data.arch_split", "head", "data.arch_split='head': allowed values are 'tail', 'random'"),
    ("data.max_images", -1, "data.max_images=-1"),
    ("data.source", "", "data.source=''"),
    ("eval.sets", ("Set6",), "eval.sets=('Set6',): allowed values are any of 'Set5'"),
    ("eval.sets", ("Set5", "Set5"), "eval.sets=('Set5', 'Set5')"),
    ("eval.tile", -1, "eval.tile=-1 must be an int >= 0"),
    ("seed", -1, "seed=-1 must be an int >= 0"),
    ("name", "", "name='' must be a non-empty string"),
]


@pytest.mark.parametrize("dotted, value, message", BAD, ids=[f"{d}={v!r}" for d, v, _ in BAD])
def test_each_rule_rejects_a_bad_value_naming_the_field(dotted, value, message):
    with pytest.raises(ConfigError) as err:
        override(preset("smoke"), {dotted: value})
    text = str(err.value)
    assert message in text and text.startswith(dotted + "=") and "\n" not in text


def test_the_rules_cover_every_field_and_defaults_pass_them():
    for dotted in field_names():
        spec = field_spec(dotted)                  # every field is declared with a rule
        assert spec.kind in (int, float, bool, str, tuple), dotted
    assert Config() == preset("paper")


@pytest.mark.parametrize("changes, message", [
    ({"search.warmup_epochs": 6, "search.epochs": 6},
     "search.warmup_epochs=6 must be < search.epochs=6: the search would take no architecture step"),
    ({"search.epochs": 1}, "search.warmup_epochs=1 must be < search.epochs=1"),
    ({"data.scale": 3}, "search.hr_patch=64 must be a multiple of data.scale=3 (e.g. --set search.hr_patch=63)"),
    ({"data.scale": 4, "search.hr_patch": 64, "train.hr_patch": 40},
     f"train.hr_patch=40 at data.scale=4 gives 10-pixel LR patches, below the ESA block's minimum {ESA_MIN}"),
    ({"search.budget_params": 10_000, "search.budget_multi_adds": 10**9},
     "search.budget_params=10000 and search.budget_multi_adds=1000000000 are both set: choose one budget"),
    ({"search.budget_params": 0}, "search.lambda_cost=5.0 needs a budget"),
])
def test_cross_rules(changes, message):
    base = preset("laptop")
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        override(base, changes)


def test_overrides_apply_together_and_parse_types():
    cfg = override(preset("laptop"), ["data.scale=3", "search.hr_patch=63", "train.hr_patch=96",
                                      "search.budget_params=0", "search.budget_multi_adds=2e9",
                                      "search.lambda_cost=0.5", "search.w_milestones=", "eval.sets=Set5,B100"])
    assert cfg.data.scale == 3 and cfg.search.hr_patch == 63 and cfg.search.budget_multi_adds == 2_000_000_000
    assert cfg.search.lambda_cost == 0.5 and cfg.search.w_milestones == () and cfg.eval.sets == ("Set5", "B100")
    with pytest.raises(ConfigError, match="bad value '1.5' for search.budget_params: expected an int"):
        override(cfg, ["search.budget_params=1.5"])
    with pytest.raises(ConfigError, match="search.w_lr=inf must be a finite number > 0"):
        override(cfg, ["search.w_lr=inf"])
    assert type(override(cfg, {"search.w_lr": 1}).search.w_lr) is float     # ints become declared floats


def test_cli_config_error_comes_first_and_is_one_line(tmp_path, capsys):
    missing = tmp_path / "no-such-folder"
    rc = main(["search", "--preset", "smoke", "--data", str(missing), "--set", "search.order=2nd",
               "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().splitlines() == ["tinysr search: error: search.order='2nd': allowed values are "
                                        "'first', 'second'"]
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_preset_from_a_saved_config_round_trips(tmp_path, capsys):
    cfg = override(preset("smoke"), ["seed=4", "search.order=second", "train.val=builtin", "name=mine"])
    path = tmp_path / "config.json"
    cfg.to_json(path)
    assert preset(path) == cfg and preset(str(path)) == cfg
    assert preset(path, seed=7) == override(cfg, {"seed": 7})
    bad = tmp_path / "notes.json"
    bad.write_text(json.dumps({"epochs": 3}))
    with pytest.raises(ConfigError, match=r"notes.json is not a tinysr config.json: .*keys name, seed, data"):
        preset(bad)
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    with pytest.raises(ConfigError, match="garbage.json is not a tinysr config.json"):
        preset(garbage)
    with pytest.raises(FileNotFoundError, match="no such file"):
        preset(tmp_path / "missing.json")
    with pytest.raises(ConfigError, match="unknown preset 'huge'; choose one of smoke, laptop, gpu, paper"):
        preset("huge")
    old = json.loads(cfg.to_json())
    old["search"]["cost_kind"] = "params"
    path.write_text(json.dumps(old))
    with pytest.raises(ConfigError, match="search.cost_kind was removed"):
        preset(path)
    cfg.to_json(path)
    # the CLI takes a path too
    assert main(["search", "--preset", str(path), "--set", "search.order=2nd", "--out", str(tmp_path)]) == 2
    assert "search.order='2nd'" in capsys.readouterr().err


def test_presets_and_default(monkeypatch):
    assert PRESETS == ("smoke", "laptop", "gpu", "paper")
    for name in PRESETS:
        cfg = preset(name)
        assert cfg.name == name and Config.from_dict(json.loads(cfg.to_json())) == cfg
    gpu, laptop = preset("gpu"), preset("laptop")
    assert (gpu.search.channels, gpu.search.cells) == (48, 6)
    assert gpu.data.source == "auto" and gpu.train.channels == 0 and gpu.train.bicubic_skip
    assert laptop.data.source == "builtin"
    monkeypatch.setenv("TINYSR_PRESET", "smoke")
    assert default_preset_name() == "smoke" and preset().name == "smoke"
    monkeypatch.delenv("TINYSR_PRESET")
    assert default_preset_name() in ("gpu", "laptop")
    assert losses.LOSSES == field_spec("search.loss").choices == field_spec("train.loss").choices
    assert losses.HFEN_VARIANTS == field_spec("search.hfen").choices


# The CPU presets as intended (commit 6422a62 plus the new fields; the search tuned to decide, issue 11).
SMOKE = {"search": dict(channels=8, cells=4, epochs=2, steps_per_epoch=3, warmup_epochs=1, batch_size=2,
                        hr_patch=48, w_milestones=(), log_every=1, w_lr=5e-4, alpha_lr=0.05, grad_clip=5.0,
                        loss="l1", order="first", objective="train+val", w_weight_decay=1e-8, w_gamma=0.5,
                        alpha_betas=(0.5, 0.999), aux_skip=0.0, gumbel=False, fast=True, per_cell_alpha=False,
                        step_order="weight_first", lambda_cost=0.0, network_cost=0.0, budget_params=0,
                        budget_multi_adds=0, arch_steps=1, arch_batch_size=0),
         "train": dict(epochs=2, steps_per_epoch=4, batch_size=2, hr_patch=48, w_lr=1e-3, milestones=(),
                       bicubic_skip=True, channels=8, val_images=2, grad_clip=50.0, loss="l1", ema=0.0,
                       gamma=0.5, val="builtin"),
         "data": dict(source="builtin", scale=2, arch_fraction=0.5, arch_split="random", max_images=0),
         "eval": dict(sets=("Set5",), tile=0)}
LAPTOP = {"search": dict(channels=16, cells=4, epochs=14, steps_per_epoch=25, warmup_epochs=1, batch_size=8,
                         hr_patch=64, w_lr=1e-3, alpha_lr=0.1, w_milestones=(), log_every=5, grad_clip=5.0,
                         loss="l1", step_order="weight_first", lambda_cost=5.0, network_cost=0.0,
                         budget_params=100_000, budget_mode="max", tau_end=0.2, tau_hold=0.3, arch_batch_size=16,
                         budget_estimate="expected", gumbel=True, gumbel_hard=True, gumbel_tau=1.0,
                         alpha_optim="adam", derive="budget"),
          "train": dict(epochs=20, steps_per_epoch=85, batch_size=16, hr_patch=96, w_lr=3e-3, milestones=(14, 18),
                        bicubic_skip=True, channels=24, val_images=3, grad_clip=50.0, loss="l1", val="builtin",
                        hr_scales=(1.0, 0.75, 0.5)),
          "data": dict(source="builtin", scale=2, arch_fraction=0.5, arch_split="random"),
          "eval": dict(sets=("Set5", "Set14", "B100"))}


@pytest.mark.parametrize("name, expected", [("smoke", SMOKE), ("laptop", LAPTOP)])
def test_cpu_presets_keep_their_values(name, expected):
    cfg = preset(name)
    for section, values in expected.items():
        for key, value in values.items():
            assert getattr(getattr(cfg, section), key) == value, f"{name}: {section}.{key}"


def test_a_partial_config_file_takes_its_named_preset_and_says_so(tmp_path, capsys):
    """`{"name": "smoke"}` is the smoke preset (not the 1000-epoch paper search under the name smoke), with a note
    on stderr; a partial file naming no preset is an error naming the missing fields."""
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"name": "smoke"}))
    assert preset(path) == preset("smoke")
    assert "taken from preset 'smoke'" in capsys.readouterr().err
    d = preset("laptop").to_dict()
    del d["train"]["w_lr"]
    path.write_text(json.dumps(d))
    assert preset(path).train.w_lr == preset("laptop").train.w_lr
    assert "train.w_lr" in capsys.readouterr().err
    path.write_text(json.dumps({"name": "mine", "search": {"epochs": 3}}))
    with pytest.raises(ConfigError, match=r"lacks data\.arch_fraction.*name a preset"):
        preset(path)
    full = preset("laptop")
    assert Config.from_dict(json.loads(full.to_json())) == full and capsys.readouterr().err == ""
