"""Smoke tests: every benchmark script runs end to end on a tiny input (the real runs are not part of CI)."""

from __future__ import annotations

import csv
import importlib
import re
import subprocess
import sys

import nbformat
import pytest

from helpers import data
from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def run(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def benchmarks(monkeypatch, tmp_path):
    """The benchmarks' ``common`` and ``course_runtime`` modules, writing their results into ``tmp_path``."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
    common = importlib.import_module("common")
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(common, "RESULTS_PAGE", tmp_path / "RESULTS.md")
    return common, importlib.import_module("course_runtime")


def tiny_notebook(folder, sleeps: list[float]):
    """A notebook with one code cell per entry of ``sleeps`` (each sleeps that long) and a markdown cell."""
    cells = [nbformat.v4.new_markdown_cell("# tiny")]
    cells += [nbformat.v4.new_code_cell(f"import time\ntime.sleep({s})", metadata={"tags": ["nbval-ignore-output"]})
              for s in sleeps]
    path = folder / "99_tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.mark.skipif(not data.is_installed("hotdog-mini"), reason="needs the hot-dog photos")
def test_input_pipelines_smoke():
    out = run("input_pipelines.py", "--smoke").stdout
    for kind in ("decode_only", "idg", "keras_layers", "tf_data"):
        line = next(line for line in out.splitlines() if line.startswith(kind + " "))
        speed, cpu = re.search(r"(\d+) img/s +([\d.]+) CPU ms/img", line).groups()
        assert float(speed) > 0 and float(cpu) > 0, line


def test_model_steps_smoke():
    out = run("model_steps.py", "--smoke").stdout
    lines = [line for line in out.splitlines() if "img/s" in line]
    assert [line.split()[0] for line in lines] == ["mobilenet_v2", "mobilenet", "resnet50"]
    assert all(len(re.findall(r"[\d.]+ img/s", line)) == 3 for line in lines), out


def test_course_runtime_smoke():
    out = run("course_runtime.py", "--smoke").stdout
    assert "00_setup_check.ipynb" in out and "slowest cells" in out


def test_course_runtime_times_each_cell_and_names_the_slowest(benchmarks, tmp_path, capsys):
    common, course_runtime = benchmarks
    notebook = tiny_notebook(tmp_path, [0.0, 1.0, 0.2])
    assert course_runtime.main([str(notebook), "--top", "2", "--save"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s+1\.\d s  99_tiny cell 2: import time$", out, re.MULTILINE), out
    assert "Slowest cell: 99_tiny cell 2" in out and ": met." in out
    with open(common.RESULTS_DIR / course_runtime.CELLS_FILE) as f:
        rows = list(csv.DictReader(f))
    assert [row["code cell"] for row in rows] == ["1", "2", "3"]
    seconds = [float(row["seconds"]) for row in rows]
    assert 1.0 <= seconds[1] < 5 and seconds[0] < 1.0 and 0.2 <= seconds[2] < 1.0
    page = common.RESULTS_PAGE.read_text()
    assert "| `99_tiny` |" in page and "cell 2: 1." in page and "Slowest cell: 99_tiny cell 2" in page


def test_course_runtime_fails_when_a_cell_breaks_the_classroom_limit(benchmarks, tmp_path, monkeypatch, capsys):
    _, course_runtime = benchmarks
    monkeypatch.setattr(course_runtime, "MAX_CELL_SECONDS", 0.5)
    assert course_runtime.main([str(tiny_notebook(tmp_path, [0.0, 1.0])), "--smoke"]) == 1
    assert "NOT met" in capsys.readouterr().out
    assert not (tmp_path / "results").exists()  # --smoke saves nothing
    assert course_runtime.main([str(tiny_notebook(tmp_path, [0.0]))]) == 0
    assert not (tmp_path / "results").exists()  # nor does a run of some notebooks without --save


def test_course_runtime_names_a_missing_notebook(tmp_path):
    result = run("course_runtime.py", str(tmp_path / "nope.ipynb"), check=False)
    assert result.returncode == 2 and result.stderr.strip() == f"no such notebook: {tmp_path / 'nope.ipynb'}"
