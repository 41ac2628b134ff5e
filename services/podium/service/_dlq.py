"""Dead letters for step services: kept for existing imports; the mechanism is podium.dlq."""

from podium.dlq import (
    DeadLetter,
    Producer,
    Record,
    dead_letter,
    dlq_topic,
    reason_of,
    send_dead_letter,
)

__all__ = [
    "DeadLetter",
    "Producer",
    "Record",
    "dead_letter",
    "dlq_topic",
    "reason_of",
    "send_dead_letter",
]
