"""``podium demo``: the whole of Podium on one machine, one landed file followed live.

    status = run_demo(settings, DemoOptions(once=True), echo=print)   # 0 if the run succeeded

The decisions (paths, child commands and environments, the FileLanded event and
the run id it will start, the API port) are pure functions in ``_plan``; what is
printed is pure in ``_render``; ``_children`` (processes), ``_kafka`` (Kafka and
HTTP) and ``_outputs`` (reading results back) are the thin I/O shell, and
``_run`` puts the phases in order.
"""

from podium.demo._children import Children, tail
from podium.demo._outputs import read_produced
from podium.demo._plan import (
    DEMO_PIPELINE,
    OUT_ENV,
    SERVICES,
    ChildSpec,
    DemoPaths,
    child_env,
    child_specs,
    choose_port,
    expected_run,
    file_landed,
    landing_stamp,
    service_group,
    step_service,
)
from podium.demo._render import (
    Produced,
    api_lines,
    broker_line,
    failed_step,
    failure_lines,
    finished_line,
    pipeline_lines,
    produced_lines,
    short_value,
    stop_lines,
    topics_lines,
    transition_row,
)
from podium.demo._run import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    DemoError,
    DemoOptions,
    ensure_broker,
    run_demo,
)

__all__ = [
    "DEMO_PIPELINE",
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "OUT_ENV",
    "SERVICES",
    "ChildSpec",
    "Children",
    "DemoError",
    "DemoOptions",
    "DemoPaths",
    "Produced",
    "api_lines",
    "broker_line",
    "child_env",
    "child_specs",
    "choose_port",
    "ensure_broker",
    "expected_run",
    "failed_step",
    "failure_lines",
    "file_landed",
    "finished_line",
    "landing_stamp",
    "pipeline_lines",
    "produced_lines",
    "read_produced",
    "run_demo",
    "service_group",
    "short_value",
    "step_service",
    "stop_lines",
    "tail",
    "topics_lines",
    "transition_row",
]
