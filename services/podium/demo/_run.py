"""``podium demo``: the whole of Podium on one machine, one file landing, one run followed live.

Phases, each announced as it starts: the broker (started unless a cluster is
configured), topics, the example pipeline, the children (coordinator, API, the
four example services), the landed file and its FileLanded event, then the
run's transitions until it ends. The coordinator counts as ready once it
starts the run: its trigger group reads the files-landed topic from where it
left off (or the beginning), so an event published while it joins is not lost.

Stopping: Ctrl-C or SIGTERM stops the children (SIGTERM, then SIGKILL after a
grace period); ``--once`` also stops the broker if the demo started it.
Exit status: 0 the run succeeded; 1 it did not (or something failed to
start); 130 interrupted before the run ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from podium._bundle import bundled
from podium.api import load_api_settings
from podium.broker import BrokerStatus, LocalBroker
from podium.codec import Codec
from podium.contract import RunStatusChanged
from podium.demo._children import Children
from podium.demo._kafka import (
    apply_pipeline_files,
    apply_topic_files,
    approve,
    free_port,
    port_is_free,
    publish_landed,
    wait_healthy,
)
from podium.demo._outputs import read_produced
from podium.demo._plan import (
    APPROVAL_STEP,
    DEMO_PIPELINE,
    LANDED_NAME,
    LOOPBACK,
    SERVICES,
    DemoPaths,
    child_env,
    child_specs,
    choose_port,
    expected_run,
    file_landed,
    landing_stamp,
    prometheus_config,
    prometheus_spec,
    service_group,
    step_service,
)
from podium.demo._render import (
    api_lines,
    broker_line,
    dashboard_line,
    failed_step,
    failure_lines,
    finished_line,
    metrics_lines,
    pipeline_lines,
    produced_lines,
    stop_lines,
    succeeded,
    topics_lines,
    transition_row,
)
from podium.errors import ConfigError, PodiumError
from podium.pipelines import Pipeline
from podium.registry import ApplyStatus
from podium.runs import ReadModel, RunView
from podium.settings import PodiumSettings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DEFAULT_API_PORT = 8080
PROMETHEUS_PORT = 9090  # Prometheus's own default
API_READY_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 30

T = TypeVar("T")
Echo = Callable[[str], None]


class DemoError(PodiumError):
    """Something the demo started did not come up or stopped (the message has its log tail)."""


class _Interrupted(Exception):
    """Ctrl-C or SIGTERM arrived while the demo was waiting."""


@dataclass(frozen=True)
class DemoOptions:
    once: bool = False
    api_port: int | None = None
    timeout: float = 180.0
    """Seconds from the file landing to the run's end (includes the coordinator's start)."""
    grace: float = 20.0
    """Seconds children get to stop after SIGTERM before SIGKILL."""
    file: Path | None = None
    """The CSV file to land (default: the sample shipped with the examples)."""
    prometheus: bool = False
    """Also run Debian's ``prometheus`` on the children's metrics (9090 if free)."""


def run_demo(settings: PodiumSettings, options: DemoOptions, echo: Echo = print) -> int:
    """Run the demo; returns the exit status. Everything started here is stopped here,
    except a broker started without ``--once`` (``podium broker stop`` stops it)."""
    paths = DemoPaths.under(settings.home)
    # a busy port is found before anything starts
    port = choose_port(
        options.api_port, DEFAULT_API_PORT, is_free=port_is_free, free_port=free_port
    )
    echo(f"demo: home {settings.home} (logs in {paths.logs})")
    broker, status = ensure_broker(settings, echo)
    echo(broker_line(status, settings.bootstrap_servers()))
    children = Children(sys.executable, _env(settings, paths), cwd=paths.root)
    try:
        return asyncio.run(_Demo(settings, options, paths, children, echo).run(port))
    finally:
        stop_children(children, options.grace, echo)
        if options.once and broker is not None and status and not status.already_running:
            broker.stop()
            echo("broker: stopped")


def ensure_broker(
    settings: PodiumSettings, echo: Echo
) -> tuple[LocalBroker | None, BrokerStatus | None]:
    """The local broker, started if needed; (None, None) when a cluster is configured."""
    if settings.kafka.bootstrap_servers:
        return None, None
    broker = LocalBroker(
        settings.broker_state_dir,
        kafka_version=settings.broker.kafka_version,
        jars_cache=settings.jars_cache_dir,
        port=settings.broker.port,
        heap=settings.broker.heap,
    )
    if not broker.status().running:
        fetch = "" if broker.jars.is_resolved() else " (fetching its jars with Maven first, once)"
        echo(f"broker: starting Kafka {broker.kafka_version} in {broker.state_dir}{fetch}...")
    return broker, broker.start(timeout=settings.broker.start_timeout_s)


def _env(settings: PodiumSettings, paths: DemoPaths) -> dict[str, str]:
    return child_env(
        os.environ,
        home=settings.home,
        bootstrap=settings.bootstrap_servers(),
        out=paths.out,
        source_dir=bundled("examples").parent,
    )


def stop_children(children: Children, grace: float, echo: Echo) -> None:
    """Stop every child; a second Ctrl-C while waiting kills them at once."""
    if not children.processes:
        return
    echo(f"stopping {', '.join(children.processes)}...")
    try:
        codes = children.stop_all(grace)
    except KeyboardInterrupt:
        codes = children.stop_all(0)
    killed = [name for name, code in codes.items() if code == -signal.SIGKILL]
    note = f" (killed after {grace:g}s: {', '.join(killed)})" if killed else ""
    echo(f"stopped {len(codes)} processes{note}")


class _Demo:
    """One demo session inside the event loop."""

    def __init__(
        self,
        settings: PodiumSettings,
        options: DemoOptions,
        paths: DemoPaths,
        children: Children,
        echo: Echo,
    ) -> None:
        self.settings = settings
        self.options = options
        self.paths = paths
        self.children = children
        self.echo = echo
        self.codec = Codec()
        self.stop = asyncio.Event()
        self.pipeline: Pipeline | None = None

    async def run(self, port: int) -> int:
        self._stop_on_signals()
        try:
            pipeline = await self._until(self._prepare(), None)  # Ctrl-C here starts nothing
            url = self._start_children(port)
            return await self._land_and_follow(pipeline, url)
        except _Interrupted:
            self.echo("interrupted")
            return EXIT_INTERRUPTED

    def _stop_on_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)

    # -- phases ---------------------------------------------------------------

    async def _prepare(self) -> Pipeline:
        the_plan, declared = await apply_topic_files(self.settings, bundled("topics"))
        for line in topics_lines(the_plan, declared):
            self.echo(line)
        results, pipeline = await apply_pipeline_files(
            self.settings, bundled("examples") / "pipelines", DEMO_PIPELINE
        )
        for line in pipeline_lines(results):
            self.echo(line)
        if any(r.status in (ApplyStatus.REFUSED, ApplyStatus.HELD) for r in results):
            raise ConfigError("the example pipeline could not be published (see above)")
        if pipeline is None:
            raise ConfigError(f"pipeline {DEMO_PIPELINE} is not in the registry after apply")
        self.pipeline = pipeline
        return pipeline

    def _start_children(self, port: int) -> str:
        """Start every child (from this thread: see ``_children``); the API's URL."""
        app_id = self.settings.coordinator.app_id
        prometheus = _prometheus_program() if self.options.prometheus else None  # before any
        metrics_ports = {name: free_port() for name in ("coordinator", *SERVICES)}
        for spec in child_specs(app_id, port, self.paths, metrics_ports):
            self.children.start(spec)
        self.echo(f"coordinator: starting (group {app_id}; log {self.paths.log('coordinator')})")
        url = f"http://{LOOPBACK}:{port}"
        self.echo(f"api: starting on {url} (log {self.paths.log('api')})")
        groups = service_group(app_id, "*")
        self.echo(
            f"services: {', '.join(SERVICES)} starting (groups {groups}; logs {self.paths.logs})"
        )
        self._announce_metrics(metrics_ports, port, prometheus)
        return url

    def _announce_metrics(
        self, ports: dict[str, int], api_port: int, prometheus: str | None
    ) -> None:
        config = self.paths.prometheus_config
        config.write_text(prometheus_config({**ports, "api": api_port}))
        data = self.paths.root / "prometheus"
        if prometheus is not None:
            self._start_prometheus(prometheus, config, data)
            return
        for line in metrics_lines(ports, api_port, config, data):
            self.echo(line)

    def _start_prometheus(self, program: str, config: Path, data: Path) -> None:
        port = choose_port(None, PROMETHEUS_PORT, is_free=port_is_free, free_port=free_port)
        log = self.paths.log("prometheus")
        self.children.start(prometheus_spec(program, config, data, port, log))
        self.echo(
            f"prometheus: http://{LOOPBACK}:{port} scraping the coordinator, services and API "
            f"every 5 s (config {config}; log {log}); try podium_runs_finished_total"
        )

    def _land(self, now: datetime) -> tuple[Path, bytes]:
        """Copy the CSV into a fresh landing folder, as an upload would."""
        source = self.options.file
        name = source.name if source else LANDED_NAME
        path = self.paths.landed_file(landing_stamp(now), name)
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source or bundled("examples") / "data" / "sample_sales.csv", path)
        return path, path.read_bytes()

    async def _land_and_follow(self, pipeline: Pipeline, url: str) -> int:
        now = datetime.now(UTC)
        path, content = self._land(now)
        event = file_landed(path, content, now)
        topic = self.settings.topics.files_landed
        run_id = expected_run(pipeline, event, topic, now).run_id
        self.echo(f"landed: {path} ({event.size_bytes} bytes, {(event.checksum or '')[:19]}...)")
        runs = ReadModel(self.settings.client_kwargs(), self.settings.topics.run_events, self.codec)
        runs.add_listener(self._printer(run_id))
        asked = asyncio.Event()
        runs.add_listener(self._on_approval(run_id, asked))
        async with runs:
            await self._until(publish_landed(self.settings, event, self.codec), None)
            self.echo(f"published: FileLanded on {topic} -> run {run_id} ({pipeline.key})")
            api = asyncio.create_task(self._announce_api(url))
            gate = asyncio.create_task(self._approve_when_asked(asked, url, run_id))
            try:
                return await self._follow(runs, run_id, url, api)
            finally:
                for task in (api, gate):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, PodiumError, OSError):
                        await task

    def _printer(self, run_id: str) -> Callable[[RunStatusChanged], None]:
        def show(event: RunStatusChanged) -> None:
            if event.run_id == run_id:
                self.echo(transition_row(event))

        return show

    def _on_approval(self, run_id: str, asked: asyncio.Event) -> Callable[[RunStatusChanged], None]:
        def see(event: RunStatusChanged) -> None:
            if event.run_id == run_id and event.step == APPROVAL_STEP:
                asked.set()

        return see

    async def _approve_when_asked(self, asked: asyncio.Event, url: str, run_id: str) -> None:
        """Approve the approval step through the API once the run waits on it, as a person
        would from the dashboard or with ``podium runs approve``."""
        await asked.wait()
        await wait_healthy(url)
        status = await approve(url, run_id, APPROVAL_STEP, load_api_settings().token_value())
        path = f"/v1/runs/{run_id}/steps/{APPROVAL_STEP}/approve"
        self.echo(f"approval: POST {url}{path} -> {status} (by podium demo)")

    async def _announce_api(self, url: str) -> None:
        await wait_healthy(url)
        self.echo(f"api: ready at {url}")

    async def _follow(self, runs: ReadModel, run_id: str, url: str, api: asyncio.Task[None]) -> int:
        timeout = self.options.timeout
        self.echo(f"waiting for the coordinator to start the run (up to {timeout:g}s in all)...")
        try:
            view = await self._until(runs.wait_for(run_id, lambda v: v.finished, None), timeout)
        except TimeoutError:
            raise self._timed_out(runs.get(run_id), run_id) from None
        self.echo(finished_line(view))
        if not succeeded(view):
            self._explain_failure(view)
            return await self._after_run(EXIT_FAILED, url, run_id)
        await self._api_ready(api, url)
        for line in produced_lines(read_produced(view)) + api_lines(url, run_id):
            self.echo(line)
        return await self._after_run(EXIT_OK, url, run_id)

    async def _api_ready(self, api: asyncio.Task[None], url: str) -> None:
        try:
            await self._until(asyncio.shield(api), API_READY_TIMEOUT_S)
        except TimeoutError:
            raise self._child_error("api", f"the API did not answer {url}/healthz") from None

    async def _after_run(self, status: int, url: str, run_id: str) -> int:
        """With --once, done; otherwise show the dashboard's page of the run and keep
        everything up until Ctrl-C or SIGTERM."""
        if self.options.once:
            return status
        self.echo(dashboard_line(url, run_id))
        for line in stop_lines(local_broker=not self.settings.kafka.bootstrap_servers):
            self.echo(line)
        with contextlib.suppress(_Interrupted):
            await self._until(asyncio.Event().wait(), None)
        return status

    # -- waiting, and what goes wrong --------------------------------------------

    async def _until(self, main: Awaitable[T], timeout: float | None) -> T:
        """``main``'s result, unless a child dies (DemoError), a signal comes (_Interrupted)
        or ``timeout`` passes (TimeoutError)."""
        job = asyncio.ensure_future(main)
        watch = asyncio.create_task(self._watch_children())
        stop = asyncio.create_task(self.stop.wait())
        try:
            done, _ = await asyncio.wait(
                {job, watch, stop}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for task in (job, watch, stop):
                task.cancel()
            await asyncio.gather(job, watch, stop, return_exceptions=True)
        if job in done:
            return job.result()
        if stop in done:
            raise _Interrupted
        if watch in done:
            watch.result()  # raises the DemoError
        raise TimeoutError

    async def _watch_children(self) -> None:
        while not (exited := self.children.exited()):
            await asyncio.sleep(0.2)
        name, code = next(iter(exited.items()))
        raise self._child_error(name, f"{name} exited with status {code}")

    def _child_error(self, name: str, what: str) -> DemoError:
        log = self.paths.log(name)
        tail = self.children.log_tail(name, LOG_TAIL_LINES)
        return DemoError(f"{what}; the last lines of {log}:\n{tail}")

    def _timed_out(self, view: RunView | None, run_id: str) -> DemoError:
        status = view.status.value if view else "not started"
        what = f"run {run_id} did not finish within {self.options.timeout:g}s (status: {status})"
        return self._child_error(self._suspect(view), what)

    def _suspect(self, view: RunView | None) -> str:
        """Whose log explains a stuck run: the coordinator's, or an unfinished step's service."""
        if view is None or self.pipeline is None:
            return "coordinator"
        for name, step in view.steps.items():
            service = step_service(self.pipeline, name)
            if not step.finished and service:
                return service
        return "coordinator"

    def _explain_failure(self, view: RunView) -> None:
        for line in failure_lines(view):
            self.echo(line)
        failed = failed_step(view)
        service = step_service(self.pipeline, failed[0]) if failed and self.pipeline else None
        if service:
            self.echo(f"the last lines of {self.paths.log(service)}:")
            self.echo(self.children.log_tail(service, LOG_TAIL_LINES))


def _prometheus_program() -> str:
    """The ``prometheus`` binary for ``--prometheus``; a ConfigError when there is none."""
    program = shutil.which("prometheus")
    if program is None:
        raise ConfigError(
            "--prometheus: no `prometheus` on PATH; install Debian's package "
            "(`apt-get install prometheus`; `bash deploy/setup.sh` does) or leave it out"
        )
    return program
