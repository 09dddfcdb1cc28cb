"""The web book (``python course.py book``) as a reader meets it: served by ``python -m http.server`` from its
build folder, in headless Chromium (drive_book.mjs). Opt-in like the other browser tests
(``python -m pytest -m browser tests/browser``); it needs the built book in build/book/html.

One Chromium run opens an English lesson, follows its language switch to the Chinese twin (its H1 drawn with
Chinese glyphs, not tofu; the same check calls private-use characters tofu), follows the lesson's first exercise
link to the worked solution (scrolled to it), searches for ``stateless_random_brightness`` and checks that the
lesson is among the results, and checks that no request went to another host. Screenshots:
screenshots/book-*.png.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

from .jupyterlab_driver import CHROMIUM, HERE

pytestmark = pytest.mark.browser

SITE = PROJECT_ROOT / "build" / "book" / "html"
LESSON = "notebooks/01_image_augmentation.html"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def book_server(browser_session):
    """``python -m http.server`` in the book's build folder, as the README says to serve it."""
    if not (SITE / LESSON).is_file():
        pytest.fail(f"no built book at {SITE}: run `python course.py book` first", pytrace=False)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], cwd=SITE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/index.html", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def drive(base: str, shots: Path, **extra) -> tuple[int, dict, str]:
    options = {"base": base, "token": "-", "notebook": LESSON, "name": "book", "shots": str(shots),
               "chromium": CHROMIUM, **extra}
    done = subprocess.run(["node", str(HERE / "drive_book.mjs"), json.dumps(options)], cwd=HERE, text=True,
                          capture_output=True, timeout=240)
    try:
        return done.returncode, json.loads(done.stdout.strip().splitlines()[-1]), done.stderr
    except (IndexError, json.JSONDecodeError):
        pytest.fail(f"drive_book.mjs printed no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")


def test_the_book_in_a_browser(book_server, screenshots):
    status, report, log = drive(book_server, screenshots)
    sys.stderr.write(log)
    assert status == 0 and report["ok"], f"[{report.get('stage')}] {report.get('message')}\n{report}"
    details = report["details"]
    assert not details["external"] and details["requests"] > 10
    assert details["glyphs"] and not any(g["tofu"] for g in details["glyphs"])
    assert all(g["tofu"] for g in details["pua"])
    assert details["download"].endswith("01_image_augmentation.ipynb")
    assert "_solutions.html" in details["solution"]["url"] and details["solution"]["top"] >= -2
    assert details["solution"]["text"].startswith("Exercise"), details["solution"]
    assert len(report["screenshots"]) == 4
    print(f"\nweb book: {details['requests']} requests, none external; EN H1 {details['english']['text']!r}; "
          f"ZH H1 {details['chinese']['text']!r} ({len(details['glyphs'])} Han characters, none tofu; "
          f"{len(details['pua'])} private-use characters called tofu); exercise link {details['exercise_link']} -> "
          f"{details['solution']['text']!r} at y={details['solution']['top']}; search "
          f"{details['search']['count']} results; timings (s) {report['timings']}")


def test_the_search_check_fails_on_a_word_the_book_does_not_have(book_server, screenshots):
    """Test of the test: the same run, searching for a word no page has, fails at the search."""
    status, report, _ = drive(book_server, screenshots / "test-of-the-test", query="qwxzvbn_no_such_word")
    assert status == 1 and report["stage"] == "search", report
