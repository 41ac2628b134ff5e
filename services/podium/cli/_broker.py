"""`podium broker`: a local Apache Kafka broker for development and tests.

Exit status: 0 done (also "already running" and "was not running"); 1 the broker
could not be fetched, started or stopped (the message says why, with the tail of
its log); 2 a bad option or setting; 3 ``status`` of a broker that is not running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from podium.broker import (
    BrokerStatus,
    JarCache,
    LocalBroker,
    parse_kafka_version,
    read_from,
    resolve_jars,
)
from podium.cli._settings import settings_from
from podium.settings import PodiumSettings

NOT_RUNNING_EXIT_CODE = 3
_FOLLOW_INTERVAL_S = 0.5

F = TypeVar("F", bound=Callable[..., Any])


def _state_dir_option(command: F) -> F:
    return click.option(
        "--state-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Where the broker keeps data, log, pid and address "
        "(default: <PODIUM_HOME>/broker, i.e. ~/.cache/podium/broker).",
    )(command)


def _version_option(command: F) -> F:
    return click.option(
        "--kafka-version",
        default=None,
        metavar="VERSION",
        help="Apache Kafka version, e.g. 4.4.0 or 3.9.1 "
        "(default: PODIUM_BROKER__KAFKA_VERSION, else 4.4.0).",
    )(command)


@click.group(name="broker")
def group() -> None:
    """Run a local Apache Kafka broker (one node, KRaft) on 127.0.0.1.

    Its data, log (broker.log) and address (bootstrap) live in a state dir, so
    topics, messages and the port survive a stop and start. Other podium
    commands use it unless PODIUM_KAFKA__BOOTSTRAP_SERVERS names another
    cluster. Needs java 17+, and mvn the first time each Kafka version is used.
    """


@group.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Client port (default: the one used last time, else a free one).",
)
@_version_option
@_state_dir_option
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=None,
    help="Seconds to wait for the broker to answer (default: 90).",
)
@click.pass_context
def start(
    ctx: click.Context,
    port: int | None,
    kafka_version: str | None,
    state_dir: Path | None,
    timeout: float | None,
) -> None:
    """Start the broker in the background; return once it answers.

    A broker that is already running is left alone (exit 0). The first start
    of a Kafka version resolves its jars with Maven (cached afterwards).
    """
    settings = settings_from(ctx)
    broker = _broker(settings, state_dir, kafka_version, port)
    if not broker.jars.is_resolved():
        click.echo(f"fetching Kafka {broker.kafka_version}'s jars with Maven (once)...", err=True)
    status = broker.start(timeout=timeout or settings.broker.start_timeout_s)
    click.echo(_start_line(status))
    for note in _start_notes(settings, broker, status):
        click.echo(f"note: {note}", err=True)


@group.command()
@_state_dir_option
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=30.0,
    show_default=True,
    help="Seconds to wait for a clean shutdown before killing the broker.",
)
@click.pass_context
def stop(ctx: click.Context, state_dir: Path | None, timeout: float) -> None:
    """Stop the broker cleanly; its data stays for the next start."""
    broker = _broker(settings_from(ctx), state_dir)
    pid = broker.status().pid
    if broker.stop(timeout=timeout):
        click.echo(f"stopped the broker (pid {pid}); data kept in {broker.state_dir / 'data'}")
    else:
        click.echo(f"the broker in {broker.state_dir} was not running")


@group.command()
@_state_dir_option
@click.pass_context
def status(ctx: click.Context, state_dir: Path | None) -> None:
    """Show whether the broker runs, and where.

    Prints its address, pid, Kafka version, data dir and log file. Exit status
    0 when it runs, 3 when it does not.
    """
    current = _broker(settings_from(ctx), state_dir).status()
    for label, value in _status_rows(current):
        click.echo(f"{label + ':':<9} {value}")
    if not current.running:
        ctx.exit(NOT_RUNNING_EXIT_CODE)


@group.command()
@click.option(
    "-n",
    "--lines",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="How many of the last lines to show.",
)
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until Ctrl-C.")
@_state_dir_option
@click.pass_context
def logs(ctx: click.Context, lines: int, follow: bool, state_dir: Path | None) -> None:
    """Print the end of the broker's log (its stdout and stderr)."""
    broker = _broker(settings_from(ctx), state_dir)
    tail = broker.log_tail(lines)
    if tail:
        click.echo(tail)
    if follow:
        _follow(broker.paths.log)


@group.command()
@_version_option
@click.pass_context
def fetch(ctx: click.Context, kafka_version: str | None) -> None:
    """Only fetch a Kafka version's jars into the cache.

    Nothing is started; CI uses it to pre-install the jars before the tests.
    """
    settings = settings_from(ctx)
    version = kafka_version or settings.broker.kafka_version
    parse_kafka_version(version)
    cache = JarCache(settings.jars_cache_dir, version)
    cached = cache.is_resolved()
    began = time.monotonic()
    libs = resolve_jars(cache)
    took = "already cached" if cached else f"resolved in {time.monotonic() - began:.1f}s"
    click.echo(f"Kafka {version}: {len(list(libs.glob('*.jar')))} jars in {libs} ({took})")


def _broker(
    settings: PodiumSettings,
    state_dir: Path | None,
    kafka_version: str | None = None,
    port: int | None = None,
) -> LocalBroker:
    """A LocalBroker from the options, falling back to PODIUM_BROKER__* settings."""
    return LocalBroker(
        state_dir or settings.broker_state_dir,
        kafka_version=kafka_version or settings.broker.kafka_version,
        jars_cache=settings.jars_cache_dir,
        port=port if port is not None else settings.broker.port,
        heap=settings.broker.heap,
    )


def _start_line(status: BrokerStatus) -> str:
    where = f"at {status.bootstrap} (pid {status.pid}, Kafka {status.kafka_version})"
    if status.already_running:
        return f"already running {where}"
    return f"started {where}; data in {status.data_dir}"


def _start_notes(settings: PodiumSettings, broker: LocalBroker, status: BrokerStatus) -> list[str]:
    """What the user may not expect: another cluster configured, or a port not applied."""
    notes = []
    if settings.kafka.bootstrap_servers:
        notes.append(
            f"PODIUM_KAFKA__BOOTSTRAP_SERVERS is set ({settings.kafka.bootstrap_servers}): "
            "other podium commands use that cluster, not this broker"
        )
    elif broker.state_dir != settings.broker_state_dir.resolve():
        notes.append(
            f"other podium commands look for the broker in {settings.broker_state_dir}; "
            f"to use this one, set PODIUM_KAFKA__BOOTSTRAP_SERVERS={status.bootstrap}"
        )
    if status.already_running and broker.port and status.bootstrap != f"127.0.0.1:{broker.port}":
        notes.append("--port applies to a stopped broker: stop it first to move it")
    return notes


def _status_rows(status: BrokerStatus) -> list[tuple[str, str]]:
    return [
        ("running", "yes" if status.running else "no"),
        ("address", status.bootstrap or "(never started)"),
        ("pid", str(status.pid) if status.pid else "-"),
        ("kafka", status.kafka_version),
        ("data", str(status.data_dir)),
        ("log", str(status.log_file)),
    ]


def _follow(path: Path) -> None:
    """Print what the broker appends to its log, until Ctrl-C."""
    position = path.stat().st_size if path.is_file() else 0  # only what comes next
    try:
        while True:
            time.sleep(_FOLLOW_INTERVAL_S)
            text, position = read_from(path, position)
            if text:
                click.echo(text, nl=False)
    except KeyboardInterrupt:
        return
