"""The dashboard in a real browser (Debian's chromium through selenium) against a real
broker, coordinator, scripted worker and ``podium api`` with a token.

The tests share one stack and one browser and run in file order: the login first (the
token then stays in the tab's session), the lag test last (it stops the worker).
Screenshots of every page land in ``build/test-artifacts/dashboard/``.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from podium.pipelines import Pipeline
from tests.brokers import free_port
from tests.integration.e2e.browser import Browser
from tests.integration.e2e.conftest import make_stack
from tests.integration.e2e.pipelines import pipeline, step
from tests.integration.e2e.stack import Stack

TOKEN = "dash-s3cret-token"
MARKUP = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>'
WORKER = "tests.integration.e2e.services:worker"


@dataclass
class Dash:
    stack: Stack
    port: int
    browser: Browser
    mixed: Pipeline
    slow: Pipeline

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> Any:
        """The API's JSON, with the token (as a script would read it)."""
        request = urllib.request.Request(
            self.base + path, headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())

    def start_run(self, pipeline: Pipeline, params: dict[str, Any] | None = None) -> str:
        return asyncio.run(self.stack.request_run(pipeline.name, params))

    def finished(self, run_id: str) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                view: dict[str, Any] = self.get(f"/v1/runs/{run_id}")
                if view["finished_at"]:
                    return view
            except OSError:  # 404 until the read model has it, or the API still starting
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"run {run_id} did not finish: {self.stack.log('coordinator')[-2000:]}"
        )


def mixed_pipeline(prefix: str) -> Pipeline:
    """A step that succeeds, one that fails for good (the run goes on), one whose output
    holds markup."""
    return pipeline(
        prefix,
        step(prefix, "extract"),
        step(prefix, "check", after=["extract"], input={"fatal": True}, on_failure="continue"),
        step(prefix, "report", after=["extract"], input={"output": {"html": MARKUP}}),
    )


@pytest.fixture(scope="module")
def dash(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dash]:
    stack = make_stack(kafka_bootstrap, tmp_path_factory.mktemp("dashboard"))
    stack.extra_env.update(
        PODIUM_API__TOKEN=TOKEN, PODIUM_LAG__INTERVAL_S="0.5", PODIUM_LAG__WINDOW_S="4"
    )
    mixed = mixed_pipeline(stack.prefix)
    slow = pipeline(stack.prefix, step(stack.prefix, "wait", input={"sleep_s": 4}))
    asyncio.run(stack.publish(mixed, slow))
    port = free_port()
    stack.start_coordinator()
    stack.start_service("worker", WORKER)
    stack.start("api", "api", "--host", "127.0.0.1", "--port", str(port))
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        yield Dash(stack, port, browser, mixed, slow)
    finally:
        browser.quit()
        stack.stop_all()


def test_without_the_token_the_dashboard_shows_a_login_then_lists_runs(dash: Dash) -> None:
    run_id = dash.start_run(dash.mixed)
    dash.finished(run_id)
    browser = dash.browser
    browser.until("the API", lambda: dash.get("/healthz")["status"] == "ok")
    browser.open("runs")
    browser.until("the login form", lambda: browser.find("#login input#token"))
    assert not browser.find("#runs"), "no data without the token"
    browser.shot("login")
    browser.find("#token")[0].send_keys("wrong-token")
    browser.find("#login button")[0].click()
    browser.until("the refusal", lambda: "refused" in browser.text("#login"))
    browser.find("#token")[0].send_keys(TOKEN)
    browser.find("#login button")[0].click()
    row = f'#runs tr[data-run="{run_id}"]'
    browser.until("the run in the runs list", lambda: browser.find(row))
    assert dash.mixed.name in browser.text(row)
    browser.shot("runs")
    other = dash.start_run(dash.mixed)
    browser.until("a second run", lambda: browser.find(f'#runs tr[data-run="{other}"]'))
    browser.find('#run-filters input[name="q"]')[0].send_keys(run_id)
    browser.find("#run-filters button")[0].click()
    listed = lambda: [r.get_attribute("data-run") for r in browser.find("#runs tr[data-run]")]  # noqa: E731
    browser.until("only the searched run", lambda: listed() == [run_id])
    since = '#run-filters input[name="since"]'
    browser.js(f"document.querySelector('{since}').value = '2099-01-01T00:00'")
    browser.find("#run-filters button")[0].click()
    browser.until("no run created after 2099", lambda: browser.find("#no-runs"))
    browser.js(f"document.querySelector('{since}').value = '2000-01-01T00:00'")
    browser.find("#run-filters button")[0].click()
    browser.until("the searched run again", lambda: listed() == [run_id])


