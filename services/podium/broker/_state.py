"""What a local broker keeps in its state dir, and the status reported about it.

::

    <state_dir>/
      data/               Kafka's log.dirs (topics, messages, KRaft metadata)
      broker.log          the broker's stdout and stderr, appended across runs
      broker.pid          pid of the running broker (removed by a clean stop)
      server.properties   rendered on every start
      bootstrap           "127.0.0.1:PORT", read by other podium commands
      broker.json         cluster id, ports and the Kafka version last started
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from podium.broker._config import LOOPBACK, is_cluster_id
from podium.broker._files import read_text_or_none, write_atomic
from podium.broker._ports import Ports
from podium.errors import BrokerError


@dataclass(frozen=True)
class StatePaths:
    """The files of one state dir (see the module docstring)."""

    root: Path

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "broker.log"

    @property
    def pid(self) -> Path:
        return self.root / "broker.pid"

    @property
    def properties(self) -> Path:
        return self.root / "server.properties"

    @property
    def bootstrap(self) -> Path:
        return self.root / "bootstrap"

    @property
    def record(self) -> Path:
        return self.root / "broker.json"

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def meta(self) -> Path:
        """Written by Kafka's storage format: its presence means "already formatted"."""
        return self.data / "meta.properties"


class BrokerRecord(BaseModel):
    """What must survive restarts: the cluster id of the data and the ports clients know."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster_id: str
    port: int = Field(ge=1, le=65535)
    controller_port: int = Field(ge=1, le=65535)
    kafka_version: str

    @field_validator("cluster_id")
    @classmethod
    def _cluster_id_shape(cls, value: str) -> str:
        if not is_cluster_id(value):
            raise ValueError("not a KRaft cluster id (22 URL-safe base64 characters)")
        return value

    @property
    def ports(self) -> Ports:
        return Ports(self.port, self.controller_port)

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"


def load_record(path: Path) -> BrokerRecord | None:
    """The record in ``path``; None when absent; a BrokerError naming the bad field if damaged."""
    text = read_text_or_none(path)
    if text is None:
        return None
    try:
        return BrokerRecord.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(whole file)"
        raise BrokerError(
            f"{path} is damaged (field {field}: {first['msg']}): fix it, or delete the "
            "state dir to start afresh (its topics and messages are lost)"
        ) from exc


def save_record(path: Path, record: BrokerRecord) -> None:
    write_atomic(path, json.dumps(record.model_dump(), indent=2) + "\n")


@dataclass(frozen=True)
class BrokerStatus:
    """What ``podium broker status`` shows; also what ``start`` returns.

    ``bootstrap`` is the address clients use ("127.0.0.1:PORT"); it is known from
    the first start on, also while the broker is stopped, and None before that.
    """

    running: bool
    bootstrap: str | None
    pid: int | None
    kafka_version: str
    state_dir: Path
    already_running: bool = False

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "data"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "broker.log"
