"""Dead-letter queues: Podium's one mechanism for messages a consumer cannot process.

Every consumer (coordinator agents, step services, trigger runners, the API's
read model) sends such a message to ``<topic>.dlq`` with :func:`send_dead_letter`
(or a :class:`DeadLetterSink` when it reads without a consumer group), keeping
the original key, value and headers and adding ``podium-dlq-*`` headers (see
:mod:`podium.dlq._letter`). The reason is always one of :data:`REASONS`
(decode, schema, wrong-type, validation, unknown-pipeline, unknown-run,
handler), the finer code beside it in ``podium-dlq-detail`` (see
:mod:`podium.dlq._reasons`). Reading them back (:func:`read_dlq` ->
:class:`DlqEntry`), counting them (:func:`count_by_reason`) and replaying them
(:func:`plan_replays`, then send) is what ``podium dlq`` and ``/v1/dlq`` do, both
through :class:`KafkaDeadLetters`.

    letters = KafkaDeadLetters(kwargs)
    tail = await letters.tail("podium.runs.dlq", limit=50)
    plan = await letters.replay("podium.runs.dlq", lambda e: e.reason == "x", dry_run=False)
"""

from podium.dlq._browse import KafkaDeadLetters
from podium.dlq._entry import DlqEntry, matches
from podium.dlq._errors import DlqTopicMissingError
from podium.dlq._kafka import DeadLetterSink, dlq_topics, read_dlq, read_dlqs
from podium.dlq._letter import (
    DEFAULT_MAX_LETTER_BYTES,
    DLQ_SUFFIX,
    DeadLetter,
    Producer,
    Record,
    dead_letter,
    dlq_topic,
    reason_of,
    send_dead_letter,
)
from podium.dlq._render import entry_json, entry_table, plan_lines, stats_json, stats_table
from podium.dlq._replay import DEFAULT_MAX_REPLAYS, Replay, Skip, plan_replays, superseded_by
from podium.dlq._stats import count_by_reason

__all__ = [
    "DEFAULT_MAX_LETTER_BYTES",
    "DEFAULT_MAX_REPLAYS",
    "DLQ_SUFFIX",
    "DeadLetter",
    "DeadLetterSink",
    "DlqEntry",
    "DlqTopicMissingError",
    "KafkaDeadLetters",
    "Producer",
    "Record",
    "Replay",
    "Skip",
    "count_by_reason",
    "dead_letter",
    "dlq_topic",
    "dlq_topics",
    "entry_json",
    "entry_table",
    "matches",
    "plan_lines",
    "plan_replays",
    "read_dlq",
    "read_dlqs",
    "reason_of",
    "send_dead_letter",
    "stats_json",
    "stats_table",
    "superseded_by",
]
