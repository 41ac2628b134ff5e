"""How fast the dashboard's reads are with 100,000 runs.

    .venv/bin/python deploy/bench_dashboard.py [--runs 100000] [--rounds 3] [--requests 100]

A child process builds the real read model by folding real ``RunStatusChanged`` events
through its own apply path (what following ``podium.run.events`` does with each decoded
record; no Kafka), serves the real app (``create_app``) on a local port, and on request
folds 300 new runs a second in the background, in batches as the topic follower
delivers them. This process times real HTTP requests against it with an aiohttp client:
the run list's first page, a filtered page, a page deep behind cursors, a ``q`` search,
one run, the pipelines with their recent stats. Each case is measured in several
rounds; the table shows the medians of the rounds' p50 and p95. Figures are per host
and per hour (see docs/performance.md). Writes ``docs/bench/<date>-dashboard/dashboard.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services"))

from podium.api import ApiServices, create_app  # noqa: E402 (this checkout's podium, not an installed one)
from podium.codec import Codec  # noqa: E402
from podium.contract import RunStatus, RunStatusChanged, StepStatus  # noqa: E402
from podium.pipelines import Pipeline  # noqa: E402
from podium.registry import RegisteredPipeline, UnknownPipelineError  # noqa: E402
from podium.runs import ReadModel  # noqa: E402
from podium.settings import TopicNames  # noqa: E402

PIPELINES = ("ingest", "report", "train", "backfill")
STEPS = ("extract", "transform", "load", "notify")
ENDS = (RunStatus.SUCCEEDED,) * 6 + (RunStatus.FAILED, RunStatus.CANCELLED)
START = datetime(2026, 1, 1, tzinfo=UTC)
LOAD_RUNS_PER_S = 300
BATCH_S = 0.2  # the read model's follower polls every 200 ms


def run_events(i: int, at: datetime) -> Iterator[RunStatusChanged]:
    """One run's events as the coordinator emits them: start, each step, end (every 10th
    run is still running, every 25th queued only)."""
    base = {"run_id": f"run-{i:07d}", "pipeline": PIPELINES[i % len(PIPELINES)]}
    base["pipeline_version"] = "1"
    detail = {"params": {"day": f"d{i % 365}", "shard": i % 16}, "trigger": {"source": "API"}}
    yield RunStatusChanged(
        **base, status=RunStatus.QUEUED, changed_at=at, detail_json=json.dumps(detail)
    )
    if i % 25 == 0:
        return
    ms = 0
    for name in STEPS[: 2 + i % 3]:
        for status in (StepStatus.RUNNING, StepStatus.SUCCEEDED):
            ms += 5 + i % 7
            when = at + timedelta(milliseconds=ms)
            yield RunStatusChanged(
                **base, status=RunStatus.RUNNING, changed_at=when, step=name,
                step_status=status, attempt=1,
            )  # fmt: skip
    if i % 10 != 0:
        end = ENDS[i % len(ENDS)]
        yield RunStatusChanged(**base, status=end, changed_at=at + timedelta(milliseconds=ms + 1))


def fold_runs(model: ReadModel, first: int, count: int, at: datetime) -> int:
    events = 0
    for i in range(first, first + count):
        for event in run_events(i, at + timedelta(milliseconds=i)):
            model.apply(event)
            events += 1
    return events


class Registry:
    """The published pipelines (what ``PipelineRegistry`` answers), one version each."""

    def __init__(self) -> None:
        published = datetime(2026, 1, 1, tzinfo=UTC)
        self.entries = [
            RegisteredPipeline(_pipeline(n), f"sha256:{n}", published) for n in PIPELINES
        ]

    def get(self, name: str, version: int | None = None) -> Pipeline:
        for entry in self.entries:
            if entry.name == name:
                return entry.pipeline
        raise UnknownPipelineError(name, version, [e.key for e in self.entries])

    def list(self) -> list[RegisteredPipeline]:
        return list(self.entries)

    def pause(self, name: str) -> None:
        """No pipeline is paused here."""
        return None


def _pipeline(name: str) -> Pipeline:
    steps = [{"name": s, "service": "work"} for s in STEPS]
    return Pipeline.model_validate({"name": name, "version": 1, "steps": steps})


class NoProducer:
    async def send_and_wait(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the benchmark only reads")


# --- the server (child process) ---------------------------------------------------------


def serve(runs: int, conn: Connection) -> None:
    asyncio.run(_serve(runs, conn))


async def _serve(runs: int, conn: Connection) -> None:
    model = ReadModel({}, "podium.run.events")
    began = time.perf_counter()
    events = fold_runs(model, 0, runs, START)
    fold_s = time.perf_counter() - began
    services = ApiServices(Registry(), model, NoProducer(), Codec(), TopicNames())
    runner = web.AppRunner(create_app(services), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    conn.send({"port": port, "runs": runs, "events": events, "fold_s": round(fold_s, 2)})
    loop = asyncio.get_running_loop()
    load: asyncio.Task[dict[str, float]] | None = None
    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        if command == "load":
            load = asyncio.create_task(_load(model, runs))
        elif command == "unload" and load is not None:
            load.cancel()
            conn.send(await _finished(load))
    await runner.cleanup()


async def _load(model: ReadModel, first: int) -> dict[str, float]:
    """Fold LOAD_RUNS_PER_S new runs a second, a batch every BATCH_S, until cancelled."""
    done = events = 0
    began = time.perf_counter()
    per_batch = int(LOAD_RUNS_PER_S * BATCH_S)
    batches: list[float] = []  # how long each batch held the event loop, s
    try:
        while True:
            start = time.perf_counter()
            events += fold_runs(model, first + done, per_batch, datetime.now(UTC))
            batches.append(time.perf_counter() - start)
            done += per_batch
            due = began + done / LOAD_RUNS_PER_S
            await asyncio.sleep(max(due - time.perf_counter(), 0))
    except asyncio.CancelledError:
        return _load_figures(time.perf_counter() - began, done, events, batches)


def _load_figures(took: float, runs: int, events: int, batches: list[float]) -> dict[str, float]:
    return {
        "runs_per_s": round(runs / took, 1),
        "events_per_s": round(events / took, 1),
        "loop_busy_folding": round(sum(batches) / took, 3),
        "batch_ms_p50": round(statistics.median(batches) * 1000, 1),
        "batch_ms_max": round(max(batches) * 1000, 1),
    }


async def _finished(task: asyncio.Task[dict[str, float]]) -> dict[str, float]:
    try:
        return await task
    except asyncio.CancelledError:
        return {}


# --- the client (this process) ----------------------------------------------------------


async def cases(http: ClientSession, base: str, runs: int) -> dict[str, str]:
    """The URLs to time; the deep one found by following cursors 200 pages (10,000 runs)."""
    url = f"{base}/v1/runs?limit=50"
    for _ in range(min(200, runs // 50 - 2)):
        page = await (await http.get(url)).json()
        url = f"{base}/v1/runs?limit=50&before={page['next']}"
    some = (await (await http.get(f"{base}/v1/runs?limit=1")).json())["runs"][0]["run_id"]
    return {
        "runs_first_page": f"{base}/v1/runs",
        "runs_filtered": f"{base}/v1/runs?pipeline=train&status=FAILED",
        "runs_time_window": f"{base}/v1/runs?since={_at(40_000)}&until={_at(60_000)}",
        # the worst cases: filters no run passes, so the page walks a whole list. Train
        # runs are never cancelled (see ENDS): the shorter list, the cancelled, is walked
        "runs_no_match": f"{base}/v1/runs?pipeline=train&status=CANCELLED",
        "runs_search_none": f"{base}/v1/runs?q=nothing-has-this",
        "runs_deep_page": url,
        "runs_search_param": f"{base}/v1/runs?q=d42",
        "runs_search_id": f"{base}/v1/runs?q=run-00420",
        "run_one": f"{base}/v1/runs/{some}",
        "pipelines": f"{base}/v1/pipelines",
    }


def _at(run: int) -> str:
    """The creation time of run number ``run`` of the initial runs (URL-safe)."""
    return (START + timedelta(milliseconds=run)).isoformat().replace("+00:00", "Z")


async def time_case(http: ClientSession, url: str, requests: int) -> list[float]:
    took = []
    for _ in range(requests):
        began = time.perf_counter()
        async with http.get(url) as answer:
            await answer.read()
            assert answer.status == 200, (url, answer.status)
        took.append((time.perf_counter() - began) * 1000)
    return took


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(int(len(ordered) * 0.95 + 0.5) - 1, 0)]


async def measure(base: str, runs: int, rounds: int, requests: int) -> dict[str, dict[str, float]]:
    """For each case: the medians over ``rounds`` of each round's p50, p95 and max (ms)."""
    async with ClientSession() as http:
        urls = await cases(http, base, runs)
        figures = {k: {"p50": [], "p95": [], "max": []} for k in urls}
        for _ in range(rounds):
            for name, url in urls.items():
                await time_case(http, url, 3)  # warm-up
                took = await time_case(http, url, requests)
                figures[name]["p50"].append(statistics.median(took))
                figures[name]["p95"].append(p95(took))
                figures[name]["max"].append(max(took))
    return {
        name: {q: round(statistics.median(v), 2) for q, v in f.items()}
        for name, f in figures.items()
    }


