"""The two panels of the course: a search panel and a retraining panel (see :mod:`tinysr.widgets.runner`)."""
from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as W

from .. import config as C
from ..genotype import Genotype, get_genotype
from .figures import train_figure
from .form import TRAIN_FIELDS
from .runner import RunPanel

__all__ = ["SearchPanel", "TrainPanel", "describe_genotype", "link_panels"]


class SearchPanel(RunPanel):
    """Search settings; Run calls :func:`tinysr.search.run_search` (live: alpha bars + losses)."""

    label = "Run search"
    title = "Search: find a cell (bilevel search of the supernet)"
    kind = "search"

    def _total(self, cfg: C.Config) -> int:
        return cfg.search.epochs * cfg.search.steps_per_epoch

    def _call(self, cfg: C.Config, **kwargs: Any) -> Any:
        from ..search import run_search
        return run_search(cfg, **kwargs)

    def _summary(self, result: Any) -> str:
        g = result.genotype
        return f"genotype ops {', '.join(g.ops)}, inputs {[list(i) for i in g.inputs]}"


def describe_genotype(genotype: Genotype | str | Path, cfg: C.Config) -> str:
    """One line saying what a retraining of ``genotype`` with ``cfg`` builds: its ops, the inputs of its
    cells, the number of cells and the width (``train.channels``, 0: the genotype's own)."""
    try:
        g = get_genotype(genotype)
    except (ValueError, KeyError, TypeError, OSError) as exc:
        return f"not a genotype: {exc}"
    name = f"{genotype}: " if isinstance(genotype, (str, Path)) else ""
    width = cfg.train.channels or g.channels
    return (f"{name}ops {', '.join(g.ops)}; cell inputs {[list(i) for i in g.inputs]}; {g.cells} cells at "
            f"{width} channels")


class TrainPanel(RunPanel):
    """Retraining settings for ``genotype`` (settable later, e.g. by a SearchPanel's ``on_done``); the
    panel shows the genotype it will train. Run calls :func:`tinysr.train.run_train`."""

    label = "Run training"
    title = "Retrain: train the genotype from scratch"
    kind = "train"
    draw = staticmethod(train_figure)

    def __init__(self, genotype: Genotype | str | Path, cfg: C.Config | None = None,
                 fields: Sequence[str] = TRAIN_FIELDS, **kwargs: Any) -> None:
        self.genotype_line = W.HTML(value="").add_class("tinysr-genotype")
        self._genotype = genotype
        super().__init__(cfg, fields, **kwargs)
        self._changed()

    @property
    def genotype(self) -> Genotype | str | Path:
        """What Run trains; setting it updates the line under the heading."""
        return self._genotype

    @genotype.setter
    def genotype(self, value: Genotype | str | Path) -> None:
        self._genotype = value
        self._changed()

    def _changed(self) -> None:
        try:
            text = describe_genotype(self._genotype, self.config())
        except ValueError as exc:       # a half-typed field
            text = f"(settings not valid yet: {exc})"
        self.genotype_line.value = f"<b>will train</b> {html.escape(text)}"

    def _extra(self) -> list[W.Widget]:
        return [self.genotype_line]

    def _total(self, cfg: C.Config) -> int:
        return cfg.train.epochs * cfg.train.steps_per_epoch

    def _call(self, cfg: C.Config, **kwargs: Any) -> Any:
        from ..train import run_train
        return run_train(self._genotype, cfg, **kwargs)

    def _summary(self, result: Any) -> str:
        return f"best validation PSNR-Y {result.best_psnr:.2f} dB"


def link_panels(search: SearchPanel, train: TrainPanel) -> None:
    """Make the two panels one experiment: a finished search's genotype goes to ``train``, and the width the
    search sizes its budget at (its ``train.channels``, the retraining width) follows ``train``'s own
    ``train.channels`` slider, so a wider retraining never silently leaves the budget. The search panel's
    genotype-free settings are otherwise its own."""
    search.on_done(lambda result: setattr(train, "genotype", result.genotype))
    control = train.controls.get("train.channels")
    if control is None:
        return

    def follow(_change: dict | None = None) -> None:
        search.base = C.override(search.base, {"train.channels": control.value})
        search._follow_rules()
    control.observe(follow, names="value")
    search.preset.observe(follow, names="value")       # after the search panel's own reset to the new preset
    follow()
