"""Packaging hook (everything else is in pyproject.toml): a built wheel carries the course.

``build_py`` copies ``notebooks/`` (the chapters, the assignment solutions and their README; no checkpoints
or outputs) into the wheel as ``tinysr/_course/``, where ``tinysr notebooks DEST`` finds it, and the measured
results the chapters read (``benchmarks/results/*``) as ``tinysr/_results/`` (:mod:`tinysr.shipped`): a pip
user has no repository. An editable install (``pip install -e .``) copies nothing; ``tinysr notebooks`` and
``tinysr.shipped`` then read the checkout's folders directly.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE = ("*.ipynb", "assignments/*.ipynb", "assignments/README.md")
RESULTS = ("*.json", "*.md", "*.png")


class BuildPyWithCourse(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        root = Path(__file__).resolve().parent
        self.copy_tree_of(root / "notebooks", COURSE, "_course")
        self.copy_tree_of(root / "benchmarks" / "results", RESULTS, "_results")

    def copy_tree_of(self, src: Path, patterns: tuple, name: str) -> None:
        if not src.is_dir():
            return
        dst = Path(self.build_lib) / "tinysr" / name
        for pattern in patterns:
            for path in sorted(src.glob(pattern)):
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(path), str(target))


setup(cmdclass={"build_py": BuildPyWithCourse})
