"""The coordinator's decision core: pure functions over typed models, no I/O, no clock.

Open this first. ``decide(state, event, pipeline, now_ms) -> Decision`` (``_machine``)
is the state machine: the new ``RunState`` (``_state``) and the ``Command`` s
(``_commands``) the shell executes. Its parts: starting and finishing steps and runs
(``_fanout``), failures and retries (``_failure``, ``_backoff``), compensation
(``_compensation``), runs queued under ``max_active_runs`` (``_queued``) and the
admission queue itself (``_admission``, ``admit``); ``_inputs`` holds the events it
consumes, ``_plan`` what it looks up in a pipeline, ``_tx`` one decision's working
state. Everything is property-tested with hypothesis in ``tests/unit``; the Kafka
shell around it is the rest of :mod:`podium.coordinator`.
"""
