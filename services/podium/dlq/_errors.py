"""The DLQ tools' errors::

PodiumError
 +-- DlqTopicMissingError   the DLQ topic to read does not exist on the cluster
"""

from __future__ import annotations

from podium.errors import PodiumError


class DlqTopicMissingError(PodiumError):
    """The DLQ topic to read does not exist (nothing was ever dead-lettered there?)."""

    def __init__(self, topic: str, bootstrap: object) -> None:
        super().__init__(
            f"topic {topic} does not exist on {bootstrap}: nothing has been dead-lettered "
            "there, or the name is wrong (`podium dlq stats` lists every *.dlq topic)"
        )
        self.topic = topic
