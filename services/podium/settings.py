"""Settings: one model, read once from the environment and passed in.

Every Podium command honours ``PODIUM_KAFKA__BOOTSTRAP_SERVERS`` (an existing
cluster) and the SASL/TLS client settings beside it; without it, commands use
the broker started by ``podium broker start``, whose address is written to
``<home>/broker/bootstrap``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from podium._priority import NICE_MAX, NICE_MIN
from podium.errors import ConfigError

_Settings = TypeVar("_Settings", bound=BaseSettings)

DEFAULT_KAFKA_VERSION = "4.4.0"

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "GSSAPI"]


def default_home() -> Path:
    """Podium's cache and state folder: ``$XDG_CACHE_HOME/podium`` or ``~/.cache/podium``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "podium"


class KafkaSettings(BaseModel):
    """How Podium's clients reach Kafka. Secrets are ``SecretStr``: never printed."""

    bootstrap_servers: str | None = None
    client_id: str = "podium"
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_plain_username: str | None = None
    sasl_plain_password: SecretStr | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_password: SecretStr | None = None
    request_timeout_ms: int = Field(default=30_000, ge=1_000)

    def client_kwargs(self, bootstrap_servers: str) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "client_id": self.client_id,
            "security_protocol": self.security_protocol,
            "request_timeout_ms": self.request_timeout_ms,
        }
        if self.sasl_mechanism:
            kwargs["sasl_mechanism"] = self.sasl_mechanism
            kwargs["sasl_plain_username"] = self.sasl_plain_username
            if self.sasl_plain_password is not None:
                kwargs["sasl_plain_password"] = self.sasl_plain_password.get_secret_value()
        if self.security_protocol in ("SSL", "SASL_SSL"):
            kwargs["ssl_context"] = self._ssl_context()
        return kwargs

    def _ssl_context(self) -> Any:
        from aiokafka.helpers import create_ssl_context

        password = self.ssl_password.get_secret_value() if self.ssl_password else None
        return create_ssl_context(
            cafile=str(self.ssl_cafile) if self.ssl_cafile else None,
            certfile=str(self.ssl_certfile) if self.ssl_certfile else None,
            keyfile=str(self.ssl_keyfile) if self.ssl_keyfile else None,
            password=password,
        )


class LocalBrokerSettings(BaseModel):
    """The local development broker run by ``podium broker``."""

    kafka_version: str = DEFAULT_KAFKA_VERSION
    port: int | None = Field(default=None, ge=1, le=65535)
    heap: str = "512m"
    start_timeout_s: float = Field(default=90.0, gt=0)


class TopicNames(BaseModel):
    """Podium's topic names; tests and multi-tenant clusters override them (PODIUM_TOPICS__*)."""

    runs: str = "podium.runs"
    step_results: str = "podium.step.results"
    run_events: str = "podium.run.events"
    timers: str = "podium.coordinator.timers"
    admissions: str = "podium.coordinator.admissions"
    pipelines: str = "podium.pipelines"
    files_landed: str = "podium.files.landed"
    signals: str = "podium.signals"
    """Signals and approval decisions (``Signal``, keyed by run id), read by the waiter."""
    waits: str = "podium.steps.waits"
    """The request topic of waiting steps (kinds event, approval, signal): the waiter's."""
    waits_keyed: str = "podium.waits.keyed"
    """The waiter's own topic: requests and events re-keyed by what correlates them."""
    map_pages: str = "podium.map.pages"
    """Pages of map steps' collected outputs (compacted, keyed ``<run>/<step>/<try>/<page>``;
    see docs/map.md), written by the coordinator."""

    def dlq(self, topic: str) -> str:
        """The dead-letter twin of ``topic``."""
        return f"{topic}.dlq"


FINISHED_RUN_RETENTION_S = 7 * 24 * 3600.0
"""A week: the retention of ``podium.runs`` and ``podium.step.results`` (topics/podium.yaml),
so a start or result still on those topics finds its run."""


