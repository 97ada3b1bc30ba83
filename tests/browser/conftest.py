"""Browser tests: Python Playwright driving Debian's Chromium against pytest-django's live server.

Needs the `chromium` Debian package (/usr/bin/chromium, or the executable NORTHSTAR_CHROMIUM
names) and pytest-playwright. Without it the browser tests are skipped and the run says so in one
line; `.ci/run` runs the suite a second time with Chromium hidden to keep that path green.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("NORTHSTAR_CHROMIUM") or "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Playwright's sync API runs an event loop in the test's thread; Django then refuses ORM calls
# from the test (fixtures, assertions) unless told this is safe, which it is: nothing is async.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Without Chromium, every browser test skips here, before the live server or the browser
    starts; raised from this one line, `-ra` folds the skips into one line saying how to get it.
    An executable file is needed, not merely a path (a /dev/null bound over it is missing too)."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run the browser tests")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where screenshots go: SCREENSHOT_DIR (e.g. docs/screenshots) or the test's tmp folder."""
    directory = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture
def console_errors(page) -> list[str]:
    """Every console error and uncaught exception of the page, for a test to assert none."""
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
