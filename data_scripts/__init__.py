"""Data helpers run as scripts: ``download.py`` (DIV2K, Flickr2K, benchmarks, official weights; verified and
safely unpacked) and ``prepare.py`` (MATLAB-exact bicubic LR files from a folder of HR images).

They are not part of the installed ``tinysr`` package; run them from a checkout, e.g.
``python data_scripts/download.py benchmarks``.
"""