def table(idle: dict[str, dict[str, float]], loaded: dict[str, dict[str, float]]) -> str:
    heads = ("p50 ms", "p95 ms", "max ms", "p50 load", "p95 load", "max load")
    rows = [f"{'case':<20}" + "".join(f"{h:>10}" for h in heads)]
    for name in idle:
        a, b = idle[name], loaded[name]
        cells = (a["p50"], a["p95"], a["max"], b["p50"], b["p95"], b["max"])
        rows.append(f"{name:<20}" + "".join(f"{c:>10}" for c in cells))
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument(
        "--browser", action="store_true", help="also time the pages in chromium under the load"
    )
    args = parser.parse_args()
    ours, theirs = mp.Pipe()
    server = mp.get_context("spawn").Process(target=serve, args=(args.runs, theirs), daemon=True)
    server.start()
    ready = ours.recv()
    print(f"read model: {ready['runs']} runs from {ready['events']} events in {ready['fold_s']}s")
    base = f"http://127.0.0.1:{ready['port']}"
    idle = asyncio.run(measure(base, args.runs, args.rounds, args.requests))
    ours.send("load")
    loaded = asyncio.run(measure(base, args.runs, args.rounds, args.requests))
    pages = _pages(base, args.rounds) if args.browser else {}
    ours.send("unload")
    load = ours.recv()
    ours.send("stop")
    server.join(timeout=30)
    print(table(idle, loaded))
    print(f"background fold: {load}")
    if pages:
        print(f"pages in chromium under the load (medians of {args.rounds}): {pages}")
    write(args.output, ready, idle, loaded, {**load, "pages": pages}, args)


def _pages(base: str, rounds: int) -> dict[str, float]:
    from bench_dashboard_page import page_figures  # selenium only when asked for

    async def one_run() -> str:
        async with ClientSession() as http:
            page = await (await http.get(f"{base}/v1/runs?limit=1")).json()
            return str(page["runs"][0]["run_id"])

    return page_figures(base, asyncio.run(one_run()), rounds)


def write(
    output: Path | None, ready: dict[str, Any], idle: Any, loaded: Any, load: Any, args: Any
) -> None:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    path = output or ROOT / "docs" / "bench" / f"{day}-dashboard" / "dashboard.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = {"rounds": args.rounds, "requests_per_round": args.requests}
    body = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), **ready}
    body |= {"settings": settings, "idle_ms": idle, "under_load_ms": loaded, "load": load}
    path.write_text(json.dumps(body, indent=2) + "\n")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
