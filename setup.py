"""The wheel build's one addition to pyproject.toml: it copies the contract files (the
folders named in ``podium._bundle.CHECKOUT_PATHS``) into ``podium/_bundled/`` so an
installed Podium has its schemas, topic files, broker project and demo services. An
editable install reads them from the checkout instead."""

import runpy
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent
BUNDLE = runpy.run_path(str(ROOT / "services" / "podium" / "_bundle.py"))
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "target")


class BuildPyWithContract(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "podium" / BUNDLE["BUNDLED"]
        for name, source in BUNDLE["CHECKOUT_PATHS"].items():
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(ROOT / source, target / name, ignore=SKIPPED)


setup(cmdclass={"build_py": BuildPyWithContract})
