"""The package's shape, read from the source with ``ast`` (nothing is imported, except in the last test):
imports only go down the layers and never in a circle, modules stay small, every module says what it
exports (``__all__``), and ``tinysr/__init__.py``'s lazy exports agree with those ``__all__``.

Every import counts, also one inside a function: a lazy import hides a dependency, it does not remove it.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinysr"
MAX_LINES = 300

# The layers (a module may import its own layer or lower ones, and its own package's children). A
# subpackage's modules share its layer. Every module of tinysr/ must be here: add a new one where it belongs.
LAYERS: dict[str, int] = {
    "utils": 0, "config": 0, "runtime": 0,
    "resize": 1, "metrics": 1, "losses": 1,
    "data": 2, "ops": 2, "genotype": 2,
    "cell": 3, "space": 3, "model": 3, "complexity": 3,
    "architect": 4, "runstate": 4, "deploy": 4,
    "search": 5, "train": 5, "evaluate": 5, "study": 5,
    "viz": 6, "report": 6, "pipeline": 6, "widgets": 6, "assignments": 6,
    "cli": 7, "commands": 7, "__main__": 7,
}
TOP = 8   # tinysr/__init__.py, the lazy front door: nothing inside the package imports it


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources() -> dict[str, tuple[Path, ast.Module]]:
    return {_module_name(p): (p, ast.parse(p.read_text(), filename=str(p))) for p in sorted(PACKAGE.rglob("*.py"))}


SOURCES = _sources()


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / module.replace(".", "/") / "__init__.py").is_file()


def _imports(module: str, tree: ast.Module) -> set[str]:
    """The tinysr modules ``module`` imports (absolute ``tinysr.x`` and relative), anywhere in its body.
    ``from . import x`` names the module ``x`` when there is one, else the package itself."""
    package = module if _is_package(module) else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name == "tinysr" or a.name.startswith("tinysr.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            elif node.module and (node.module == "tinysr" or node.module.startswith("tinysr.")):
                target = node.module
            else:
                continue
            subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in SOURCES]
            found |= set(subs) if subs and len(subs) == len(node.names) else {target} | set(subs)
    for target in list(found):          # importing tinysr.space.cost first runs tinysr/space/__init__.py
        parts = target.split(".")
        for k in range(2, len(parts)):
            parent = ".".join(parts[:k])
            if not module.startswith(parent + "."):
                found.add(parent)
    found.discard(module)
    return found


GRAPH = {m: _imports(m, tree) for m, (_, tree) in SOURCES.items()}


def _layer(module: str) -> int | None:
    if module == "tinysr":
        return TOP
    return LAYERS.get(module.split(".")[1])


def _all_of(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign) else
                   [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and node.value is not None:
            try:
                return list(ast.literal_eval(node.value))
            except ValueError:
                return None      # computed: only tinysr/__init__.py may do that
    return None


def test_every_module_has_a_layer():
    missing = sorted(m for m in SOURCES if _layer(m) is None)
    assert not missing, f"modules missing from LAYERS in tests/test_layers.py (add them where they belong): {missing}"


def test_no_import_cycle():
    state: dict[str, int] = {}          # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(GRAPH.get(m, ())):
            if state.get(n) == 1:
                cycles.append(path[path.index(n):] + [n])
            elif n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_imports_go_down_the_layers():
    wrong = []
    for m, targets in sorted(GRAPH.items()):
        lm = _layer(m)
        for n in sorted(targets):
            own_child = n.startswith(m + ".")
            ln = _layer(n)
            if not own_child and lm is not None and ln is not None and ln > lm:
                wrong.append(f"{m} (layer {lm}) imports {n} (layer {ln})")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_modules_are_small():
    big = {m: n for m, (p, _) in SOURCES.items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines (split them by idea): {big}"


def test_every_module_declares_all():
    missing = sorted(m for m, (_, tree) in SOURCES.items() if m != "tinysr" and _all_of(tree) is None)
    assert not missing, f"modules without a literal __all__: {missing}"


def _init_table() -> dict[str, tuple[str, ...]]:
    tree = SOURCES["tinysr"][1]
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "_MODULES":
            return ast.literal_eval(node.value)
    raise AssertionError("tinysr/__init__.py has no literal _MODULES table")


def test_init_exports_agree_with_the_modules_all():
    problems = []
    for module, names in _init_table().items():
        full = f"tinysr.{module}"
        if full not in SOURCES:
            problems.append(f"{module}: no such module")
            continue
        declared = _all_of(SOURCES[full][1]) or []
        if sorted(names) != sorted(declared):
            problems.append(f"{module}: tinysr/__init__.py lists {sorted(set(names) - set(declared))} that its "
                            f"__all__ lacks, and lacks {sorted(set(declared) - set(names))} that it has")
    assert not problems, "tinysr._MODULES disagrees with the modules' __all__:\n" + "\n".join(problems)


# The names tinysr exported before the split of data/viz; each must stay importable from the top level.
FORMER_EXPORTS = (
    "Config DataConfig SearchConfig TrainConfig EvalConfig preset override default_preset_name get_device "
    "seed_everything imresize imresize_pt rgb2ycbcr calculate_psnr calculate_ssim calculate_psnr_pt "
    "calculate_ssim_pt load_image save_image builtin_photos load_benchmark PatchSampler split_photos modcrop "
    "BenchmarkImage find_data_root receptive_field OPS PRIMITIVES op_cost Genotype get_genotype GENOTYPES MixedOp "
    "SearchCell SuperNet DLSRNet load_official find_official OFFICIAL_FILES super_resolve count_params multi_adds "
    "latency thop_macs expected_cost save_model load_model Architect hessian_vector_product run_search "
    "SearchResult run_train get_loss evaluate_bicubic run_pipeline builtin_eval_set format_table PUBLISHED_X2 "
    "PUBLISHED_BICUBIC published_points plot_alpha_history plot_beta_history plot_alpha_bars plot_curves "
    "draw_genotype plot_sr_crops plot_pareto pareto_front plot_resize_comparison").split()


def test_top_level_names_resolve_to_their_modules_objects():
    pytest.importorskip("matplotlib")
    import tinysr

    assert not [n for n in FORMER_EXPORTS if n not in tinysr.__all__], "former top-level names lost"
    shadowing = sorted(n for n in tinysr.__all__ if f"tinysr.{n}" in SOURCES)
    assert not shadowing, f"top-level names that are also module names: {shadowing}"
    for module, names in tinysr._MODULES.items():
        mod = importlib.import_module(f"tinysr.{module}")
        for name in names:
            if name in tinysr._MODULES:
                continue
            assert getattr(tinysr, name) is getattr(mod, name), f"tinysr.{name} is not tinysr.{module}.{name}"
