"""What there is to fetch: every file's address, published hash, size and where it goes under the data root.

- ``div2k``      -> ``DIV2K/DIV2K_{train,valid}_HR/0001.png`` and
                    ``DIV2K/DIV2K_{train,valid}_LR_bicubic/X<s>/0001x<s>.png`` (official ETH archives);
- ``flickr2k``   -> ``Flickr2K/Flickr2K_HR/000001.png`` (+ LR folders; EDSR's ``Flickr2K.tar``);
- ``benchmarks`` -> ``benchmarks/<Set>/HR/<stem>.png`` and ``benchmarks/<Set>/LR_bicubic/X<s>/<stem>x<s>.png``
                    for Set5, Set14, B100, Urban100 (EDSR's ``benchmark.tar``, rearranged);
- ``official``   -> ``official/<file>.pt``: the DLSR authors' released x2 checkpoints (the file names of
                    :data:`tinysr.data.paths.OFFICIAL_FILES`, where the data rule looks for them).

Archives are kept in ``<root>/downloads/``. Where each hash comes from is :data:`CHECKSUM_SOURCES`.
"""
from __future__ import annotations

import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..paths import OFFICIAL_FILES

__all__ = ["Source", "SOURCES", "DATASETS", "CHECKSUM_SOURCES", "BENCHMARK_SETS", "SET_ALIASES",
           "select_sources"]


@dataclass(frozen=True)
class Source:
    """One file to fetch.

    Attributes:
        part: short name used by ``--parts`` (e.g. ``train_hr``, ``x2``... see :data:`SOURCES`).
        url: canonical public address.
        sha256 / md5: published hash (``None`` where none is published); sha256 wins when both exist.
        size: size in bytes where published (shown by ``--dry-run``; the hash is what is checked).
        layout: ``"extract"`` (unpack into ``target``), ``"benchmarks"`` (unpack, then move
            ``benchmark/<Set>`` to ``target/<Set>``) or ``"file"`` (store as ``target/<filename>``).
        target: folder relative to the data root.
    """

    part: str
    url: str
    sha256: str | None
    md5: str | None = None
    size: int | None = None
    layout: str = "extract"
    target: str = "."

    @property
    def filename(self) -> str:
        """The last component of the URL's path (``DIV2K_train_HR.zip``)."""
        return PurePosixPath(urllib.parse.urlparse(self.url).path).name

    def checksum_kind(self) -> str:
        """How the file is checked, in words (shown by ``--dry-run``)."""
        return "sha256" if self.sha256 else ("md5 only" if self.md5 else "NO published checksum")


_DIV2K = "https://data.vision.ee.ethz.ch/cvl/DIV2K/"
_EDSR = "https://cv.snu.ac.kr/research/EDSR/"
_DLSR = "https://github.com/DawnHH/DLSR-PyTorch/raw/master/checkpoints/"

#: Where each published hash comes from (the files themselves were not downloaded to check them).
CHECKSUM_SOURCES = {
    "div2k": "sha256 + size: tensorflow/datasets, tensorflow_datasets/url_checksums/div2k.txt "
             "(commit 333639b37af6c6fedf3610a4a2d42f1c6ef6f7d5); md5 (kept for reference): "
             "Coloquinte/torchSR, torchsr/datasets/div2k.py (commit 99674a4460bab19e90dd69efab1d33c9006e9562)",
    "flickr2k": "md5 only: Coloquinte/torchSR, torchsr/datasets/flickr2k.py (no sha256 published)",
    "benchmarks": "md5 only: Coloquinte/torchSR, torchsr/datasets/benchmarks.py (no sha256 published)",
    "official": "sha256 + size: shared/data/official/sha256sums.txt (byte-for-byte copies of "
                "DawnHH/DLSR-PyTorch checkpoints/ at commit 3ea0d846f04895fb260ba419c94d6582bc7d7f0b)",
}


def _div2k(part: str, name: str, size: int, sha256: str, md5: str) -> Source:
    return Source(part, _DIV2K + name, sha256, md5, size, "extract", "DIV2K")


def _official(name: str, size: int, sha256: str) -> Source:
    return Source(name, _DLSR + OFFICIAL_FILES[name], sha256, None, size, "file", "official")


