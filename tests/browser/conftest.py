"""Opt-in switch and fixtures for the browser tests (JupyterLab in headless Chromium).

The browser tests are opt-in: ``python -m pytest -m browser tests/browser`` (or COURSE_BROWSER_TESTS=1).
Without either, every test marked ``browser`` is reported as skipped with the reason, so a plain
``python -m pytest tests`` never starts a browser. What they need is installed by ``tests/browser/install.sh``
(Debian's chromium and chromium-driver, playwright-core from npm; no browser is downloaded).
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from .jupyterlab_driver import (
    SCREENSHOTS,
    LabServer,
    course_zh_app_settings_dir,
    missing_prerequisites,
    start_lab,
    stop_lab,
)

# The fixture notebooks are inputs of these tests, not course notebooks: nbval must not collect them.
collect_ignore_glob = ["fixtures/*"]


def browser_tests_requested(config: pytest.Config) -> bool:
    """True with ``-m browser`` (any marker expression naming ``browser`` but not ``not browser``) or
    COURSE_BROWSER_TESTS=1."""
    if os.environ.get("COURSE_BROWSER_TESTS") == "1":
        return True
    expression = config.getoption("markexpr", default="") or ""
    return bool(re.search(r"\bbrowser\b", expression)) and not re.search(r"\bnot\s+browser\b", expression)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if browser_tests_requested(config):
        return
    skip = pytest.mark.skip(reason="browser test: opt in with `python -m pytest -m browser tests/browser` "
                                   "or COURSE_BROWSER_TESTS=1 (after bash tests/browser/install.sh)")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_session() -> Iterator[None]:
    """Fails at once, saying what to install, when a prerequisite is missing. While the browser tests run, a
    SIGTERM (a CI timeout, say), which would end pytest without teardown and leave the servers behind, behaves
    like Ctrl-C, which runs the server fixtures' `finally`."""
    missing = missing_prerequisites()
    if missing:
        pytest.fail("the browser test needs: " + "; ".join(missing) + ".  Run: bash tests/browser/install.sh",
                    pytrace=False)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def lab(browser_session, tmp_path_factory) -> Iterator[LabServer]:
    """The course's JupyterLab, started for the browser tests and stopped after them, whatever happened."""
    server = start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        stop_lab(server)


@pytest.fixture(scope="session")
def lab_zh(browser_session, tmp_path_factory) -> Iterator[LabServer]:
    """A second JupyterLab, started as ``python course.py start --lang zh`` starts it: with its
    --LabApp.app_settings_dir (tools/jupyterlab-zh), whose overrides.json makes Chinese the default interface
    language of the whole server (hence a server of its own), on its own copy of notebooks/ and the fixtures."""
    server = start_lab(tmp_path_factory.mktemp("jupyterlab-zh"), app_settings_dir=course_zh_app_settings_dir())
    try:
        yield server
    finally:
        stop_lab(server)


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the screenshots go: screenshots/ at the repository root (git-ignored), or $COURSE_SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
