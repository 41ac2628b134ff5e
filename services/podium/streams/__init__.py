"""The stream-table runtime: the one Kafka seam for consume loops. It knows nothing of
runs; the coordinator, the step services, the triggers, the registry and the run read
model are built on it.

- ``_engine``: the batched consume loop (:class:`Engine`): a poll's records go to their
  topic's :class:`Route`, and what they produce, the tables' changes and the input offsets
  commit in one Kafka transaction; rebalances restore the tables first.
- ``_store`` / ``_restore``: :class:`Table` (a per-partition in-memory store with a
  compacted changelog, and a retention for settled rows) and reading it back.
- ``_outbox`` / ``_acks``: messages gathered into producer batches per partition, and the
  acknowledgements a transaction waits for.
- ``_partitioner``: :class:`MemoPartitioner`, Kafka's murmur2 key partitioner, memoised.
- ``_commits`` / ``_offsets``: :class:`GroupCommits`, a consumer group's done offsets
  committed on a cadence, on revoke and on stop, for loops that finish records out of
  band (the step services, the event triggers); :class:`OffsetTracker` keeps which.
- ``_follow``: :class:`TopicFollower`, reading a whole topic to its end, then following it.
  An :class:`EngineObserver` hears of each batch and assignment (the coordinator's metrics).
- ``_message``: :class:`Outgoing`, what a handler asks to produce.
- ``_transport``: :class:`Transport`, where the clients come from (:class:`KafkaTransport`;
  the in-memory one for unit tests is ``podium.streams.testing.MemoryTransport``).
"""

from podium.streams._commits import GroupCommits
from podium.streams._engine import Engine, EngineConfig, EngineObserver, Handle, Route
from podium.streams._follow import TopicFollower
from podium.streams._message import Headers, Outgoing
from podium.streams._offsets import OffsetTracker
from podium.streams._outbox import Partitioner
from podium.streams._partitioner import MemoPartitioner
from podium.streams._store import PartitionStore, Retention, Table, changelog_topic
from podium.streams._transport import KafkaTransport, Transport

__all__ = [
    "Engine",
    "EngineConfig",
    "EngineObserver",
    "GroupCommits",
    "Handle",
    "Headers",
    "KafkaTransport",
    "MemoPartitioner",
    "OffsetTracker",
    "Outgoing",
    "PartitionStore",
    "Partitioner",
    "Retention",
    "Route",
    "Table",
    "TopicFollower",
    "Transport",
    "changelog_topic",
]
