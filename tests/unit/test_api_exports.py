"""Pins podium.api's public API: changing it should be a decision, not an accident."""

from __future__ import annotations

import podium.api


def test_public_names_are_exactly_these() -> None:
    assert sorted(podium.api.__all__) == sorted(
        [
            "ApiError",
            "ApiServices",
            "ApiSettings",
            "Check",
            "CheckedProducer",
            "Pipelines",
            "RunBody",
            "RunQuery",
            "Runs",
            "SERVICES",
            "authorized",
            "create_app",
            "error_response",
            "json_object",
            "load_api_settings",
            "open_services",
            "parse_run_body",
            "parse_run_query",
            "pipeline_json",
            "serve",
        ]
    )


def test_every_public_name_exists() -> None:
    for public in podium.api.__all__:
        assert hasattr(podium.api, public), public
