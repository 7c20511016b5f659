"""Getting the data tinysr trains and evaluates on, ready in its layout: ``tinysr download ...``.

A pip user has no repository, so this lives in the package; ``data_scripts/download.py`` and
``data_scripts/prepare.py`` are thin entry points over it. Standard library only (plus tinysr's own
image code for :mod:`.prepare`). One idea per module:

- :mod:`.sources`   what to fetch: URLs, published sha256/md5, sizes, where each lands (``SOURCES``);
- :mod:`.transfer`  one file over HTTP: resumable (``Range``), retried, verified before it is kept;
- :mod:`.extract`   safe extraction: no absolute paths, no ``..``, no links leading outside;
- :mod:`.layout`    EDSR's benchmark package -> ``benchmarks/<Set>/HR``, ``LR_bicubic/X<s>``;
- :mod:`.install`   a dataset from its sources to the data root: the plan (``--dry-run``) and the run;
- :mod:`.command`   the command line shared by ``tinysr download`` and ``data_scripts/download.py``;
- :mod:`.prepare`   MATLAB-exact LR files for any HR folder (``data_scripts/prepare.py``);
- :mod:`.messages`  the error types, progress lines and byte counts.

Downloads land in the data rule's first folder (:func:`tinysr.data.paths.download_root`: ``$TINYSR_DATA``, else
``./datasets``), where :mod:`tinysr.data.paths` then finds them. ``make_lr`` and ``prepare_lr`` are imported
on first use: they need torch (through :mod:`tinysr.resize`), the downloader does not, and ``tinysr download``
should start in a blink.
"""
from __future__ import annotations

from typing import Any

from .extract import safe_extract
from .install import download_dataset, download_plan
from .layout import arrange_benchmarks
from .messages import ChecksumError, DownloadError, OfflineError, UnsafeArchiveError
from .transfer import download_file, verify_file

__all__ = ["download_dataset", "download_plan", "download_file", "verify_file", "safe_extract",
           "arrange_benchmarks", "make_lr", "prepare_lr", "DownloadError", "OfflineError", "ChecksumError",
           "UnsafeArchiveError"]


def __getattr__(name: str) -> Any:
    """``make_lr`` and ``prepare_lr`` from :mod:`.prepare`, imported on first use."""
    if name in ("make_lr", "prepare_lr"):
        from . import prepare

        return getattr(prepare, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
