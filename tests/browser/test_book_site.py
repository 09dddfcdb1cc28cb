"""The web book (``python course.py book``) as a reader meets it: served by ``python -m http.server`` from its
build folder, in headless Chromium (drive_book.mjs). Opt-in like the other browser tests
(``python -m pytest -m browser tests/browser``); it needs the built book in build/book/html.

One Chromium run opens an English lesson, follows its language switch to the Chinese twin (its H1 drawn with
Chinese glyphs, not tofu; the same check calls private-use characters tofu), follows the lesson's first exercise
link to the worked solution (scrolled to it), searches for ``stateless_random_brightness`` and checks that the
lesson is among the results (and for ``增广``, image augmentation, which must find the Chinese lesson), and checks
that no request went to another host. Screenshots:
screenshots/book-*.png. And the build's own test of the test: a small book builds, and fails with a planted
link to a heading that does not exist.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course import venv_python
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
    assert details["page"]["images"] > 10 and details["page"]["copy_buttons"] == details["page"]["code_cells"] > 10
    assert details["english"]["lang"] == "en" and details["chinese"]["lang"] == "zh-CN"
    assert details["glyphs"] and not any(g["tofu"] for g in details["glyphs"])
    assert all(g["tofu"] for g in details["pua"])
    assert details["download"].endswith("01_image_augmentation.ipynb")
    assert "_solutions.html" in details["solution"]["url"] and details["solution"]["top"] >= -2
    assert details["solution"]["text"].startswith("Exercise"), details["solution"]
    assert len(report["screenshots"]) == 4
    print(f"\nweb book: {details['requests']} requests, none external; {details['page']}; "
          f"EN H1 {details['english']['text']!r}; "
          f"ZH H1 {details['chinese']['text']!r} ({len(details['glyphs'])} Han characters, none tofu; "
          f"{len(details['pua'])} private-use characters called tofu); exercise link {details['exercise_link']} -> "
          f"{details['solution']['text']!r} at y={details['solution']['top']}; search "
          f"{details['search']['count']} results, for {details['search_zh']['query']} {details['search_zh']['count']}; "
          f"timings (s) {report['timings']}")


def test_the_search_check_fails_on_a_word_the_book_does_not_have(book_server, screenshots):
    """Test of the test: the same run, searching for a word no page has, fails at the search."""
    status, report, _ = drive(book_server, screenshots / "test-of-the-test", query="qwxzvbn_no_such_word")
    assert status == 1 and report["stage"] == "search", report


# ---------------------------------------------------------------- the real build, on a small planted book
def book_python() -> Path | None:
    venv = Path(os.environ.get("COURSE_BOOK_VENV") or PROJECT_ROOT / ".venv-book")
    python = venv_python(venv)
    return python if python.is_file() else None


def small_course(folder: Path) -> Path:
    """A copy of the course's notebooks (both editions: the teachers' guide links every one), the teachers' guide
    and the glossary, and a README with only the course maps."""
    notebooks = [path.relative_to(PROJECT_ROOT).as_posix()
                 for path in (PROJECT_ROOT / "notebooks").glob("**/[0-9][0-9]_*.ipynb")]
    for path in (*notebooks, "notebooks/zh/GLOSSARY.md", "TEACHING.md", "tools/book.py", "tools/book.css",
                 "tools/book_pages.py", "benchmarks/RESULTS.md", "helpers/measured/course_runtime_cells.csv"):
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(PROJECT_ROOT / path, folder / path)
    (folder / "README.md").write_text(
        "# Course\n\n## The course\n\n| notebook | what |\n|---|---|\n| `00_setup_check` | versions |\n\n"
        "### 中文版课程\n\n[00 · 环境检查](notebooks/zh/00_setup_check.ipynb)\n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_the_build_passes_and_fails_on_a_planted_broken_anchor(tmp_path):
    """The small book builds; the same book with a link to a heading that does not exist (which only Sphinx
    checks) fails the build, naming it."""
    course = small_course(tmp_path / "course")
    command = [str(book_python()), "tools/book.py", "build", "--out", str(tmp_path / "out")]
    built = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert (tmp_path / "out" / "html" / "notebooks" / "zh" / "00_setup_check.html").is_file()
    teaching = course / "TEACHING.md"
    teaching.write_text(teaching.read_text(encoding="utf-8").replace(
        "\n## Before class", "\nSee [nowhere](#no-such-heading-here).\n\n## Before class", 1), encoding="utf-8")
    broken = subprocess.run(command, cwd=course, capture_output=True, text=True, timeout=600)
    assert broken.returncode == 1
    assert "no-such-heading-here" in broken.stdout + broken.stderr
