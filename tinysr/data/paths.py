"""The one rule for finding data on this machine, used by the CLI, the Makefile, notebooks and benchmarks.

Roots are searched in this order, and the first that holds what is asked for wins:

1. ``$TINYSR_DATA`` (where you told ``tinysr download`` to put things);
2. ``./datasets`` (where ``tinysr download`` puts things by default, relative to the working directory);
3. ``$TINYSR_SHARED/data`` (a shared, read-only copy, e.g. on a course server or in CI).

Inside a root: ``benchmarks/<Set>/...`` (EDSR layout), ``official/<file>.pt`` (the authors' released
checkpoints), ``DIV2K/DIV2K_train_HR`` (and ``Flickr2K/Flickr2K_HR``). Nothing here downloads or reads
images; it only looks for folders and files.
"""
from __future__ import annotations

import os
from pathlib import Path

__all__ = ["data_roots", "download_root", "find_in_roots", "find_benchmarks", "find_official_file",
           "find_div2k", "describe_roots", "OFFICIAL_FILES"]

# The authors' released x2 checkpoints (``checkpoints/`` of their DLSR-PyTorch repository) by genotype name.
OFFICIAL_FILES: dict[str, str] = {
    "dlsr": "RFDN_beta21_ps128_20210128_1000.pt",
    "dlsr_para": "RFDN_beta1_para_loss.pt",
    "dlsr_tiny": "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt",
}


def data_roots() -> list[Path]:
    """The candidate roots in rule order (existing folders only, duplicates removed)."""
    candidates: list[Path] = []
    if os.environ.get("TINYSR_DATA"):
        candidates.append(Path(os.environ["TINYSR_DATA"]))
    candidates.append(Path("datasets"))
    if os.environ.get("TINYSR_SHARED"):
        candidates.append(Path(os.environ["TINYSR_SHARED"]) / "data")
    out: list[Path] = []
    for root in candidates:
        if root.is_dir() and all(root.resolve() != r.resolve() for r in out):
            out.append(root)
    return out


def download_root() -> Path:
    """Where downloads land: the rule's first folder, ``$TINYSR_DATA`` if set, else ``./datasets`` (which
    need not exist yet; ``$TINYSR_SHARED/data`` is read-only and never written)."""
    return Path(os.environ.get("TINYSR_DATA") or "datasets")


def find_in_roots(relative: str | Path, *, want_dir: bool = True) -> Path | None:
    """``<root>/<relative>`` in the first root that has it (a folder, or a file with ``want_dir=False``)."""
    for root in data_roots():
        p = root / relative
        if (p.is_dir() if want_dir else p.is_file()):
            return p
    return None


def find_benchmarks(required: str = "Set5") -> Path | None:
    """The benchmark root (``<root>/benchmarks``) whose ``required`` set exists, or ``None``."""
    hit = find_in_roots(Path("benchmarks") / required)
    return hit.parent if hit is not None else None


def find_official_file(name: str = "dlsr") -> Path | None:
    """The released checkpoint of genotype ``name`` (``dlsr``, ``dlsr_para``, ``dlsr_tiny``), or ``None``."""
    if name not in OFFICIAL_FILES:
        raise ValueError(f"no released checkpoint for {name!r}; released: {', '.join(OFFICIAL_FILES)}")
    return find_in_roots(Path("official") / OFFICIAL_FILES[name], want_dir=False)


def find_div2k() -> Path | None:
    """``DIV2K/DIV2K_train_HR`` in the first root that has it, or ``None``."""
    return find_in_roots(Path("DIV2K") / "DIV2K_train_HR")


def describe_roots() -> str:
    """One line for error messages: where tinysr looked, in order."""
    env = os.environ.get("TINYSR_DATA")
    shared = os.environ.get("TINYSR_SHARED")
    parts = [f"$TINYSR_DATA ({env})" if env else "$TINYSR_DATA (unset)", "./datasets",
             f"$TINYSR_SHARED/data ({Path(shared) / 'data'})" if shared else "$TINYSR_SHARED/data (unset)"]
    return "looked in " + ", then ".join(parts)
