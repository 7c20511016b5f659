"""The ``paper`` preset is the released code (tinysr.config.released, field by field); ``tinysr presets`` prints the
presets against it; the README's "How tinysr differs" section is that command's current output."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tinysr.cli import main
from tinysr.commands.presets import README_BEGIN, README_END, readme_section, rows
from tinysr.config import PRESETS, field_names, override, preset, released
from tinysr.config.rules import get

README = Path(__file__).resolve().parents[1] / "README.md"


def test_every_field_is_released_or_tinysr_only_exactly_once():
    names = set(field_names())
    assert set(released.SETTINGS) | set(released.TINYSR_ONLY) == names
    assert not set(released.SETTINGS) & set(released.TINYSR_ONLY)


@pytest.mark.parametrize("dotted", sorted(released.SETTINGS))
def test_paper_preset_equals_the_released_setting(dotted):
    assert get(preset("paper"), dotted) == released.SETTINGS[dotted].value


def test_sources_name_a_file_and_line_or_say_not_found():
    pattern = re.compile(r"^(not found in .+|([\w/.-]+\.(py|sh):\d+(-\d+)?)(, [\w/.-]+\.(py|sh):\d+(-\d+)?)*)$")
    for dotted, setting in {**released.SETTINGS, **released.FACTS}.items():
        assert pattern.match(setting.source), (dotted, setting.source)


def test_steps_per_epoch_follow_the_edsr_loader():
    # search: 3000 weight images (--data_range 1-3000), batch 64, test_every 1000 -> repeat 21 -> 984.4 batches
    assert released.edsr_batches_per_epoch(3000, 64, 1000) == 985
    # retraining: 3450 images, batch 32, test_every 2000 -> repeat 18 -> 1940.6 batches
    assert released.edsr_batches_per_epoch(3450, 32, 2000) == 1941
    assert released.edsr_batches_per_epoch(10, 64, 1) == 1            # repeat is at least 1
    assert released.SETTINGS["search.steps_per_epoch"].value == preset("paper").search.steps_per_epoch


def test_departures_are_found():
    assert released.departures(preset("paper")) == {}
    changed = override(preset("paper"), {"search.w_lr": 1e-3, "train.grad_clip": 0.0})
    assert released.departures(changed) == {"search.w_lr": (1e-3, 5e-4), "train.grad_clip": (0.0, 50.0)}
    assert {"search.loss", "train.val"} <= set(released.departures(preset("laptop")))


def test_presets_command_text_json_markdown(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].split()[:6] == ["field", *PRESETS, "released"] and len(lines) == 1 + len(field_names())
    assert not any(line.startswith("!") for line in lines) and out.err == ""
    assert main(["presets", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["presets"] == list(PRESETS) and [r["field"] for r in data["rows"]] == field_names()
    by_field = {r["field"]: r for r in data["rows"]}
    assert by_field["search.loss"]["values"]["laptop"] == "l1" and by_field["search.loss"]["released"] == "l1+hfen"
    assert by_field["search.loss"]["departs"] == ["smoke", "laptop", "gpu"]
    assert by_field["search.fast"]["released"] is None and by_field["search.fast"]["source"].startswith("tinysr only")
    assert all("paper" not in r["departs"] for r in data["rows"])
    assert main(["presets", "--markdown", "--differs"]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert table[0] == "| field | smoke | laptop | gpu | paper | released | source |"
    assert len(table) == 2 + len(rows(differs=True)) and all(r["departs"] for r in rows(differs=True))
    assert any(line.startswith("| `search.loss` | l1\\* |") for line in table)


def test_readme_section_is_current():
    text = README.read_text()
    assert text.count(README_BEGIN) == 1 and text.count(README_END) == 1
    inside = text.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip("\n")
    assert inside == readme_section(), (
        "README.md is out of date: replace the text between the presets markers with "
        "tinysr.commands.presets.readme_section() (tinysr presets --markdown --differs, plus the intro)")
