"""The machine and the settings a result depends on (read once, reported as is)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

from podium.settings import PodiumSettings
from podium_bench._plan import Plan


def _cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    try:
        text = cpuinfo.read_text()
    except OSError:
        return platform.processor() or "unknown"
    models = [line.split(":", 1)[1].strip() for line in text.splitlines() if "model name" in line]
    return models[0] if models else "unknown"


def machine(settings: PodiumSettings) -> dict[str, Any]:
    """Cores, CPU, Python, libraries, Kafka version, and the load when the run began (other
    work on the machine makes figures noisy: the load average says how busy it was)."""
    import aiokafka

    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "kafka_version": settings.broker.kafka_version,
        "kafka_version_from": "settings (PODIUM_BROKER__KAFKA_VERSION)",
        "aiokafka": aiokafka.__version__,
        "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
    }


def bench_settings(plan: Plan, settings: PodiumSettings) -> dict[str, Any]:
    """The plan plus every client setting on the measured path."""
    from podium.coordinator import EngineConfig

    engine = EngineConfig("bench", session_timeout_ms=0, fetch_max_wait_ms=0, linger_ms=0)
    return {
        **plan.as_settings(),
        "trigger_path": "podium.runs.request_run (concurrent, one acks=all idempotent producer)",
        "coordinator_producer": {
            "acks": "all",
            "linger_ms": settings.coordinator.producer_linger_ms,
            "max_batch_size": 16384,
            "transactions": "one per poll (changelog, messages and input offsets)",
            "transaction_timeout_ms": engine.transaction_timeout_ms,
        },
        "coordinator_consumer": {
            "fetch_max_wait_ms": settings.coordinator.fetch_max_wait_ms,
            "max_poll_records": engine.max_poll_records,
        },
        "service_producer": {"acks": "all", "idempotent": True, "linger_ms": 0,
                             "max_batch_size": 16384, "send": "send_and_wait per result"},
        "floor_producer": {"acks": "all", "linger_ms": 0, "max_batch_size": 16384,
                           "send": "send, no wait per record"},
        "replication_factor": 1,
        "timestamps": "LogAppendTime",
    }  # fmt: skip
