"""Build hook: the wheel carries copies of the top-level `conf/` and `prompts/` folders as package
data (`clio/_resources/`), so a non-editable install finds them through the package
(clio/resources.py). Everything else about the build is declared in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA_FOLDERS = ("conf", "prompts")


class BuildWithDataFolders(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders directly
        for name in DATA_FOLDERS:
            target = Path(self.build_lib) / "clio" / "_resources" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithDataFolders})
