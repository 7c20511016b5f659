"""tinysr: learn and reproduce DLSR, differentiable NAS for extremely lightweight super-resolution.

Public names are imported lazily from their modules (``tinysr.imresize`` is ``tinysr.resize.imresize``),
so ``import tinysr`` is fast and each stage can be used alone.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    # config
    "Config": "config", "DataConfig": "config", "SearchConfig": "config", "TrainConfig": "config",
    "EvalConfig": "config", "preset": "config", "override": "config", "default_preset_name": "config",
    # utils
    "get_device": "utils", "seed_everything": "utils",
    # data, resize, metrics
    "imresize": "resize", "imresize_pt": "resize",
    "rgb2ycbcr": "metrics", "calculate_psnr": "metrics", "calculate_ssim": "metrics",
    "calculate_psnr_pt": "metrics", "calculate_ssim_pt": "metrics",
    "load_image": "data", "save_image": "data", "builtin_photos": "data", "load_benchmark": "data",
    "PatchSampler": "data", "PairedDataset": "data", "split_photos": "data", "modcrop": "data",
    "BenchmarkImage": "data", "find_data_root": "data", "receptive_field": "ops",
    # network
    "OPS": "ops", "PRIMITIVES": "ops", "op_cost": "ops",
    "Genotype": "genotype", "get_genotype": "genotype", "GENOTYPES": "genotype",
    "MixedOp": "space", "SearchCell": "space", "SuperNet": "space",
    "DLSRNet": "model", "load_official": "model", "find_official": "model", "OFFICIAL_FILES": "model", "super_resolve": "inference",
    "count_params": "complexity", "multi_adds": "complexity", "latency": "complexity", "thop_macs": "complexity",
    "expected_cost": "complexity", "save_model": "model", "load_model": "model",
    # search, train, evaluate
    "Architect": "architect", "hessian_vector_product": "architect", "run_search": "search", "SearchResult": "search",
    "run_train": "train", "get_loss": "losses", "evaluate_bicubic": "evaluate",  # evaluate(): tinysr.evaluate.evaluate
    "run_pipeline": "pipeline", "builtin_eval_set": "pipeline", "format_table": "evaluate", "PUBLISHED_X2": "published",
    "PUBLISHED_BICUBIC": "published", "published_points": "published",
    # figures
    "plot_alpha_history": "viz", "plot_beta_history": "viz", "plot_alpha_bars": "viz", "plot_curves": "viz",
    "draw_genotype": "viz", "plot_sr_crops": "viz", "plot_pareto": "viz", "pareto_front": "viz",
    "plot_resize_comparison": "viz",
}

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module = importlib.import_module(f".{_EXPORTS[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module 'tinysr' has no attribute {name!r}")
