#!/usr/bin/env python3
"""Download, verify and unpack tinysr's data: the same command as ``tinysr download`` (see
``data_scripts/README.md``), kept for checkouts. The code is :mod:`tinysr.data.download`.

    python data_scripts/download.py {div2k,flickr2k,benchmarks,official,all}
        [--root DIR] [--parts P ...] [--mirror URL] [--dry-run] [--remove-archives] [--retries N] [--timeout S] [-q]
"""
import sys
from pathlib import Path

try:
    from tinysr.data.download.command import main
except ImportError:  # run from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tinysr.data.download.command import main

if __name__ == "__main__":
    sys.exit(main(prog="download.py"))
