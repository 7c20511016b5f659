"""Packaging hook (everything else is in pyproject.toml): a built wheel carries the course, never its solutions.

``build_py`` puts into the wheel, as ``tinysr/_course/``, the chapters (``notebooks/*.ipynb``), the assignments'
README and the assignment *handouts* (``notebooks/assignments/*.ipynb`` with solutions stubbed and hidden checks
removed, made here by ``tinysr.assignments.build.handout_json``), where ``tinysr notebooks DEST`` finds them;
the solution notebooks stay in the repository, where the teacher builds and grades. It also copies the measured
results the chapters read (``benchmarks/results/*``) as ``tinysr/_results/`` (:mod:`tinysr.runtime.shipped`): a pip user
has no repository. An editable install (``pip install -e .``) copies nothing; ``tinysr notebooks`` and
``tinysr.runtime.shipped`` then read the checkout's folders directly.

Handouts are built here rather than committed, so they can never drift from the solutions. The build
environment has setuptools only (no torch, no nbformat), so ``tinysr.assignments``' modules are loaded from
the source tree under a private package name, without importing ``tinysr`` itself; they import only the
standard library at their top.
"""
import importlib
import sys
import types
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
CHAPTERS = ("*.ipynb", "assignments/README.md")
RESULTS = ("*.json", "*.md", "*.png")


def handout_builder():
    """``tinysr/assignments/build.py`` loaded from the source tree without importing ``tinysr``."""
    name = "_tinysr_assignments_for_the_wheel"
    if name not in sys.modules:
        package = types.ModuleType(name)
        package.__path__ = [str(ROOT / "tinysr" / "assignments")]
        sys.modules[name] = package
    return importlib.import_module(f"{name}.build")


class BuildPyWithCourse(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        self.copy_tree_of(ROOT / "notebooks", CHAPTERS, "_course")
        self.write_handouts(ROOT / "notebooks" / "assignments", "_course/assignments")
        self.copy_tree_of(ROOT / "benchmarks" / "results", RESULTS, "_results")

    def copy_tree_of(self, src: Path, patterns: tuple, name: str) -> None:
        if not src.is_dir():
            return
        dst = Path(self.build_lib) / "tinysr" / name
        for pattern in patterns:
            for path in sorted(src.glob(pattern)):
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(path), str(target))

    def write_handouts(self, src: Path, name: str) -> None:
        dst = Path(self.build_lib) / "tinysr" / name
        builder = handout_builder()
        for path in sorted(src.glob("*.ipynb")):
            text = builder.handout_json(path.read_text(encoding="utf-8"), path.name)
            dst.mkdir(parents=True, exist_ok=True)
            (dst / path.name).write_text(text, encoding="utf-8")
            print(f"handout {path.name} -> {dst / path.name}")


setup(cmdclass={"build_py": BuildPyWithCourse})
