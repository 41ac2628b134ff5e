"""Root command: shared options, error reporting, and the subcommand registry."""

from __future__ import annotations

import sys

import click

from podium import __version__
from podium.errors import ConfigError, PodiumError


class _PodiumGroup(click.Group):
    """Turns Podium's own errors into one clear line and an exit status, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except PodiumError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=_PodiumGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="podium")
@click.pass_context
def podium(ctx: click.Context) -> None:
    """Podium: event-driven pipelines on Kafka.

    Settings come from PODIUM_* environment variables, e.g.
    PODIUM_KAFKA__BOOTSTRAP_SERVERS=host:9092 to use an existing cluster.
    """
    ctx.ensure_object(dict)


def _register() -> None:
    from podium.cli import (
        _api,
        _bench,
        _broker,
        _control,
        _coordinator,
        _demo,
        _dlq,
        _lag,
        _pipelines,
        _runs,
        _schemas,
        _service,
        _topics,
    )

    for module in (_api, _broker, _coordinator, _pipelines, _runs, _schemas, _service, _topics):
        podium.add_command(module.group)
    podium.add_command(_runs.run)
    for command in _control.COMMANDS:
        _runs.group.add_command(command)
    for command in _control.PIPELINE_COMMANDS:
        _pipelines.group.add_command(command)
    podium.add_command(_demo.group)
    podium.add_command(_dlq.group)
    podium.add_command(_bench.group)
    podium.add_command(_lag.lag)


_register()


def main() -> None:
    podium(prog_name="podium")
