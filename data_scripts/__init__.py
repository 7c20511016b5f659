"""Entry points kept for checkouts: ``download.py`` (the same command as ``tinysr download``) and
``prepare.py`` (MATLAB-exact bicubic LR files from a folder of HR images).

Both are a few lines over :mod:`tinysr.data.download`, which ships in the package; a pip user runs
``tinysr download benchmarks`` instead of ``python data_scripts/download.py benchmarks``.
"""
