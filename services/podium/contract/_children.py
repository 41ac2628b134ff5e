"""Sub-pipelines on the wire: a child run's id and the trigger that names its parent.

A ``kind: pipeline`` step's attempt starts one child run, with a RunRequested on
``podium.runs`` whose trigger is ``{source: API, name: "pipeline", reference:
"<parent run>/<step>/<attempt>"}``. The existing ``API`` symbol is used on purpose: a new
``TriggerSource`` symbol would change the fingerprint of RunRequested (the enum is part of
its schema), and every reader deployed before it could no longer decode *any* run request.
``name`` tells it apart: API and CLI requests name themselves ``api`` and ``cli``.
When the child ends, its coordinator answers the parent's step with a StepCompleted or
StepFailed keyed by the parent run, as a service would.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHILD_TRIGGER_NAME = "pipeline"
_SOURCE = "API"


@dataclass(frozen=True, slots=True)
class ParentStep:
    """The attempt of a parent's ``kind: pipeline`` step that a child run answers."""

    run_id: str
    step: str
    attempt: int

    @property
    def child_run_id(self) -> str:
        """``<parent>~<step>~<attempt>``: one child per attempt, whatever redeliveries (run
        ids are UUIDs and step names have no ``~``, so the parts stay apart)."""
        return f"{self.run_id}~{self.step}~{self.attempt}"

    @property
    def reference(self) -> str:
        return f"{self.run_id}/{self.step}/{self.attempt}"

    def trigger(self) -> dict[str, str]:
        """The child's trigger (``podium.v1.Trigger`` as JSON)."""
        return {"source": _SOURCE, "name": CHILD_TRIGGER_NAME, "reference": self.reference}

    @classmethod
    def of(cls, trigger: Mapping[str, Any]) -> ParentStep | None:
        """The parent a run's trigger names, or None for a run that has none."""
        if trigger.get("name") != CHILD_TRIGGER_NAME or trigger.get("source") != _SOURCE:
            return None
        reference = trigger.get("reference")
        parts = reference.rsplit("/", 2) if isinstance(reference, str) else []
        if len(parts) != 3 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]))
