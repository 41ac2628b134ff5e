"""The coordinator: runs pipelines by reacting to events.

Two halves. The pure decision core is :mod:`podium.coordinator.core` (open it first):
``decide(state, event, pipeline, now_ms)`` returns a ``Decision`` (new ``RunState``,
commands, ignore reason) and ``admit(state, event, limit)`` keeps each pipeline's
``max_active_runs`` queue. Beside it, the shell: the wire adapters (``_translate``,
``_budget``), the batched Kafka engine with its tables, changelogs, outbox and timers
(``_engine``, ``_store``, ``_restore``, ``_outbox``, ``_acks``, ``_timers``,
``_forward``), the handlers that join the two (``_handle``, ``_admission_handle``) and
the wiring (``_app``'s :class:`Coordinator`, ``_run``'s :func:`run_coordinator`).
"""

from podium.coordinator._app import Coordinator
from podium.coordinator._handle import Handler, runs_partition_store
from podium.coordinator._run import run_coordinator
from podium.coordinator._timers import TimerIndex
from podium.coordinator.core._state import RunState
from podium.streams import EngineConfig

__all__ = [
    "Coordinator",
    "EngineConfig",
    "Handler",
    "RunState",
    "TimerIndex",
    "run_coordinator",
    "runs_partition_store",
]
