"""Data: images on disk, the built-in photos, where data lives, datasets and patches, splits, downloads.

- :mod:`.images`    load and save with the format rules (gray kept, RGBA/palette/16-bit converted), modcrop;
- :mod:`.photos`    real photographs shipped with scikit-image, scikit-learn and matplotlib, split by scene;
- :mod:`.paths`     the one data rule: ``$TINYSR_DATA``, ``./datasets``, ``$TINYSR_SHARED/data``;
- :mod:`.datasets`  image folders, the resumable patch sampler, benchmark sets (EDSR layout, LR checked);
- :mod:`.splits`    which photos feed weight steps, architecture steps and validation;
- :mod:`.download`  checksummed, resumable downloads with safe extraction (``tinysr download``);
- :mod:`.published` published results as data, with their sources.

``tinysr.data`` itself offers the datasets, images and photos names (``from tinysr.data import PatchSampler``).
"""
from .datasets import MIN_LR_SIZE, BenchmarkImage, PatchSampler, find_data_root, load_benchmark, load_folder
from .images import IMAGE_EXTENSIONS, check_scale, list_images, load_image, modcrop, save_image, to_rgb
from .photos import ARCH_PHOTOS, BUILTIN_PHOTOS, EVAL_PHOTOS, TRAIN_PHOTOS, builtin_photos, split_photos

__all__ = ["find_data_root", "load_folder", "PatchSampler", "MIN_LR_SIZE", "BenchmarkImage", "load_benchmark",
           "IMAGE_EXTENSIONS", "load_image", "save_image", "modcrop", "to_rgb", "check_scale", "list_images",
           "BUILTIN_PHOTOS", "EVAL_PHOTOS", "TRAIN_PHOTOS", "ARCH_PHOTOS", "split_photos", "builtin_photos"]
