"""Schema Registries speaking the Confluent REST API, for tests: a local one and a real one.

``LocalSchemaRegistry`` implements the calls that clients make, as the Confluent API
reference describes them: ``POST /subjects/{subject}/versions``
(register; the same schema gets the same id, across subjects too), ``POST
/subjects/{subject}`` (look up), ``GET /schemas/ids/{id}``, ``GET /subjects``,
``GET /subjects/{subject}/versions[/{version}|/latest]``, errors as ``{"error_code",
"message"}`` (40401 subject not found, 40402 version not found, 40403 schema not
found), and HTTP basic auth. It runs in a thread of its own (a stdlib threading HTTP
server), so synchronous clients such as confluent-kafka's serializer can call it from
inside an asyncio test; ``stop()`` and ``start()`` again on the same port make a real
outage (connections refused). It records the requests it got.

``ApicurioRegistry`` is a real registry: Apicurio Registry 2.4.2.Final, built from its
Maven artifacts by ``deploy/schema-registry/`` (Java and Maven, no Docker; why that
version is in its pom.xml), run as a Java process with its Confluent-compatible API at
``/apis/ccompat/v7`` and no authentication; its H2 database is a file, so ``stop()`` and
``start()`` make an outage that loses no schema. (Karapace is not installable here and
Confluent's own registry is not served.)
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
APICURIO_PROJECT = Path(__file__).resolve().parent.parent / "deploy" / "schema-registry"


@dataclass
class Registered:
    schema_id: int
    text: str
    schema_type: str
    references: list[Any]


@dataclass
class RegistryState:
    schemas: dict[int, Registered] = field(default_factory=dict)
    subjects: dict[str, list[int]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    """``METHOD path`` of every request, in order (what clients really called)."""

    def register(self, subject: str, body: dict[str, Any]) -> int:
        text, kind = body["schema"], body.get("schemaType") or "AVRO"
        references = body.get("references") or []
        same = [s for s in self.schemas.values() if (s.text, s.schema_type) == (text, kind)]
        registered = same[0] if same else self._new(text, kind, references)
        versions = self.subjects.setdefault(subject, [])
        if registered.schema_id not in versions:
            versions.append(registered.schema_id)
        return registered.schema_id

    def _new(self, text: str, kind: str, references: list[Any]) -> Registered:
        registered = Registered(len(self.schemas) + 1, text, kind, references)
        self.schemas[registered.schema_id] = registered
        return registered


class LocalSchemaRegistry:
    """``with LocalSchemaRegistry(auth=("user", "pw")) as registry: registry.url``"""

    def __init__(self, auth: tuple[str, str] | None = None, port: int = 0) -> None:
        self.state = RegistryState()
        self.auth = auth
        self.port = port
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalSchemaRegistry:
        handler = type("Handler", (_Handler,), {"registry": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> LocalSchemaRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class ApicurioUnavailableError(RuntimeError):
    """The real registry could not be built or did not start."""


def build_apicurio(timeout: float = 540.0) -> Path:
    """The folder of the built registry (``deploy/schema-registry/build.sh``: cached, so after
    the first build this costs a checksum)."""
    command = ["bash", str(APICURIO_PROJECT / "build.sh")]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise ApicurioUnavailableError(f"build.sh took over {timeout:.0f} s") from exc
    if done.returncode != 0:
        raise ApicurioUnavailableError(
            f"build.sh failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return Path(done.stdout.strip().splitlines()[-1])


class ApicurioRegistry:
    """``with ApicurioRegistry(port, data_dir) as registry: registry.url`` (built already by
    ``build_apicurio``; ``start()`` waits until its Confluent API answers)."""

    auth: tuple[str, str] | None = None

    def __init__(
        self, port: int, data_dir: Path, log: Path, startup_timeout: float = 120.0
    ) -> None:
        self.port = port
        self.data_dir = data_dir
        self.log = log
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/apis/ccompat/v7"

    def start(self) -> ApicurioRegistry:
        self._log_file = self.log.open("ab")
        command = ["bash", str(APICURIO_PROJECT / "start.sh"), str(self.port), str(self.data_dir)]
        self._process = subprocess.Popen(
            command, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )  # start.sh execs java: this is the registry's own process
        deadline = time.monotonic() + self.startup_timeout
        while not self._answers():
            if self._process.poll() is not None:
                self.stop()
                raise ApicurioUnavailableError(f"the registry exited: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ApicurioUnavailableError(
                    f"no answer in {self.startup_timeout:.0f} s: {self._log_tail()}"
                )
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/subjects", timeout=2) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def __enter__(self) -> ApicurioRegistry:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    registry: LocalSchemaRegistry

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        path = urlsplit(self.path).path
        self.registry.state.requests.append(f"{method} {path}")
        if not self._authorized():
            self._answer(401, {"error_code": 401, "message": "Unauthorized"})
            return
        parts = [unquote(part) for part in path.strip("/").split("/")]
        status, body = self._route(method, parts)
        self._answer(status, body)

    def _authorized(self) -> bool:
        if self.registry.auth is None:
            return True
        user, password = self.registry.auth
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def _route(self, method: str, parts: list[str]) -> tuple[int, Any]:
        state = self.registry.state
        match method, parts:
            case "GET", ["schemas", "ids", number] if number.isdigit():
                return _schema_by_id(state, int(number))
            case "GET", ["subjects"]:
                return 200, sorted(state.subjects)
            case "GET", ["subjects", subject, "versions"]:
                return _versions(state, subject)
            case "GET", ["subjects", subject, "versions", version]:
                return _version(state, subject, version)
            case "POST", ["subjects", subject, "versions"]:
                return 200, {"id": state.register(subject, self._body())}
            case "POST", ["subjects", subject]:
                return _lookup(state, subject, self._body())
        return 404, {"error_code": 404, "message": f"no route {method} /{'/'.join(parts)}"}

    def _body(self) -> dict[str, Any]:
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size) or b"{}")
        return body if isinstance(body, dict) else {}

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _schema_by_id(state: RegistryState, schema_id: int) -> tuple[int, Any]:
    found = state.schemas.get(schema_id)
    if found is None:
        return 404, {"error_code": 40403, "message": "Schema not found"}
    body: dict[str, Any] = {"schema": found.text}
    if found.schema_type != "AVRO":
        body["schemaType"] = found.schema_type
    if found.references:
        body["references"] = found.references
    return 200, body


def _versions(state: RegistryState, subject: str) -> tuple[int, Any]:
    if subject not in state.subjects:
        return 404, {"error_code": 40401, "message": f"Subject '{subject}' not found."}
    return 200, list(range(1, len(state.subjects[subject]) + 1))


def _version(state: RegistryState, subject: str, version: str) -> tuple[int, Any]:
    ids = state.subjects.get(subject)
    if ids is None:
        return 404, {"error_code": 40401, "message": f"Subject '{subject}' not found."}
    number = len(ids) if version in ("latest", "-1") else int(version) if version.isdigit() else 0
    if not 1 <= number <= len(ids):
        return 404, {"error_code": 40402, "message": f"Version {version} not found."}
    return 200, _subject_version(state, subject, number)


def _lookup(state: RegistryState, subject: str, body: dict[str, Any]) -> tuple[int, Any]:
    ids = state.subjects.get(subject)
    if ids is None:
        return 404, {"error_code": 40401, "message": f"Subject '{subject}' not found."}
    for number, schema_id in enumerate(ids, start=1):
        if state.schemas[schema_id].text == body.get("schema"):
            return 200, _subject_version(state, subject, number)
    return 404, {"error_code": 40403, "message": "Schema not found"}


def _subject_version(state: RegistryState, subject: str, number: int) -> dict[str, Any]:
    registered = state.schemas[state.subjects[subject][number - 1]]
    return {
        "subject": subject,
        "version": number,
        "id": registered.schema_id,
        "schema": registered.text,
        "schemaType": registered.schema_type,
    }
