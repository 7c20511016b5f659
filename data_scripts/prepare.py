#!/usr/bin/env python3
"""Make MATLAB-exact bicubic LR images from a folder of HR images (the EDSR ``LR_bicubic`` layout).

    python data_scripts/prepare.py HR_DIR [--scales 2,3,4] [--out DIR] [--write-hr] [--overwrite] [-q]

The code is :mod:`tinysr.data.download.prepare` (see ``data_scripts/README.md``).
"""
import sys
from pathlib import Path

try:
    from tinysr.data.download.prepare import main
except ImportError:  # run from a source checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tinysr.data.download.prepare import main

if __name__ == "__main__":
    sys.exit(main(prog="prepare.py"))
