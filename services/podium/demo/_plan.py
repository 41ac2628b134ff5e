"""The demo's decisions, kept pure: where things go, which children run, what lands.

Nothing here starts a process or talks to Kafka; ``_run`` does that with what
these functions decide, so the decisions are unit-tested without either.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from podium.contract import COMPENSATION_PREFIX, FileLanded, RunRequested
from podium.errors import ConfigError
from podium.pipelines import Pipeline
from podium.triggers import EventSource, plan_event_runs

DEMO_PIPELINE = "file-ingest"
SERVICES = ("validate", "transform", "load", "notify")
ARCHIVER_MODULE = "examples.archiver"
"""The archive job that knows nothing of Podium (its own event completes ``archived``)."""
APPROVAL_STEP = "publish"
"""The demo pipeline's approval step, which the demo approves through the API."""
SERVICE_MODULE = "examples.file_ingest.services"
OUT_ENV = "PODIUM_EXAMPLES_OUT"
"""Where the example services write (see ``examples.file_ingest._files``)."""
LANDED_NAME = "sales.csv"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DemoPaths:
    """Everything the demo writes lives under ``<PODIUM_HOME>/demo``, never in the repo."""

    root: Path

    @classmethod
    def under(cls, home: Path) -> DemoPaths:
        return cls(Path(home) / "demo")

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def prometheus_config(self) -> Path:
        return self.root / "prometheus.yml"

    def log(self, child: str) -> Path:
        return self.logs / f"{child}.log"

    def landed_file(self, stamp: str, name: str = LANDED_NAME) -> Path:
        """A fresh landing folder per demo run, so each run lands a new file (a new run id)."""
        return self.landing / stamp / name


@dataclass(frozen=True)
class ChildSpec:
    """One child process: ``python -m podium ARGS`` (or ``PROGRAM ARGS``), its output
    appended to ``log``."""

    name: str
    args: tuple[str, ...]
    log: Path
    program: str | None = None
    """Another program than Podium (the demo's Prometheus)."""
    module: str = "podium"
    """The Python module run with ``-m`` (the archive job is not Podium)."""

    def command(self, python: str) -> list[str]:
        if self.program is not None:
            return [self.program, *self.args]
        return [python, "-m", self.module, *self.args]


def prometheus_spec(program: str, config: Path, data: Path, port: int, log: Path) -> ChildSpec:
    """Prometheus scraping the demo's children, its UI and API on ``port``."""
    args = (
        f"--config.file={config}",
        f"--storage.tsdb.path={data}",
        f"--web.listen-address={LOOPBACK}:{port}",
    )
    return ChildSpec("prometheus", args, log, program=program)


def service_group(app_id: str, service: str) -> str:
    """A service's consumer group, derived from the coordinator's group id.

    A fresh ``PODIUM_COORDINATOR__APP_ID`` thus gives the whole demo fresh groups
    (tests do that on a shared broker); the same id resumes where it stopped.
    """
    return f"{app_id}-service-{service}"


def child_specs(
    app_id: str, api_port: int, paths: DemoPaths, metrics_ports: Mapping[str, int] | None = None
) -> list[ChildSpec]:
    """The coordinator, the API and the four example services, in start order; a child
    named in ``metrics_ports`` serves its metrics on that port (the API on its own)."""
    ports = metrics_ports or {}

    def metrics(name: str) -> tuple[str, ...]:
        return ("--metrics-port", str(ports[name])) if name in ports else ()

    specs = [
        ChildSpec(
            "coordinator", ("coordinator", *metrics("coordinator")), paths.log("coordinator")
        ),
        ChildSpec("api", ("api", "--host", LOOPBACK, "--port", str(api_port)), paths.log("api")),
    ]
    for service in SERVICES:
        target = f"{SERVICE_MODULE}:{service}"
        args = ("service", target, "--group", service_group(app_id, service), *metrics(service))
        specs.append(ChildSpec(service, args, paths.log(service)))
    specs.append(ChildSpec("archiver", (), paths.log("archiver"), module=ARCHIVER_MODULE))
    return specs


