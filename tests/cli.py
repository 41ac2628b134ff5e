"""A click test runner that reads as click 8.2's on every click the project allows.

click 8.2 keeps ``result.stderr`` apart and gives both streams in ``result.output``;
click 8.1 (which faust-streaming, in the test extra for ``podium.faust``, holds the test
environment at) either mixes them with no ``stderr``, or with ``mix_stderr=False`` keeps
``stderr`` apart but leaves it out of ``output``. Tests assert on both, so on 8.1 the
result's ``output`` is made stdout then stderr (the order of interleaved lines is lost;
tests only look for lines in it).
"""

from __future__ import annotations

import inspect
from typing import Any

from click.testing import CliRunner, Result

_SEPARATES = "mix_stderr" in inspect.signature(CliRunner.__init__).parameters


class _BothStreams(Result):
    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class _Runner(CliRunner):
    def invoke(self, *args: Any, **kwargs: Any) -> Result:
        result = super().invoke(*args, **kwargs)
        result.__class__ = _BothStreams
        return result


def cli_runner() -> CliRunner:
    if _SEPARATES:
        return _Runner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()
