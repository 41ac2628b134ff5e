"""``LocalBroker``: one real Apache Kafka broker on 127.0.0.1 for development and tests.

The shell around the pure parts: it resolves jars, formats storage once, launches
``java ... kafka.Kafka`` detached, waits until the broker answers, and stops it.
Everything it keeps lives in the state dir (see ``podium.broker._state``).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import replace
from pathlib import Path

from podium.broker._config import (
    BrokerConfig,
    check_heap,
    check_version_change,
    cluster_id_from_meta,
    new_cluster_id,
    parse_kafka_version,
    render_server_properties,
)
from podium.broker._files import (
    last_lines,
    locked,
    read_text_or_none,
    rotate_log,
    tail_file,
    write_atomic,
)
from podium.broker._jars import JarCache, require_tool, resolve_jars
from podium.broker._ports import free_port, plan_ports, port_is_free
from podium.broker._probe import broker_answers
from podium.broker._process import (
    PidState,
    cmdline_of,
    is_broker_cmdline,
    judge_pid,
    spawn_detached,
    terminate,
)
from podium.broker._state import BrokerRecord, BrokerStatus, StatePaths, load_record, save_record
from podium.errors import BrokerError
from podium.settings import DEFAULT_KAFKA_VERSION, PodiumSettings

FAILURE_LOG_LINES = 30
_PROBE_INTERVAL_S = 0.2


class LocalBroker:
    """A single-node KRaft broker (broker and controller in one JVM) kept in ``state_dir``.

    ``port`` None keeps the port of the last start (so the address survives
    restarts), or takes a free one the first time.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        kafka_version: str = DEFAULT_KAFKA_VERSION,
        jars_cache: Path | None = None,
        port: int | None = None,
        heap: str = "512m",
    ) -> None:
        parse_kafka_version(kafka_version)
        self.paths = StatePaths(Path(state_dir).resolve())
        self.kafka_version = kafka_version
        cache_root = Path(jars_cache) if jars_cache else PodiumSettings().jars_cache_dir
        self.jars = JarCache(cache_root, kafka_version)
        self.port = port
        self.heap = check_heap(heap)

    @property
    def state_dir(self) -> Path:
        return self.paths.root

    def status(self) -> BrokerStatus:
        """Whether the broker runs, and where it listens (or listened last)."""
        state, pid = self._pid_state()
        record = load_record(self.paths.record)
        return BrokerStatus(
            running=state is PidState.RUNNING,
            bootstrap=record.bootstrap if record else None,
            pid=pid,
            kafka_version=record.kafka_version if record else self.kafka_version,
            state_dir=self.paths.root,
        )

    def start(self, timeout: float = 90.0) -> BrokerStatus:
        """Start the broker and return once it answers a metadata request.

        ``timeout`` bounds the wait for that answer; fetching jars the first time
        comes before it. Already running: returns at once with ``already_running``.
        """
        self.paths.root.mkdir(parents=True, exist_ok=True)
        with locked(self.paths.lock):
            current = self.status()
            if current.running:
                return replace(current, already_running=True)
            self._forget_pid()
            java = require_tool("java")
            resolve_jars(self.jars)
            record = self._prepare(java)
            self._launch(java, record, timeout)
        return self.status()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop the broker cleanly (SIGKILL after ``timeout``); data stays. True if it ran."""
        if not self.paths.root.is_dir():
            return False
        with locked(self.paths.lock):
            _, pid = self._pid_state()
            if pid is not None:
                self._terminate(pid, timeout)
            self._forget_pid()
        return pid is not None

    def log_tail(self, lines: int = 50) -> str:
        """The last ``lines`` lines of ``broker.log`` (empty before the first start)."""
        return tail_file(self.paths.log, lines)

    # -- start, step by step -------------------------------------------------

    def _prepare(self, java: str) -> BrokerRecord:
        """Choose ports, write server.properties, format storage on the first start."""
        previous = load_record(self.paths.record)
        check_version_change(previous.kafka_version if previous else None, self.kafka_version)
        ports = plan_ports(
            requested=self.port,
            recorded=previous.ports if previous else None,
            is_free=port_is_free,
            free_port=free_port,
        )
        record = BrokerRecord(
            cluster_id=self._cluster_id(previous),
            port=ports.port,
            controller_port=ports.controller_port,
            kafka_version=self.kafka_version,
        )
        write_atomic(self.paths.properties, render_server_properties(self._config(record)))
        if not self.paths.meta.is_file():
            self._format(java, record.cluster_id)
        save_record(self.paths.record, record)
        return record

    def _config(self, record: BrokerRecord) -> BrokerConfig:
        return BrokerConfig(
            port=record.port,
            controller_port=record.controller_port,
            data_dir=self.paths.data,
            kafka_version=self.kafka_version,
        )

    def _cluster_id(self, previous: BrokerRecord | None) -> str:
        """Keep the id the data was formatted with; a new one only for fresh storage."""
        if previous is not None:
            return previous.cluster_id
        if self.paths.meta.is_file():
            found = cluster_id_from_meta(self.paths.meta.read_text())
            if found:
                return found
        return new_cluster_id()

    def _format(self, java: str, cluster_id: str) -> None:
        command = [java, f"-Xmx{self.heap}", "-XX:TieredStopAtLevel=1", "-cp", self.jars.classpath]
        command += ["kafka.tools.StorageTool"]
        command += ["format", "-t", cluster_id, "-c", str(self.paths.properties)]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=180)
        with self.paths.log.open("a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = last_lines(result.stdout + result.stderr, FAILURE_LOG_LINES)
            raise BrokerError(f"formatting Kafka storage in {self.paths.data} failed:\n{tail}")

    def _broker_command(self, java: str) -> list[str]:
        return [
            java,
            f"-Xmx{self.heap}",
            # C1 only: the broker starts in about half the time on a small machine, and
            # leaves the cores to the tests; peak throughput is lower, fine for development.
            "-XX:TieredStopAtLevel=1",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            "-Dorg.slf4j.simpleLogger.showDateTime=true",
            "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS",
            "-cp",
            self.jars.classpath,
            "kafka.Kafka",
            str(self.paths.properties),
        ]

    def _launch(self, java: str, record: BrokerRecord, timeout: float) -> None:
        """Run the broker detached; on any failure kill it again and say why."""
        rotate_log(self.paths.log)
        self._log_banner(record)
        command = self._broker_command(java)
        pid = spawn_detached(command, log_file=self.paths.log, cwd=self.paths.root)
        write_atomic(self.paths.pid, f"{pid}\n")
        try:
            self._await_ready(pid, record.bootstrap, timeout)
        except BaseException:
            terminate(pid, timeout=5.0, is_gone=lambda: cmdline_of(pid) is None)
            self._forget_pid()
            raise
        write_atomic(self.paths.bootstrap, record.bootstrap + "\n")

    def _log_banner(self, record: BrokerRecord) -> None:
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        with self.paths.log.open("a") as log:
            log.write(f"---- {stamp} podium: starting Kafka {record.kafka_version} ")
            log.write(f"on {record.bootstrap} ----\n")

    def _await_ready(self, pid: int, bootstrap: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if cmdline_of(pid) is None:  # not _is_ours: before exec it is still `sh`
                raise self._start_failed("the broker exited while starting")
            remaining = deadline - time.monotonic()
            if broker_answers(bootstrap, timeout=min(5.0, max(1.0, remaining))):
                return
            if time.monotonic() >= deadline:
                reason = f"the broker did not answer on {bootstrap} within {timeout:g}s"
                raise self._start_failed(reason)
            time.sleep(_PROBE_INTERVAL_S)

    def _start_failed(self, reason: str) -> BrokerError:
        tail = self.log_tail(FAILURE_LOG_LINES)
        return BrokerError(f"{reason}; the last lines of {self.paths.log}:\n{tail}")

    # -- the process ---------------------------------------------------------

    def _pid_state(self) -> tuple[PidState, int | None]:
        text = read_text_or_none(self.paths.pid)
        return judge_pid(text, self.paths.properties, cmdline_of)

    def _is_ours(self, pid: int) -> bool:
        return is_broker_cmdline(cmdline_of(pid) or [], self.paths.properties)

    def _terminate(self, pid: int, timeout: float) -> None:
        # "Gone" includes "no longer ours": should the pid be reused, leave the newcomer be.
        terminate(pid, timeout=timeout, is_gone=lambda: not self._is_ours(pid))

    def _forget_pid(self) -> None:
        self.paths.pid.unlink(missing_ok=True)
