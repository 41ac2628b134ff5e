"""The dashboard's pages in a real browser while the read model takes 300 runs/s.

Used by ``deploy/bench_dashboard.py --browser``: Debian's chromium (headless, through
chromium-driver and selenium) opens the runs page and a run's page of the benchmark's
API while its background load runs, and reports, per round, how long each page took
from navigation to drawn (the runs table; the run's DAG) and the longest task the
page's main thread ran while the runs list refreshed itself under the load
(``longtask`` entries: anything over 50 ms is a moment the page could not answer a
click). Medians over the rounds.
"""

from __future__ import annotations

import shutil
import statistics
import time
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

WATCH_S = 12.0  # the runs list refreshes every 5 s: two refreshes or more per window
_LONG_TASKS = """
window.__long = [];
new PerformanceObserver((list) => list.getEntries().forEach((e) => window.__long.push(e.duration)))
  .observe({type: "longtask", buffered: true});
"""


def page_figures(base: str, run_id: str, rounds: int) -> dict[str, float]:
    driver = _chromium()
    try:
        samples = [_round(driver, base, run_id) for _ in range(rounds)]
    finally:
        driver.quit()
    return {key: round(statistics.median(s[key] for s in samples), 1) for key in samples[0]}


def _round(driver: Any, base: str, run_id: str) -> dict[str, float]:
    driver.get("about:blank")
    driver.get(f"{base}/#/runs")
    _wait(driver, "#runs tr[data-run]")
    runs_ms = driver.execute_script("return performance.now()")
    driver.execute_script(_LONG_TASKS)
    time.sleep(WATCH_S)  # a measuring window, not a wait for something to happen
    longest = driver.execute_script("return Math.max(0, ...window.__long)")
    began = driver.execute_script(f"location.hash = '#/run/{run_id}'; return performance.now()")
    _wait(driver, "svg.dag g.node")
    run_ms = driver.execute_script("return performance.now()") - began
    return {"runs_page_ms": runs_ms, "run_page_ms": run_ms, "longest_task_ms": longest}


def _wait(driver: Any, css: str) -> None:
    WebDriverWait(driver, 30, poll_frequency=0.01).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, css)
    )


def _chromium() -> Any:
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)
