"""tinysr: learn and reproduce DLSR, differentiable NAS for extremely lightweight super-resolution.

The package, by idea (the method in paper order flat beside the groups)::

    config/     settings: the presets and their rules (config, rules, overrides), the released code's settings with
                their sources (released), what a chapter starts with and costs (course, course_cost)
    data/       images on disk (images), the built-in photos (photos), the data rule (paths), datasets and patches
                (datasets), train/arch/val splits (splits), downloads (download/), published numbers (published)
    ops, cell, genotype, model, complexity          the search space and the discrete network
    space/      the supernet: mixed ops, cost and budget, derivation, the released supernet's keys
    losses, metrics, resize                         L1/HFEN, PSNR/SSIM, MATLAB-exact bicubic
    architect, search, train, evaluate              the bilevel search, retraining, evaluation
    runstate    run folders: checkpoints, resume, never overwriting
    study/      searched vs random: plans, the judge, the verdict, zero-cost proxies, reports
    deploy/     using a model: inference (and its fused CPU path), ONNX export, the released weights by name
    viz/, report, pipeline, widgets/, assignments/  figures, the run report, `tinysr run`, notebook panels, grading
    runtime/    devices (and the emulated GPU), torchrun helpers, progress and stopping, the shipped results
    utils       seeding, atomic files, safe loading;  cli, commands/: the `tinysr` command line

The top-level names are the ``__all__`` of the modules in :data:`_MODULES`, imported lazily on first use
(``tinysr.imresize`` is ``tinysr.resize.imresize``), so ``import tinysr`` is fast and each stage can be used
alone. :data:`_MODULES` repeats each module's ``__all__``; ``tests/test_layers.py`` fails when the two
disagree. A name two modules export (a re-export, e.g. ``OFFICIAL_FILES`` of ``paths`` and ``model``) comes
from the first module listed, and is the same object in both. A name that is also a module name
(``evaluate``) or a package name (``data``) means the module: the function is ``tinysr.evaluate.evaluate``.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# module (relative to tinysr) -> its __all__, lowest layer first (see tests/test_layers.py for the layers)
_MODULES: dict[str, tuple[str, ...]] = {
    "runtime.devices": ("get_device", "to_device", "module_device", "module_dtype", "is_host", "is_oom"),
    "utils": ("seed_everything", "atomic_path", "atomic_save", "atomic_write_text", "safe_load", "follow_umask",
              "os_error_message", "check_writable"),
    "runtime.shipped": ("shipped_path", "load_shipped", "shipped_names"),
    "config": ("PRESETS", "DataConfig", "SearchConfig", "TrainConfig", "EvalConfig", "Config", "ConfigError",
               "FieldSpec", "CROSS_RULES", "field_spec", "field_names", "preset", "override", "default_preset_name"),
    "data.images": ("IMAGE_EXTENSIONS", "load_image", "save_image", "modcrop", "to_rgb", "check_scale", "list_images"),
    "resize": ("imresize", "imresize_pt", "cubic", "contributions", "output_size"),
    "metrics": ("rgb2ycbcr", "calculate_psnr", "calculate_ssim", "calculate_psnr_pt", "calculate_ssim_pt"),
    "losses": ("LOSSES", "HFEN_VARIANTS", "gaussian_kernel", "log_kernel", "hfen_released", "hfen_log", "hfen_loss",
               "get_loss"),
    "data.published": ("PUBLISHED_X2", "PUBLISHED_BICUBIC", "published_points"),
    "data.paths": ("data_roots", "download_root", "find_in_roots", "find_benchmarks", "find_official_file",
                   "find_div2k", "describe_roots", "OFFICIAL_FILES"),
    "data.photos": ("BUILTIN_PHOTOS", "EVAL_PHOTOS", "TRAIN_PHOTOS", "ARCH_PHOTOS", "split_photos", "builtin_photos"),
    "data.datasets": ("find_data_root", "load_folder", "PatchSampler", "MIN_LR_SIZE", "BenchmarkImage",
                      "load_benchmark"),
    "data.download": ("download_dataset", "download_plan", "download_file", "verify_file", "safe_extract",
                      "arrange_benchmarks", "make_lr", "prepare_lr", "DownloadError", "OfflineError", "ChecksumError",
                      "UnsafeArchiveError"),
    "ops": ("PRIMITIVES", "OPS", "op_cost", "receptive_field"),
    "genotype": ("Genotype", "GENOTYPES", "get_genotype", "random_genotype"),
    "space": ("MixedOp", "FastMixedOp", "SearchCell", "SuperNet", "expected_cost"),
    "model": ("DLSRNet", "OFFICIAL_FILES", "find_official", "official_name", "describe_official", "load_official",
              "save_model", "load_model"),
    "complexity": ("OUTPUT_720P", "count_params", "lr_size_720p", "thop_macs", "multi_adds", "latency"),
    "architect": ("make_alpha_optimizer", "Architect", "hessian_vector_product", "exact_hvp", "Batch"),
    "deploy.inference": ("super_resolve", "upscale_image", "forward", "peak_bytes", "available_bytes"),
    "deploy.fused": ("can_fuse", "fused_forward", "kept_heap"),
    "deploy.export": ("check_export_args", "export_onnx", "onnx_session", "onnx_super_resolve", "require_onnx",
                      "ONNX_OPSET"),
    "deploy.pretrained": ("pretrained", "pretrained_path", "cache_dir", "PRETRAINED_SHA256", "PRETRAINED_SCALE",
                          "DEFAULT_MODEL_URL"),
    "search": ("Search", "SearchResult", "run_search", "budget_of", "Callback"),
    "train": ("Trainer", "TrainResult", "run_train", "build_model", "validation_psnr", "ema_update", "released_recipe"),
    "evaluate": ("evaluate", "evaluate_bicubic", "format_table"),
    "pipeline": ("run_pipeline", "builtin_eval_set", "RunResult", "BUILTIN_SET", "load_sets"),
    "viz": ("plot_alpha_history", "plot_alphas", "plot_beta_history", "plot_alpha_bars", "plot_curves", "draw_genotype",
            "plot_sr_crops", "pareto_front", "plot_pareto", "plot_resize_comparison"),
    "config.course_cost": ("Run", "ChapterPlan", "PLANS", "COURSE_PRESETS", "chapter_plan", "chapter_config",
                           "run_steps", "step_times", "cost_table", "format_cost_table"),
    "config.course": ("course_preset", "course_start", "skip_note", "SKIP_PREFIX"),
}

#: the modules and packages directly under tinysr (their names are never shadowed by an exported name)
_TOP = {m.split(".")[0] for m in _MODULES}

# public name -> the module it is read from (the first module listing it; module names are not shadowed)
_EXPORTS: dict[str, str] = {}
for _module, _names in _MODULES.items():
    for _name in _names:
        if _name not in _TOP:
            _EXPORTS.setdefault(_name, _module)
del _module, _names, _name

__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` on first use (or the submodule ``name`` itself)."""
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _TOP:
        value = importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'tinysr' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS) | _TOP)


# make test-device: TINYSR_EMULATE_DEVICE=1 emulates a GPU on the CPU for the whole process (docs/devices.md)
if __import__("os").environ.get("TINYSR_EMULATE_DEVICE") == "1":
    from .runtime.emulated_device import install as _install_emulated_device

    _install_emulated_device()
