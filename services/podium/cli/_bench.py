"""`podium bench`: measure throughput and latency against the Kafka floor, on fresh topics.

The harness is its own top-level package, ``podium_bench`` (``services/podium_bench/``,
shipped in the same wheel): it is imported only when the command runs, so the rest of
the CLI and the product never load it.

Exit status: 0 when every run succeeded; 1 when a run failed or the benchmark could
not finish (a child died, nothing finished for a minute); 2 a setting is wrong or the
harness is not installed.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click

from podium._priority import BENCH_COORDINATOR_NICE, NICE_MAX, NICE_MIN
from podium.cli._settings import settings_from
from podium.errors import ConfigError, PodiumError

NOT_INSTALLED = (
    "podium bench needs the benchmark harness, the podium_bench package, which this "
    "installation lacks: install the podium wheel (it ships podium_bench) or, in a "
    "checkout, put services/ on PYTHONPATH"
)


class RunsFailed(PodiumError):
    """Some benchmark runs did not succeed (the report says how many)."""


@click.command("bench")
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the result as JSON to this file.",
)
@click.option(
    "--runs",
    type=click.IntRange(min=10),
    help="Runs of the throughput phase [3000; smoke 120].",
)
@click.option("--smoke", is_flag=True, help="A few hundred runs: checks it works, not speed.")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True,
              help="Whole runs to make; figures are their medians.")  # fmt: skip
@click.option("--paced-rate", type=click.FloatRange(min=0, min_open=True),
              help="Runs/s of the latency phase [70% of the measured maximum]: the same "
                   "load across versions.")  # fmt: skip
@click.option("--coordinator-nice", type=click.IntRange(NICE_MIN, NICE_MAX),
              default=BENCH_COORDINATOR_NICE,
              show_default=True,
              help="Nice of the coordinator (and of the floor's relay for its hops): "
                   "served first on a shared machine, as on its own core. 0: the same "
                   "priority as the services. Below 0 needs CAP_SYS_NICE (else "
                   "reported).")  # fmt: skip
@click.pass_context
def group(
    ctx: click.Context,
    output: Path | None,
    runs: int | None,
    smoke: bool,
    repeat: int,
    paced_rate: float | None,
    coordinator_nice: int,
) -> None:
    """Measure Podium against the Kafka floor on the configured cluster.

    Starts a coordinator and no-op step services as processes on fresh topics,
    measures 3-step runs per second, step-transition and run latency at 70% of
    that rate, a 40-step chain of 10 ms steps, and a bare aiokafka relay with the
    same hops (the floor). Prints a table; --output writes the JSON.
    """
    try:
        from podium_bench import Plan, render, run_bench
    except ModuleNotFoundError as exc:
        if exc.name != "podium_bench":
            raise
        raise ConfigError(NOT_INSTALLED) from None

    settings = settings_from(ctx)
    if smoke:
        plan = Plan.smoke(runs, coordinator_nice)
    else:
        plan = Plan.full(runs, paced_rate, coordinator_nice)
    progress = lambda line: click.echo(line, err=True)  # noqa: E731
    result = asyncio.run(run_bench(settings, plan, repeat, progress))
    click.echo(render(result))
    if output is not None:
        output.write_text(json.dumps(result, indent=2) + "\n")
        click.echo(f"wrote {output}", err=True)
    outcomes = result["outcomes"]
    if not outcomes["all_succeeded"]:
        raise RunsFailed(
            f"{outcomes['requested'] - outcomes['succeeded']} of {outcomes['requested']} "
            "benchmark runs did not succeed"
        )
