"""A real browser for the dashboard's tests: Debian's chromium driven by chromium-driver
through selenium, headless. Missing, the tests fail (the setup script installs both on
Debian): a dashboard test that skips would pass CI with the dashboard broken."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("PODIUM_TEST_ARTIFACTS", REPO / "build" / "test-artifacts"))
"""Where the screenshots go (``build/test-artifacts/dashboard/*.png`` by default)."""


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"the dashboard's browser tests need {' or '.join(names)}: "
        "`apt-get install chromium chromium-driver` (deploy/setup.sh does it as root on Debian)"
    )


class Browser:
    """One headless chromium on ``base`` (the API's URL), with waits that say what failed."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = _binary("chromium", "chromium-browser")
        for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
            options.add_argument(argument)
        options.add_argument("--window-size=1400,1000")
        service = Service(_binary("chromedriver"))
        self.driver = webdriver.Chrome(service=service, options=options)
        self.base = base
        self.timeout = timeout
        self.shots = ARTIFACTS / "dashboard"
        self.shots.mkdir(parents=True, exist_ok=True)

    def open(self, route: str) -> None:
        """Go to the page's ``#/route`` (a real navigation when the page is not loaded yet)."""
        url = f"{self.base}/#/{route}"
        if self.driver.current_url.startswith(self.base):
            self.driver.execute_script("location.hash = arguments[0]", f"#/{route}")
        else:
            self.driver.get(url)

    def until(self, what: str, check: Callable[[], Any]) -> Any:
        """``check()``'s first truthy answer, polled; on timeout, say ``what`` and show the page."""

        def attempt(_: Any) -> Any:
            try:
                return check()
            except StaleElementReferenceException:  # redrawn under us: look again
                return None

        try:
            return WebDriverWait(self.driver, self.timeout, poll_frequency=0.2).until(attempt)
        except Exception as exc:
            shot = self.shot(f"failed-{what[:40].replace(' ', '-')}")
            notice = self.text("#notice")
            raise AssertionError(f"{what}: not seen (notice {notice!r}; {shot})") from exc

    def find(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        found = self.find(css)
        return found[0].text if found else ""

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[str]:
        """What the page logged as errors (a 401 while logged out is expected; callers filter)."""
        return [entry["message"] for entry in self.driver.get_log("browser")]

    def quit(self) -> None:
        self.driver.quit()
