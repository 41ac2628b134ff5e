"""Consumer lag per pipeline step: in messages, in seconds, with a rate and a status.

    async with open_lag_source(settings.client_kwargs()) as source:
        monitor = LagMonitor(source, lambda: [e.pipeline for e in registry.list()])
        report = await monitor.sample()

The monitor reads every consumer group's committed offsets and the log ends, maps each
Podium group to what users call it (the coordinator; a step service and the pipeline
steps whose requests it consumes; the trigger runner), reads the record at a lagging
partition's committed offset for its age, and judges each group over a sliding window
(OK, WARNING, STALLED, STOPPED; ``_status`` has the rules). ``podium lag`` prints it,
``GET /v1/lag`` serves it, :func:`register_lag_collector` exports it to Prometheus.
"""

from podium.lag._kafka import KafkaLagSource, open_lag_source
from podium.lag._mapping import GroupNaming
from podium.lag._metrics import register_lag_collector
from podium.lag._model import GroupLag, GroupRole, LagReport, LagStatus, PartitionLag, StepRef
from podium.lag._monitor import LagMonitor
from podium.lag._render import lag_table, report_json
from podium.lag._settings import LagSettings, load_lag_settings

__all__ = [
    "GroupLag",
    "GroupNaming",
    "GroupRole",
    "KafkaLagSource",
    "LagMonitor",
    "LagReport",
    "LagSettings",
    "LagStatus",
    "PartitionLag",
    "StepRef",
    "lag_table",
    "load_lag_settings",
    "open_lag_source",
    "register_lag_collector",
    "report_json",
]