SOURCES: dict[str, tuple[Source, ...]] = {
    "div2k": (
        _div2k("train_hr", "DIV2K_train_HR.zip", 3530603713,
               "9d0b9c463f6e35b6c62cc6a930ee2224f670b34c1df841a57670f9acf0f6c335", "bdc2d9338d4e574fe81bf7d158758658"),
        _div2k("valid_hr", "DIV2K_valid_HR.zip", 448993893,
               "20dd31fd84d777bc1cf5d6b7654a3f569c0aec74458ae094122ad1d0489900fc", "9fcdda83005c5e5997799b69f955ff88"),
        _div2k("train_x2", "DIV2K_train_LR_bicubic_X2.zip", 925390592,
               "a53a424317575838dadce4bcd97cf7b744d6855f43740ed5f0245af3cf4bd850", "9a637d2ef4db0d0a81182be37fb00692"),
        _div2k("train_x3", "DIV2K_train_LR_bicubic_X3.zip", 427847282,
               "ad5c8e5507e2765823d3c2c5bd0934842efcd487c5370604c224090898b3163a", "ad80b9fe40c049a07a8a6c51bfab3b6d"),
        _div2k("train_x4", "DIV2K_train_LR_bicubic_X4.zip", 246914039,
               "f006b837f4eb52b82909aa01478e6d6d199eefce932179491d0c9dbb706dde3a", "76c43ec4155851901ebbe8339846d93d"),
        _div2k("valid_x2", "DIV2K_valid_LR_bicubic_X2.zip", 117763600,
               "60eed9875c697df51204aa579e2a699e1d5215095788a097ff54dd17e2664d57", "1512c9a3f7bde2a1a21a73044e46b9cb"),
        _div2k("valid_x3", "DIV2K_valid_LR_bicubic_X3.zip", 54513392,
               "04b9a2ed3b4a0715d3924d3ae8514830c3328fac8d30512ce716d6f419e052a3", "18b1d310f9f88c13618c287927b29898"),
        _div2k("valid_x4", "DIV2K_valid_LR_bicubic_X4.zip", 31505881,
               "a50a5d1c4b88de4e8d300d8fb2b904c52fe93b2b298a4899697760d7cbb6d553", "21962de700c8d368c6ff83314480eff0"),
    ),
    "flickr2k": (
        Source("flickr2k", _EDSR + "Flickr2K.tar", None, "5d3f39443d5e9489bff8963f8f26cb03", None, "extract", "."),
    ),
    "benchmarks": (
        Source("benchmark", _EDSR + "benchmark.tar", None, "4ace41d33c2384b97e6b320cd0afd6ba", None,
               "benchmarks", "benchmarks"),
    ),
    "official": (
        _official("dlsr", 3983137, "d2d9253e8ab69ad3d681244b8673353538d2ed5a024c9a5a273cecb8b7a00ecb"),
        _official("dlsr_para", 4055569, "5966582411f3dd016ff9bdd6012cfdf60aea45519e50d62c0f4fa4c6bca8deb8"),
        _official("dlsr_tiny", 786721, "d08440aea6686aef995b08118c87801df1e231f66ffb97209f1d4e43ebdbdcd1"),
    ),
}

#: The names ``tinysr download`` accepts: every dataset, and ``all``.
DATASETS = (*SOURCES, "all")

#: The sets in EDSR's benchmark.tar; ``--parts`` picks among them for ``benchmarks``.
BENCHMARK_SETS = ("Set5", "Set14", "B100", "Urban100")
#: Other names a package may give a set -> tinysr's name.
SET_ALIASES = {"BSD100": "B100", "BSDS100": "B100", "urban100": "Urban100"}


def select_sources(dataset: str, parts: Iterable[str] | None = None) -> list[tuple[Source, tuple[str, ...]]]:
    """The sources of ``dataset`` (``all`` = every dataset) restricted to ``parts``.

    ``parts`` items may themselves be comma-separated (``["Set5,Set14", "valid_hr"]``). Returns
    ``(source, sets)`` pairs; ``sets`` is the benchmark sets to install (empty otherwise).

    Raises:
        ValueError: unknown dataset or part (the message lists the valid ones).
    """
    names = list(SOURCES) if dataset == "all" else [dataset]
    if any(n not in SOURCES for n in names):
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    wanted = None if parts is None else {p for item in parts for p in item.split(",") if p}
    valid = {s.part for n in names for s in SOURCES[n] if s.layout != "benchmarks"}
    if any(s.layout == "benchmarks" for n in names for s in SOURCES[n]):
        valid |= set(BENCHMARK_SETS)
    if wanted is not None and wanted - valid:
        raise ValueError(f"unknown --parts {', '.join(sorted(wanted - valid))} for {dataset}; "
                         f"valid parts: {', '.join(sorted(valid))}")
    chosen = []
    for n in names:
        for src in SOURCES[n]:
            if src.layout == "benchmarks":
                sets = BENCHMARK_SETS if wanted is None else tuple(s for s in BENCHMARK_SETS if s in wanted)
                if sets:
                    chosen.append((src, sets))
            elif wanted is None or src.part in wanted:
                chosen.append((src, ()))
    return chosen
