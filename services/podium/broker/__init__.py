"""The local Apache Kafka broker behind ``podium broker``.

``LocalBroker`` runs one real Kafka broker (KRaft, broker and controller in one
JVM) on 127.0.0.1 from jars that Maven resolves once per version; its data,
log, pid and address live in a state dir, so a restart keeps both::

    broker = LocalBroker(Path("~/.cache/podium/broker").expanduser())
    status = broker.start()      # returns once the broker answers
    status.bootstrap             # "127.0.0.1:PORT"
    broker.stop()                # clean shutdown; data kept

The pure parts (server.properties, cluster ids, port choice, pid judgement) are
exported too, for tests and for tools that want the same rules.
"""

from podium.broker._config import parse_kafka_version
from podium.broker._files import read_from
from podium.broker._jars import JarCache, resolve_jars
from podium.broker._local import LocalBroker
from podium.broker._state import BrokerStatus

__all__ = [
    "BrokerStatus",
    "JarCache",
    "LocalBroker",
    "parse_kafka_version",
    "read_from",
    "resolve_jars",
]