class CoordinatorSettings(BaseModel):
    """The coordinator: its group id is also its tables' changelog prefix."""

    app_id: str = "podium-coordinator"
    partitions: int = Field(default=6, ge=1)
    timer_interval_s: float = Field(default=0.05, gt=0)
    session_timeout_s: float = Field(default=10.0, ge=1.0)
    """How long a silent instance keeps its partitions: a crashed one hands over after this."""
    fetch_max_wait_ms: int = Field(default=100, ge=1, le=1500)
    """Longest a fetch waits on the broker for new records."""
    nice: int | None = Field(default=None, ge=NICE_MIN, le=NICE_MAX)
    """Scheduling priority (nice) the coordinator sets for itself at start; None keeps the
    one it was started with. On a machine shared with step services, a negative value lets
    the one process every run goes through take a core first (it needs CAP_SYS_NICE; if
    refused, the coordinator logs it and runs on). See ``podium._priority``."""
    finished_run_retention_s: float = Field(default=FINISHED_RUN_RETENTION_S, ge=0)
    """How long the coordinator keeps a finished run; then it forgets it (a tombstone on
    its changelog, so compaction drops it too). Within it, a repeated start of the run id
    is ignored and a late result counted; after it, the run id starts a new run and a late
    result is dead-lettered (``unknown-run``). 0 keeps finished runs for ever: the
    coordinator's memory and its restore time then grow with every run."""
    eviction_interval_s: float = Field(default=60.0, gt=0)
    """How often the coordinator looks for finished runs past their retention."""
    transactional_id: str = ""
    """The producer's transactional id; "" gives each process one of its own. Set a stable
    one per instance (its pod name, say; never the same for two running instances) so a
    restarted instance aborts what its predecessor left open at once: otherwise the broker
    aborts it after ``transaction_timeout_s``, and readers of what it wrote wait until then."""
    transaction_timeout_s: float = Field(default=60.0, ge=1.0, le=900.0)
    """How long a batch's transaction may stay open before the broker aborts it: longer
    than a broker outage the coordinator should ride out without a restart."""
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve Prometheus metrics on ``http://<metrics_host>:<port>/metrics`` (0: a free
    port, logged); None serves none. The trigger runner's metrics are the coordinator's."""
    metrics_host: str = "0.0.0.0"
    producer_linger_ms: int = Field(default=0, ge=0, le=100)
    """How long the producer holds a batch for more messages before sending it. 0 (send at
    once) measured best here: 1 ms cost ~5 ms per step of a 40-step chain and did not raise
    throughput, since a busy coordinator's sends batch anyway while a request is in flight."""


class ServiceProcessSettings(BaseModel):
    """A ``podium service`` process (``PODIUM_SERVICE__*``); what a service declares
    (its name, topics, concurrency) is on its ``Service`` object."""

    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve Prometheus metrics on ``http://<metrics_host>:<port>/metrics`` (0: a free
    port, logged); None serves none."""
    metrics_host: str = "0.0.0.0"


DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024
DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024
"""Largest step output by default: a quarter of a message, so a fan-in of a few outputs
still fits in one request and a run's state; data larger than that belongs in storage,
passed by reference."""
DEFAULT_MAX_EXPRESSION_LENGTH = 1000
"""Longest ``when`` condition accepted by default: a ``when`` is a guard, not a program."""


class LimitsSettings(BaseModel):
    """Caps on input (``PODIUM_LIMITS__*``), enforced where input enters: the API, the CLI
    and the coordinator (whose violations go to the DLQ with reason ``validation``).

    Only new input is checked: a pipeline published under other limits, or a run already
    started, is never refused later because the limits changed.
    """

    model_config = ConfigDict(frozen=True)

    max_message_bytes: int = Field(default=DEFAULT_MAX_MESSAGE_BYTES, ge=1024)
    """Largest message the coordinator consumes or writes (a run's state is one message of
    its changelog), and largest API request body. Keep it at or under the broker's
    ``message.max.bytes`` (1 MiB by default) and the topics' ``max.message.bytes``."""
    max_output_bytes: int = Field(default=DEFAULT_MAX_OUTPUT_BYTES, ge=1024)
    """Largest step output, as JSON: the step SDK refuses a larger one (a non-retryable
    ``OutputTooLarge`` failure), and so does the coordinator. It is well under
    ``max_message_bytes`` because a run's outputs travel together: every output is kept in
    the run's state, and a step's request carries its upstream steps' outputs."""
    max_params_bytes: int = Field(default=64 * 1024, ge=2)
    """Largest run params, as compact UTF-8 JSON."""
    max_steps: int = Field(default=200, ge=1)
    """Most steps a pipeline may declare (checked at validate and apply)."""
    max_expression_length: int = Field(default=DEFAULT_MAX_EXPRESSION_LENGTH, ge=1)
    """Longest ``when`` condition, in characters (checked at validate and apply)."""

    @staticmethod
    def env_name(limit: str) -> str:
        """``max_steps`` -> ``PODIUM_LIMITS__MAX_STEPS``: where to raise a limit."""
        return f"PODIUM_LIMITS__{limit.upper()}"


