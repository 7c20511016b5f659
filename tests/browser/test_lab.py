"""07_playground in JupyterLab and headless Chromium, as a student uses it (``make test-browser``).

On a fresh kernel with ``TINYSR_PRESET=smoke``: the panels render as widgets (no "Error displaying widget",
no plain-text repr); a dragged slider reaches the kernel; the search and the training panel run to 100%
with their figures redrawn and their results in the panel's output area; Stop stops a run that is in its
worker thread; the browser console has no errors. Screenshots go to ``build/browser/``. The tests run in
file order and share one page: each one continues where the last stopped.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

OUT = Path(__file__).resolve().parents[2] / "build" / "browser"     # as in conftest.py
# ms: the longest wait for a cell or a smoke run (a loaded 2-core machine needs margin)
RUN_S = int(float(os.environ.get("TINYSR_BROWSER_TIMEOUT", "600")) * 1000)
BAD_TEXT = ("Error displaying widget", "SearchPanel object at", "TrainPanel object at", "VBox(children")
IGNORED_CONSOLE = ("favicon",)


def _panel_cell(cells: list[dict]) -> int:
    return next(i for i, c in enumerate(cells) if c["cell_type"] == "code" and "SearchPanel(" in "".join(c["source"]))


@pytest.fixture(scope="module")
def nb(lab, browser_page):
    """The opened notebook with every cell up to the panels' run: ``page`` and the two panels' outputs."""
    from playwright.sync_api import expect

    page, console = browser_page
    source = json.loads(lab["notebook"].read_text())["cells"]
    page.goto(f"{lab['url']}/lab/tree/07_playground.ipynb?token={lab['token']}", timeout=120_000)
    cells = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
    expect(cells).to_have_count(len(source), timeout=120_000)                   # loaded
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(timeout=120_000)   # kernel connected
    last = _panel_cell(source)
    for i in range(last + 1):
        _run_cell(page, cells.nth(i), source[i]["cell_type"] == "code")
    outputs = cells.nth(last).locator(".jp-Cell-outputArea > .jp-OutputArea-child")   # not the panels' own
    expect(outputs).to_have_count(2, timeout=60_000)
    return {"page": page, "console": console, "cells": cells, "search": outputs.nth(0), "train": outputs.nth(1)}


def _run_cell(page, cell, code: bool) -> None:
    """Select ``cell``, press Shift+Enter (as a student does) and wait until it has run. A key press that
    went nowhere (the prompt still ``[ ]`` after 20 s: the page was busy) is repeated once."""
    from playwright.sync_api import expect

    for attempt in range(2):
        cell.locator(".jp-InputPrompt").click()
        page.keyboard.press("Escape")
        expect(cell).to_have_class(re.compile("jp-mod-active"))
        page.keyboard.press("Shift+Enter")
        if not code:
            return
        try:
            expect(cell.locator(".jp-InputPrompt")).not_to_have_text(re.compile(r"\[ \]"), timeout=20_000)
            break
        except AssertionError:
            if attempt:
                raise
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=RUN_S)


def _run_code(nb, code: str, marker: str) -> str:
    """Insert a cell below the active one, run ``code`` (which contains ``marker``), return its output."""
    from playwright.sync_api import expect

    page = nb["page"]
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text(code)
    page.keyboard.press("Shift+Enter")
    cell = nb["cells"].filter(has_text=marker).last
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]"), timeout=120_000)
    return cell.locator(".jp-OutputArea-output").inner_text()


def _slider(panel, name: str):
    label = panel.page.locator(".widget-label", has_text=re.compile(f"^{name}$"))
    return panel.locator(".widget-slider").filter(has=label)


def _drag(slider, fraction: float) -> None:
    """Drag the slider's handle to ``fraction`` (0..1) of its track."""
    page = slider.page
    track, handle = slider.locator(".noUi-target").bounding_box(), slider.locator(".noUi-handle").bounding_box()
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(track["x"] + fraction * track["width"], handle["y"] + handle["height"] / 2, steps=12)
    page.mouse.up()


def _readout(slider) -> int:
    return int(slider.locator(".widget-readout").inner_text().replace(",", ""))


