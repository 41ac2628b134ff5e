"""faust's Kafka consumer with one fix: after a rebalance, every input partition is really
rewound to its committed offset, including a partition that has none yet.

faust discards records it fetched around a rebalance (fetched while the flow was stopped,
for a partition it had paused, in an older generation, or left in an agent's buffer when
its flow control resumes) and counts on
``Consumer.perform_seek`` to rewind each partition to its committed offset so that they
are fetched again. That seek is aiokafka's ``seek_to_committed``, which moves a partition
only when its committed offset is above 0: a partition never committed (or committed at 0)
keeps the fetch position it had, past the discarded records. Those records are then lost
to this instance: with two coordinators, the survivor of a SIGKILL skipped the
``RunRequested`` and ``StepCompleted`` records that the dead one had not committed yet, and
those runs waited for a step timeout, or forever (issue 4).

Here such partitions are sought to the beginning (``consumer_auto_offset_reset`` is
``earliest``: what a consumer with no committed offset reads from). Records this
instance already handled may come again: at-least-once, absorbed by the state machine, as
for a partition rewound to a committed offset above 0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import faust
from faust.transport.drivers import aiokafka as faust_kafka
from faust.types import TP

from podium.coordinator._fetch import fetching_thread

log = logging.getLogger("podium.coordinator")


def never_committed(
    committed: Mapping[TP, int | None], is_input: Callable[[str], bool]
) -> list[TP]:
    """Input partitions that aiokafka's ``seek_to_committed`` left where they were."""
    return sorted(
        tp for tp, offset in committed.items() if is_input(tp.topic) and not (offset or 0) > 0
    )


class _Consumer(faust_kafka.Consumer):
    async def perform_seek(self) -> None:
        # After a rebalance faust resumes the input partitions, then seeks, then resumes
        # its flow control, which empties the agents' buffers: records fetched during the
        # seek would be dropped past the position it set. Suspended here, the flow holds
        # them back until that resume, which then delivers them instead.
        # Never while a table is being restored: faust's fetch loop also seeks then, and
        # the changelog records recovery waits for pass through the same flow control;
        # suspended, they would never arrive (recovery resumes it only once, earlier).
        if self.flow_active and not self.app.in_recovery:
            self.app.flow_control.suspend()
        await super().perform_seek()

    async def seek_to_committed(self) -> Mapping[TP, int]:
        committed: Mapping[TP, int] = await super().seek_to_committed()
        # Input topics are those whose offsets faust commits (not the table changelogs,
        # which recovery positions itself).
        behind = never_committed(committed, self.app.topics.acks_enabled_for)
        if behind:
            log.info("rewinding never-committed partitions to their start: %s", behind)
            await self._thread.seek_to_beginning(*behind)
        return committed


def use_podium_consumer(app: faust.App, *, fetch_max_wait_ms: int) -> None:
    """Give ``app`` the rewinding consumer above, fetching with at most ``fetch_max_wait_ms``
    of waiting on the broker (see ``_fetch``); call before the app starts."""
    thread_class = fetching_thread(fetch_max_wait_ms)

    class _Tuned(_Consumer):
        def _new_consumer_thread(self) -> faust_kafka.AIOKafkaConsumerThread:
            return thread_class(self, loop=self.loop, beacon=self.beacon)

    class _Transport(faust_kafka.Transport):
        Consumer = _Tuned

    app.transport = _Transport(app.conf.broker_consumer, app)