def test_the_run_page_draws_each_steps_final_state(dash: Dash) -> None:
    run_id = dash.start_run(dash.mixed)
    view = dash.finished(run_id)
    browser = dash.browser
    browser.open(f"run/{run_id}")
    nodes = "svg.dag g.node"
    browser.until("the DAG", lambda: len(browser.find(nodes)) == 3)
    drawn = {
        n.get_attribute("data-step"): n.get_attribute("data-status") for n in browser.find(nodes)
    }
    assert drawn == {name: step["status"] for name, step in view["steps"].items()}
    assert drawn["extract"] == "SUCCEEDED" and drawn["check"] == "FAILED"
    failed_row = browser.text('#steps tr[data-step="check"]')
    assert "NonRetryableError" in failed_row and "not retryable" in failed_row
    assert browser.text("#trace-id") == view["trace_id"] and len(view["trace_id"]) == 32
    assert browser.find('#timeline rect[data-attempt="check#1"]')
    browser.shot("run")


def test_an_output_holding_markup_is_shown_as_text(dash: Dash) -> None:
    run_id = dash.start_run(dash.mixed)
    dash.finished(run_id)
    browser = dash.browser
    browser.open(f"run/{run_id}")
    output = 'pre[data-output="report"]'
    browser.until("the report's output", lambda: browser.find(output))
    assert "<b>bold</b>" in browser.text(output) and "<script>" in browser.text(output)
    assert not browser.find("#steps b"), "the markup became elements"
    assert browser.js("return window.__pwned === undefined"), "the output's script ran"


def test_a_live_run_changes_colour_without_a_reload(dash: Dash) -> None:
    browser = dash.browser
    run_id = dash.start_run(dash.slow)
    browser.open(f"run/{run_id}")
    node = 'svg.dag g.node[data-step="wait"]'
    running = ("REQUESTED", "RUNNING")
    browser.until("the step running", lambda: browser.find(f"{node}[data-status='RUNNING']"))
    browser.js("window.__same_page = true")
    browser.shot("run-live")
    status = browser.until(
        "the step's end",
        lambda: (s := browser.find(node)[0].get_attribute("data-status")) not in running and s,
    )
    assert status == "SUCCEEDED"
    assert browser.js("return window.__same_page === true"), "the page was reloaded"
    assert browser.find("#run")[0].get_attribute("data-status") == "SUCCEEDED"


def test_a_run_is_cancelled_from_its_page(dash: Dash) -> None:
    """The page's POST passes the API's CSRF guard (a browser POST without it would not)."""
    browser = dash.browser
    run_id = dash.start_run(dash.slow)
    browser.open(f"run/{run_id}")
    browser.until("the cancel button", lambda: browser.find("#cancel"))
    browser.find("#cancel")[0].click()
    browser.driver.switch_to.alert.accept()
    browser.until("the run cancelled", lambda: browser.find('#run[data-status="CANCELLED"]'))
    assert dash.finished(run_id)["status"] == "CANCELLED"
    assert not browser.find("#cancel"), "a finished run offers no cancel"


def _click_and_confirm(browser: Browser, button: str) -> None:
    browser.until(f"the {button} button", lambda: browser.find(f"#{button}"))
    browser.find(f"#{button}")[0].click()
    browser.driver.switch_to.alert.accept()


def test_a_run_is_paused_and_resumed_from_its_page(dash: Dash) -> None:
    """Paused while ``wait`` runs: ``wait`` finishes and its result is kept, ``then`` is not
    requested until Resume is clicked."""
    p = dash.stack.prefix
    two = pipeline(p, step(p, "wait", input={"sleep_s": 3}), step(p, "then", after=["wait"]))
    asyncio.run(dash.stack.publish(two))
    browser = dash.browser
    run_id = dash.start_run(two)
    browser.open(f"run/{run_id}")
    browser.until("the run running", lambda: browser.find('#run[data-status="RUNNING"]'))
    _click_and_confirm(browser, "pause")
    browser.until("the run paused", lambda: browser.find('#run[data-status="PAUSED"]'))
    assert "by dashboard" in browser.text("#paused-by")
    assert not browser.find("#pause") and browser.find("#cancel")

    def wait_done() -> bool:
        steps = dash.get(f"/v1/runs/{run_id}")["steps"]
        return bool(steps["wait"]["status"] == "SUCCEEDED")

    browser.until("wait's result kept while paused", wait_done)
    run = dash.get(f"/v1/runs/{run_id}")
    assert run["status"] == "PAUSED" and run["steps"]["then"]["status"] == "PENDING"
    browser.shot("run-paused")
    _click_and_confirm(browser, "resume")
    assert dash.finished(run_id)["status"] == "SUCCEEDED"
    browser.until("the page shows it", lambda: browser.find('#run[data-status="SUCCEEDED"]'))


def test_a_failed_run_is_rerun_from_its_page_and_records_the_rerun(dash: Dash) -> None:
    p = dash.stack.prefix
    failing = pipeline(p, step(p, "ok"), step(p, "broken", after=["ok"], input={"fatal": True}))
    asyncio.run(dash.stack.publish(failing))
    browser = dash.browser
    run_id = dash.start_run(failing)
    assert dash.finished(run_id)["status"] == "FAILED"
    browser.open(f"run/{run_id}")
    _click_and_confirm(browser, "retry")
    browser.until("the re-run recorded", lambda: "re-run #1" in browser.text("#run"))
    assert "from its failed steps, by dashboard" in browser.text("#run .rerun")

    def failed_again() -> bool:
        run = dash.get(f"/v1/runs/{run_id}")
        return bool(run["finished_at"]) and len(run["reruns"]) == 1

    browser.until("the re-run ends", failed_again)
    run = dash.get(f"/v1/runs/{run_id}")
    assert run["status"] == "FAILED" and run["steps"]["broken"]["attempt"] == 2
    assert run["steps"]["ok"]["attempt"] == 1, "the step that succeeded was kept"
    browser.shot("run-rerun")


