"""Pins podium.runs's public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium.runs


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium.runs.__all__) == sorted(
        [
            "AttemptView",
            "DEFAULT_LIMIT",
            "FINISHED_STEP_STATUSES",
            "IdempotencyConflict",
            "MAX_LIMIT",
            "Producer",
            "RUN_ID_NAMESPACE",
            "ReadModel",
            "ReadModelUnavailableError",
            "RunEventsTopicMissingError",
            "RunFinishedError",
            "RunNotFoundError",
            "RunView",
            "StepView",
            "TERMINAL_RUN_STATUSES",
            "apply_event",
            "apply_to_view",
            "attempt_json",
            "cancel_run",
            "check_cancellable",
            "error_json",
            "idempotency_conflict",
            "new_traceparent",
            "open_producer",
            "request_run",
            "requested_view",
            "run_details",
            "run_id_for",
            "run_rank",
            "run_requested",
            "run_table",
            "same_params",
            "select_runs",
            "step_json",
            "step_rank",
            "step_table",
            "summary_json",
            "trace_for_request",
            "transition_line",
            "valid_traceparent",
            "view_json",
            "with_pending_steps",
        ]
    )


def test_every_public_name_exists() -> None:
    for public in podium.runs.__all__:
        assert hasattr(podium.runs, public), public
