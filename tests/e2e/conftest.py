"""Browser fixtures: Playwright driving Debian's Chromium against a live test server."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make to set
# up data are still plain synchronous calls, so Django's async guard must be told it is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


#: Where screenshots of pages that failed a browser test are kept, for the next person to look.
SCREENSHOTS_DIR = Path(
    os.environ.get("EMPOWER_SCREENSHOTS_ON_FAILURE")
    or Path(__file__).resolve().parents[2] / "test-artifacts"
)


def save_screenshot(page: Any, name: str) -> Path | None:
    """A full-page screenshot of ``page`` in ``SCREENSHOTS_DIR``; ``None`` if the page is gone."""
    path = SCREENSHOTS_DIR / (re.sub(r"[^\w.-]+", "-", name).strip("-")[:150] + ".png")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
    except Exception:  # a closed page or browser: the test's own failure says what went wrong
        return None
    return path


@pytest.fixture
def failure_screenshot() -> Callable[[Any, str], Path | None]:
    """For tests that look at many pages: keep a screenshot of each page that failed."""
    return save_screenshot


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    """On a failing browser test, keep a screenshot of every page the test had open."""
    report = yield
    if report.when == "call" and report.failed:
        funcargs = getattr(item, "funcargs", {})
        for name, value in funcargs.items():
            if hasattr(value, "screenshot") and hasattr(value, "goto"):
                path = save_screenshot(value, f"{item.name}-{name}")
                if path is not None:
                    report.sections.append(("screenshot", str(path)))
    return report


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = _chromium()
    if executable is None:
        if os.environ.get("EMPOWER_REQUIRE_BROWSER") == "1":
            pytest.fail("Chromium is required for the browser tests but is not installed.")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page the size of a small Android phone (360 × 740 CSS pixels)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
