"""The waiter: steps completed by teams' events, by people (approvals) and by signals.

Pure core: ``_model`` (a wait, an event, their shared key), ``_book`` (pairing on one
partition, property-tested), ``_decide`` (what a request waits for, which events are
for it, the result). The shell: ``_intake`` re-keys requests, signals and events onto
the keyed topic; ``_pairs`` pairs them and sends results; ``WaitRunner`` runs both in
the coordinator beside its triggers. See docs/waits.md.
"""

from podium.waits._metrics import WaitMetrics
from podium.waits._runner import WaitRunner

__all__ = ["WaitMetrics", "WaitRunner"]
