"""Tests that need a program (java, mvn, kcat...): skipped on a developer's machine
without it, failed in CI (``CI=true``), where every test must really run."""

from __future__ import annotations

import os
import shutil

import pytest


def unavailable(test: str, reason: str) -> None:
    """Skip ``test`` for ``reason``; in CI, fail it instead."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{test} must run in CI: {reason}")
    pytest.skip(reason)


def require_tools(test: str, *tools: str) -> dict[str, str]:
    """The full path of each of ``tools``; a missing one skips (fails in CI) ``test``."""
    found = {tool: shutil.which(tool) for tool in tools}
    for tool, path in found.items():
        if path is None:
            unavailable(test, f"{tool} is not on PATH")
    return {tool: str(path) for tool, path in found.items()}
