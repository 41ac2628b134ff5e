"""The API's own settings (``PODIUM_API__*``), beside the shared PodiumSettings."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from podium.settings import settings_from_env

RUN_EVENTS_RETENTION_S = 30 * 24 * 3600.0
"""The retention of ``podium.run.events`` in topics/podium.yaml (30 days)."""


class ApiSettings(BaseSettings):
    """Where ``podium api`` listens, and its optional bearer token (never printed)."""

    model_config = SettingsConfigDict(env_prefix="PODIUM_API__", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    token: SecretStr | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    start_timeout_s: float = Field(default=30.0, gt=0)
    finished_run_retention_s: float = Field(default=RUN_EVENTS_RETENTION_S, ge=0)
    """How long the read model keeps a finished run (then ``GET /v1/runs/{id}`` is a 404):
    by default as long as ``podium.run.events`` keeps its events, so a long-running API
    holds what a restarted one would rebuild. 0 keeps every run it has seen."""
    trace_url: str | None = None
    """The dashboard's link to a run's trace in Jaeger or Tempo, ``{trace_id}`` replaced
    (Jaeger: ``http://jaeger:16686/trace/{trace_id}``); unset, the trace id is shown bare."""
    lag_monitor: bool = True
    """Run the lag monitor (``GET /v1/lag``, the lag gauges on ``/metrics``); its
    cadence and window are ``PODIUM_LAG__*``. Off: one admin client fewer."""

    def token_value(self) -> str | None:
        """The token, or None when auth is off (an empty value counts as off)."""
        value = self.token.get_secret_value() if self.token is not None else ""
        return value or None


def load_api_settings() -> ApiSettings:
    """Read ``PODIUM_API__*``; a bad value becomes a ConfigError naming it."""
    return settings_from_env(ApiSettings, "PODIUM_API__")