def test_parent_and_child_runs_link_to_each_other(dash: Dash) -> None:
    p = dash.stack.prefix
    child = pipeline(p, step(p, "inner"))
    parent = pipeline(
        p,
        {"name": "sub", "kind": "pipeline", "timeout": "60s", "pipeline": {"name": child.name}},
    )
    asyncio.run(dash.stack.publish(child, parent))
    browser = dash.browser
    run_id = dash.start_run(parent)
    assert dash.finished(run_id)["status"] == "SUCCEEDED"
    browser.open(f"run/{run_id}")
    browser.until("the child's link", lambda: browser.find("#child-sub"))
    child_id = f"{run_id}~sub~1"
    assert browser.text("#child-sub") == child_id
    browser.find("#child-sub")[0].click()
    browser.until("the child's page", lambda: browser.find("#parent-run"))
    assert browser.text("#parent-run") == run_id
    assert child.name in browser.text("#run")
    browser.find("#parent-run")[0].click()
    browser.until("the parent's page again", lambda: browser.find("#child-sub"))


def test_the_pipelines_page_shows_each_pipeline_with_its_dag(dash: Dash) -> None:
    browser = dash.browser
    browser.open("pipelines")
    card = f'[data-pipeline="{dash.mixed.name}"]'
    browser.until("the pipeline", lambda: browser.find(f"{card} svg.dag g.node"))
    steps = {n.get_attribute("data-step") for n in browser.find(f"{card} svg.dag g.node")}
    assert steps == {"extract", "check", "report"}
    assert "100% succeeded" in browser.text(f"{card} .recent")  # "check" fails, the run goes on
    browser.shot("pipelines")


def test_a_dead_letter_shows_its_reason_and_its_replay_starts_the_run(dash: Dash) -> None:
    stack, browser = dash.stack, dash.browser
    late = mixed_pipeline(stack.prefix)  # not yet published: its run request is dead-lettered
    run_id = asyncio.run(stack.request_run(late.name))
    dlq = f"{stack.topics.runs}.dlq"
    browser.open(f"dlq/{dlq}")
    row = "#letters tr[data-letter]"
    browser.until("the dead letter", lambda: _refreshed_until(browser, row))
    assert browser.find(row)[0].find_elements("css selector", '[data-reason="unknown-pipeline"]')
    assert run_id in browser.text(row)
    browser.shot("dlq")
    asyncio.run(stack.publish(late))
    before = asyncio.run(_end_offset(stack.bootstrap, stack.topics.runs))
    browser.find("#dry-run")[0].click()
    browser.until("the dry run's plan", lambda: browser.find("#replay"))
    assert asyncio.run(_end_offset(stack.bootstrap, stack.topics.runs)) == before
    browser.find("#replay")[0].click()
    browser.until("the replay", lambda: "Replayed 1" in browser.text("#replayed"))
    browser.shot("dlq-replayed")
    assert dash.finished(run_id)["pipeline"] == late.name
    browser.open("dlq")
    topic = f'#dlq-topics tr[data-topic="{dlq}"]'
    browser.until("the DLQ topics", lambda: browser.find(topic))
    assert "unknown-pipeline: 1" in browser.text(topic)
    browser.shot("dlq-topics")


def test_the_lag_page_shows_a_stopped_services_lag_growing(dash: Dash) -> None:
    stack, browser = dash.stack, dash.browser
    stack.kill("worker")
    group = f'#lag tr[data-group="{stack.prefix}-worker"]'
    browser.open("lag")
    for _ in range(2):
        dash.start_run(dash.slow)
    first = browser.until("some lag", lambda: _lag(browser, group) >= 2 and _lag(browser, group))
    for _ in range(3):
        dash.start_run(dash.slow)
    browser.until("the lag growing", lambda: _lag(browser, group) >= first + 3)
    assert browser.find(f'#lag-chart polyline[data-group="{stack.prefix}-worker"]')
    browser.shot("lag")


def _lag(browser: Browser, row: str) -> int:
    cells = browser.find(f"{row} [data-lag]")
    return int(cells[0].get_attribute("data-lag") or 0) if cells else -1


def _refreshed_until(browser: Browser, css: str) -> bool:
    """Whether ``css`` is on the page; if not, press its Refresh (as a user would)."""
    if browser.find(css):
        return True
    for button in browser.find("#refresh"):
        button.click()
    return False


async def _end_offset(bootstrap: str, topic: str) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        await consumer.topics()
        found = consumer.partitions_for_topic(topic) or ()
        partitions = [TopicPartition(topic, p) for p in found]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()
