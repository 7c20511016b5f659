"""Packaging hook (everything else is in pyproject.toml): a built wheel carries the course.

``build_py`` copies ``notebooks/`` (the chapters, the assignment solutions and their README; no checkpoints
or outputs) into the wheel as ``tinysr/_course/``, where ``tinysr notebooks DEST`` finds it: a pip user has
no repository. An editable install (``pip install -e .``) copies nothing; ``tinysr notebooks`` then reads
the checkout's ``notebooks/`` directly.
"""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

COURSE = ("*.ipynb", "assignments/*.ipynb", "assignments/README.md")


class BuildPyWithCourse(build_py):
    def run(self):
        super().run()
        src = Path(__file__).resolve().parent / "notebooks"
        if getattr(self, "editable_mode", False) or not src.is_dir():
            return
        dst = Path(self.build_lib) / "tinysr" / "_course"
        for pattern in COURSE:
            for path in sorted(src.glob(pattern)):
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                self.copy_file(str(path), str(target))


setup(cmdclass={"build_py": BuildPyWithCourse})
