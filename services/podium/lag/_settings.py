"""The lag monitor's settings (``PODIUM_LAG__*``), beside the shared PodiumSettings."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from podium.settings import settings_from_env


class LagSettings(BaseSettings):
    """How often the monitor samples, and how far back its status looks."""

    model_config = SettingsConfigDict(env_prefix="PODIUM_LAG__", extra="ignore")

    window_s: float = Field(default=60.0, gt=0)
    """The sliding window the status is judged on: STOPPED needs no commit across it."""
    interval_s: float = Field(default=5.0, gt=0)
    """Time between samples (the API's monitor, ``podium lag --watch``)."""
    read_timeout_s: float = Field(default=2.0, gt=0)
    """How long a sample waits for the records at the committed offsets (lag seconds)."""

    @model_validator(mode="after")
    def _window_holds_samples(self) -> LagSettings:
        if self.interval_s > self.window_s:
            raise ValueError("interval_s must not exceed window_s: the window needs two samples")
        return self


def load_lag_settings() -> LagSettings:
    """Read ``PODIUM_LAG__*``; a bad value becomes a ConfigError naming it."""
    return settings_from_env(LagSettings, "PODIUM_LAG__")