def _run_to_end(nb, panel, shot: str) -> None:
    """Click Run, check the figure is redrawn while it runs, wait for 100% and 'done'."""
    from playwright.sync_api import expect

    status, image = panel.locator(".tinysr-status"), panel.locator("img.tinysr-figure")
    # every new figure the panel shows, recorded in the page as it happens (a short run may redraw before a poll could)
    panel.evaluate("""el => {
        const before = new Set([...el.querySelectorAll("img.tinysr-figure")].map(img => img.src));
        el.__srcs = new Set();
        const note = () => el.querySelectorAll("img.tinysr-figure").forEach(
            img => img.src && !before.has(img.src) && el.__srcs.add(img.src));
        new MutationObserver(note).observe(el, {subtree: true, childList: true, attributes: true,
                                                attributeFilter: ["src"]});
    }""")
    panel.locator("button.tinysr-run").click()
    expect(panel.locator("button.tinysr-run")).to_be_disabled(timeout=30_000)
    expect(image).to_be_visible(timeout=RUN_S)
    expect(status).to_contain_text("done", timeout=RUN_S)
    shown = panel.evaluate("el => el.__srcs.size")
    assert shown >= 2, f"the figure was drawn {shown} time(s) during the run and never redrawn"
    assert image.evaluate("img => img.naturalWidth") > 100
    assert "width: 100%" in panel.locator(".tinysr-progress .progress-bar").get_attribute("style")
    expect(panel.locator("button.tinysr-run")).to_be_enabled()
    panel.screenshot(path=str(OUT / shot))


def test_panels_render_as_widgets(nb):
    from playwright.sync_api import expect

    page = nb["page"]
    for panel, label in ((nb["search"], "Run search"), (nb["train"], "Run training")):
        expect(panel.locator("button.tinysr-run")).to_have_text(label)
        expect(panel.locator("h3")).to_be_visible()
        assert panel.locator("img.tinysr-figure").is_hidden()          # no broken image before a run
    text = page.locator(".jp-NotebookPanel").inner_text()
    assert not [t for t in BAD_TEXT if t in text], text[:2000]
    assert "paper" not in nb["search"].locator("select").first.inner_text()
    page.screenshot(path=str(OUT / "01_notebook.png"))
    nb["search"].screenshot(path=str(OUT / "02_panels.png"))


def test_a_dragged_slider_reaches_the_kernel(nb):
    epochs = _slider(nb["search"], "epochs")
    before = _readout(epochs)
    _drag(epochs, 0.45)
    after = _readout(epochs)
    assert after != before, "the drag did not move the slider"
    out = _run_code(nb, "print('KERNEL_SEES', search_panel.config().search.epochs)", "KERNEL_SEES")
    assert f"KERNEL_SEES {after}" in out, out


def test_search_panel_runs_to_100_percent_and_hands_its_genotype_on(nb):
    line = nb["train"].locator(".tinysr-genotype")
    before = line.inner_text()
    _run_to_end(nb, nb["search"], "03_search_done.png")
    ops = re.search(r"genotype ops (.*?), inputs", nb["search"].locator(".tinysr-status").inner_text()).group(1)
    assert line.inner_text() != before and f"ops {ops};" in line.inner_text()   # the training panel's genotype


def test_training_panel_runs_to_100_percent_and_shows_its_result(nb):
    from playwright.sync_api import expect

    _run_to_end(nb, nb["train"], "04_train_done.png")
    output = nb["train"].locator(".tinysr-output")
    expect(output).to_contain_text("Run training #1", timeout=60_000)
    expect(output).to_contain_text("panel 1:", timeout=120_000)     # add_run's line, from on_done


def test_stop_stops_a_running_search(nb):
    from playwright.sync_api import expect

    panel = nb["search"]                           # 5 epochs of 3 steps (the slider test's drag): Stop at step 1
    status, bar = panel.locator(".tinysr-status"), panel.locator(".tinysr-progress .progress-bar")
    panel.locator("button.tinysr-run").click()
    expect(status).to_contain_text("step ", timeout=RUN_S)         # the first record is in: it runs
    panel.locator("button.tinysr-stop").click()
    expect(status).to_contain_text("stopped", timeout=RUN_S)
    assert "Stop button" in status.inner_text()
    assert "width: 100%" not in bar.get_attribute("style")
    expect(panel.locator("button.tinysr-run")).to_be_enabled()
    expect(panel.locator("button.tinysr-stop")).to_be_disabled()
    panel.screenshot(path=str(OUT / "05_stopped.png"))


def test_browser_console_is_clean(nb):
    nb["page"].screenshot(path=str(OUT / "06_end.png"))
    errors = [m for m in nb["console"] if m.startswith(("error", "pageerror"))
              and not any(s in m for s in IGNORED_CONSOLE)]
    assert not errors, "\n".join(errors)
