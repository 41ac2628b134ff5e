"""``podium.errors``'s docstring draws the whole error tree, and this keeps it true: every
class under ``PodiumError``, wherever it is defined, with its module (the benchmark
harness ``podium_bench`` included: it lives beside the package but raises Podium's errors)."""

from __future__ import annotations

import importlib
import pkgutil

import podium
import podium.errors
import podium_bench
from podium.errors import PodiumError

PACKAGES = (podium, podium_bench)


def _import_everything() -> None:
    for package in PACKAGES:
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if not module.name.endswith("__main__"):
                importlib.import_module(module.name)


def _drawn(cls: type[BaseException], depth: int = 1) -> list[str]:
    lines = []
    for sub in sorted(cls.__subclasses__(), key=lambda c: c.__name__):
        if sub.__module__.startswith(tuple(f"{p.__name__}." for p in PACKAGES)):
            lines.append(f"{'    ' * depth}{sub.__name__}  ({sub.__module__})")
            lines.extend(_drawn(sub, depth + 1))
    return lines


def test_the_docstring_draws_every_podium_error() -> None:
    _import_everything()
    tree = "\n".join(["PodiumError", *_drawn(PodiumError)])
    doc = podium.errors.__doc__ or ""
    assert tree in "\n".join(line.removeprefix("    ") for line in doc.splitlines()), tree
