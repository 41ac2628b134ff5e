"""``podium demo``: the whole of Podium on one machine, one landed file followed live.

    status = run_demo(settings, DemoOptions(once=True), echo=print)   # 0 if the run succeeded

The decisions (paths, child commands and environments, the FileLanded event and
the run id it will start, the API port) are pure functions in ``_plan``; what is
printed is pure in ``_render``; ``_children`` (processes), ``_kafka`` (Kafka and
HTTP) and ``_outputs`` (reading results back) are the thin I/O shell, and
``_run`` puts the phases in order.
"""

from podium.demo._run import DemoError, DemoOptions, run_demo

__all__ = ["DemoError", "DemoOptions", "run_demo"]
