"""Teams' own events: JSON, Avro with their own schemas, Confluent-framed Avro or JSON.

Pure readers (``_decode``: ``read_json_event``, ``OwnSchemas.read``, and
``read_registered`` after ``split_confluent``) and the one adapter,
:class:`SchemaRegistryClient`, which fetches and caches schemas by id over the
Confluent REST API. Triggers use them to start runs from records that were never
written with Podium's codec; the errors they raise are in ``_errors`` (codec
``DecodeError``\\ s with their own DLQ reasons).
"""

from podium.events._client import SchemaRegistryClient
from podium.events._confluent import confluent_frame, split_confluent
from podium.events._decode import ForeignEvent, OwnSchemas, read_json_event, read_registered
from podium.events._errors import SchemaRegistryUnavailable

__all__ = [
    "ForeignEvent",
    "OwnSchemas",
    "SchemaRegistryClient",
    "SchemaRegistryUnavailable",
    "confluent_frame",
    "read_json_event",
    "read_registered",
    "split_confluent",
]