def prometheus_config(targets: Mapping[str, int]) -> str:
    """A Prometheus scrape config for the demo's children (``name -> metrics port``), one
    job each, scraped every 5 s (JSON, which Prometheus reads as YAML)."""
    jobs = [
        {"job_name": f"podium-{name}", "static_configs": [{"targets": [f"{LOOPBACK}:{port}"]}]}
        for name, port in targets.items()
    ]
    return json.dumps({"global": {"scrape_interval": "5s"}, "scrape_configs": jobs}, indent=2)


def child_env(
    base: Mapping[str, str], *, home: Path, bootstrap: str, out: Path, source_dir: Path
) -> dict[str, str]:
    """The environment of every child: the caller's, pinned to this demo's cluster and home.

    ``source_dir`` (the folder holding ``examples``: ``services/`` of a checkout, beside
    ``podium``, or an installed wheel's ``podium/_bundled``) goes first on PYTHONPATH, so
    the children import the example services, and the same ``podium`` as the demo.
    """
    env = dict(base)
    env["PODIUM_HOME"] = str(home)
    env["PODIUM_KAFKA__BOOTSTRAP_SERVERS"] = bootstrap
    env[OUT_ENV] = str(out)
    env["PYTHONUNBUFFERED"] = "1"  # logs reach the files as they happen
    env["ARCHIVER_BOOTSTRAP"] = bootstrap  # the archive job's own settings, not Podium's
    env["ARCHIVER_WATCH"] = str(Path(home) / "demo" / "landing")
    env["ARCHIVER_INTO"] = str(out / "archive")
    paths = [str(source_dir), *filter(None, [base.get("PYTHONPATH")])]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def landing_stamp(now: datetime) -> str:
    """A sortable folder name for one landing, unique to the microsecond."""
    return now.strftime("%Y%m%d-%H%M%S-%f")


def file_landed(path: Path, content: bytes, now: datetime) -> FileLanded:
    """The announcement of a landed file; the checksum makes a re-announcement one run."""
    return FileLanded(
        uri=path.as_uri(),
        size_bytes=len(content),
        checksum="sha256:" + hashlib.sha256(content).hexdigest(),
        content_type="text/csv",
        source="podium demo",
        landed_at=now,
    )


def expected_run(pipeline: Pipeline, event: FileLanded, topic: str, now: datetime) -> RunRequested:
    """The run the coordinator's trigger will start for ``event`` (run ids are deterministic).

    Raises ConfigError when the pipeline's triggers would not take the event, so
    the demo says why instead of waiting for a run that never comes.
    """
    source = EventSource(topic, 0, 0, FileLanded.avro_name, event.model_dump(mode="json"))
    plan = plan_event_runs([pipeline], source, now)
    if plan.rejected:
        raise ConfigError(str(plan.rejected[0]))
    if not plan.runs:
        raise ConfigError(
            f"pipeline {pipeline.key} has no event trigger taking FileLanded {event.uri} on "
            f"{topic}: check its triggers (topic, match) and PODIUM_TOPICS__FILES_LANDED"
        )
    return plan.runs[0]


def step_service(pipeline: Pipeline, step: str) -> str | None:
    """The service running ``step`` (``compensate:<step>`` runs the step's compensation)."""
    name = step.removeprefix(COMPENSATION_PREFIX)
    for candidate in pipeline.steps:
        if candidate.name == name:
            if name != step and candidate.compensation is not None:
                return candidate.compensation.service
            return candidate.service
    return None


def choose_port(
    requested: int | None,
    preferred: int,
    *,
    is_free: Callable[[int], bool],
    free_port: Callable[[], int],
) -> int:
    """The API's port: the one asked for (it must be free), else ``preferred`` if free, else any."""
    if requested is not None:
        if not is_free(requested):
            raise ConfigError(
                f"port {requested} is busy on {LOOPBACK}: stop what uses it, or choose "
                "another with --api-port (or leave it out to take a free one)"
            )
        return requested
    return preferred if is_free(preferred) else free_port()
