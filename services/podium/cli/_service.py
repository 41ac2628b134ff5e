"""`podium service MODULE:OBJECT`: run a step service until SIGTERM/SIGINT.

Exit status: 0 after a graceful stop (in-flight handlers finished or were left
for redelivery, done offsets committed); 1 the cluster could not be reached;
2 MODULE:OBJECT does not name a Service, or a setting is wrong.
"""

from __future__ import annotations

import asyncio

import click
from aiokafka.errors import KafkaError

from podium.cli._settings import settings_from
from podium.errors import BrokerError
from podium.logs import configure_logging
from podium.service import Service, load_service, run_until_signalled


@click.command("service")
@click.argument("target", metavar="MODULE:OBJECT")
@click.option("--concurrency", type=click.IntRange(min=1), help="Handlers run at once [8].")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    help="Seconds in-flight handlers get to finish after SIGTERM [30].",
)
@click.option("--group", "group_id", help="Consumer group [podium-service-<name>].")
@click.option(
    "--log-level",
    default="INFO",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve Prometheus metrics on this port at /metrics (0: a free one) "
    "[PODIUM_SERVICE__METRICS_PORT; default: none].",
)
@click.pass_context
def group(
    ctx: click.Context,
    target: str,
    concurrency: int | None,
    grace: float | None,
    group_id: str | None,
    log_level: str,
    metrics_port: int | None,
) -> None:
    """Run the step service MODULE:OBJECT (a podium.service.Service).

    Example: podium service examples.file_ingest.services:transform
    """
    settings = settings_from(ctx)
    if metrics_port is not None:
        settings.service.metrics_port = metrics_port
    service = _with_options(load_service(target), concurrency, grace, group_id)
    configure_logging(log_level, settings.log_format)
    try:
        asyncio.run(run_until_signalled(service, settings))
    except KafkaError as exc:
        servers = settings.client_kwargs()["bootstrap_servers"]
        raise BrokerError(f"service {service.name}: Kafka at {servers}: {exc}") from exc


def _with_options(
    service: Service, concurrency: int | None, grace: float | None, group_id: str | None
) -> Service:
    changes: dict[str, object] = {}
    if concurrency is not None:
        changes["concurrency"] = concurrency
    if grace is not None:
        changes["grace_s"] = grace
    if group_id:
        changes["group_id"] = group_id
    return service.replace(**changes) if changes else service