class SchemaRegistrySettings(BaseModel):
    """A Confluent-compatible Schema Registry (``PODIUM_SCHEMA_REGISTRY__*``), which
    ``format: confluent`` triggers read schemas from (by id, cached: ids never change)."""

    url: str | None = None
    """Its base URL, e.g. ``http://registry:8081``; credentials go in the fields below."""
    username: str | None = None
    password: SecretStr | None = None
    """Basic auth (Confluent's ``basic.auth.user.info``), with ``username``."""
    bearer_token: SecretStr | None = None
    """Sent as ``Authorization: Bearer ...`` instead of basic auth."""
    ssl_cafile: Path | None = None
    """CA bundle for an https registry with a private CA."""
    timeout_s: float = Field(default=10.0, gt=0)
    cache_size: int = Field(default=1000, ge=1)
    """Schemas kept by id; a topic's records use few, so a miss is rare."""

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # not echoed: a value that is not a URL may still hold a password
            raise ValueError("expected an http(s) URL such as http://registry:8081")
        if parts.username or parts.password:
            raise ValueError(
                "put the registry's credentials in PODIUM_SCHEMA_REGISTRY__USERNAME and "
                "__PASSWORD (or __BEARER_TOKEN), not in its URL: URLs end up in logs"
            )
        return value.rstrip("/")


class PodiumSettings(BaseSettings):
    """All of Podium's settings; ``PODIUM_`` prefix, ``__`` for nesting."""

    model_config = SettingsConfigDict(
        env_prefix="PODIUM_", env_nested_delimiter="__", extra="ignore"
    )

    home: Path = Field(default_factory=default_home)
    log_format: Literal["text", "json"] = "text"
    """``PODIUM_LOG_FORMAT``: ``json`` for one JSON object per line (``podium.logs``)."""
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    broker: LocalBrokerSettings = Field(default_factory=LocalBrokerSettings)
    topics: TopicNames = Field(default_factory=TopicNames)
    coordinator: CoordinatorSettings = Field(default_factory=CoordinatorSettings)
    service: ServiceProcessSettings = Field(default_factory=ServiceProcessSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    schema_registry: SchemaRegistrySettings = Field(default_factory=SchemaRegistrySettings)

    @property
    def broker_state_dir(self) -> Path:
        return self.home / "broker"

    @property
    def jars_cache_dir(self) -> Path:
        return self.home / "kafka"

    def bootstrap_servers(self) -> str:
        """The cluster to talk to: the configured one, else the local broker's address."""
        if self.kafka.bootstrap_servers:
            return self.kafka.bootstrap_servers
        address_file = self.broker_state_dir / "bootstrap"
        if address_file.is_file():
            return address_file.read_text().strip()
        raise ConfigError(
            "no Kafka cluster configured: run `podium broker start` for a local one, "
            "or set PODIUM_KAFKA__BOOTSTRAP_SERVERS=host:port to use an existing cluster"
        )

    def client_kwargs(self) -> dict[str, Any]:
        return self.kafka.client_kwargs(self.bootstrap_servers())


def load_settings() -> PodiumSettings:
    """Read settings from the environment; a bad value becomes a ConfigError naming it."""
    return settings_from_env(PodiumSettings, "PODIUM_")


def settings_from_env(kind: type[_Settings], prefix: str) -> _Settings:
    """``kind()`` read from the environment; a bad value becomes a ConfigError naming its
    variable (``<prefix><FIELD>``; ``*`` when the whole model is wrong)."""
    from pydantic import ValidationError

    try:
        return kind()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = "__".join(str(part) for part in first["loc"]).upper() or "*"
        raise ConfigError(f"bad setting {prefix}{field}: {first['msg']}") from exc
