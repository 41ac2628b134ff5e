"""Podium: an event-driven micro-orchestrator on Kafka."""

__version__ = "0.1.0"
