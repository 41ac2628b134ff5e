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

from podium.broker._config import (
    BrokerConfig,
    is_cluster_id,
    new_cluster_id,
    parse_kafka_version,
    render_server_properties,
)
from podium.broker._files import read_from
from podium.broker._jars import JarCache, find_pom, missing_tool_message, require_tool, resolve_jars
from podium.broker._local import LocalBroker
from podium.broker._ports import Ports, plan_ports
from podium.broker._process import PidState, is_broker_cmdline, judge_pid
from podium.broker._state import BrokerStatus
from podium.settings import DEFAULT_KAFKA_VERSION

__all__ = [
    "DEFAULT_KAFKA_VERSION",
    "BrokerConfig",
    "BrokerStatus",
    "JarCache",
    "LocalBroker",
    "PidState",
    "Ports",
    "find_pom",
    "is_broker_cmdline",
    "is_cluster_id",
    "judge_pid",
    "missing_tool_message",
    "new_cluster_id",
    "parse_kafka_version",
    "plan_ports",
    "read_from",
    "render_server_properties",
    "require_tool",
    "resolve_jars",
]
