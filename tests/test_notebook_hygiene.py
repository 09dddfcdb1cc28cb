"""The course's rules for committed notebooks, checked on every notebook.

nbval re-runs each notebook and compares outputs; these tests check what nbval
does not: structure, a clean in-order run, the course kernel, no log noise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from helpers import environment
from helpers.paths import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/(root|tmp|home|work|Users)/|site-packages|\\\\Users\\\\)")
MAX_CELL_LINES = 25


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def markdown(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request) -> tuple[str, dict]:
    return request.param.name, load(request.param)


def test_uses_the_course_kernel(notebook):
    name, nb = notebook
    assert nb["metadata"]["kernelspec"]["name"] == environment.KERNEL_NAME, (
        f"{name}: set the kernel to '{environment.KERNEL_DISPLAY_NAME}' (it keeps TensorFlow's C++ logs out)")


def test_one_title_then_objectives_and_a_summary_with_exercises(notebook):
    name, nb = notebook
    text = markdown(nb)
    titles = [line for cell in text for line in cell.splitlines() if re.match(r"^# \S", line)]
    assert len(titles) == 1, f"{name}: expected one H1 title, found {titles}"
    assert text and text[0].lstrip().startswith("# "), f"{name}: the first cell must be the title"
    headings = [line.lower() for cell in text for line in cell.splitlines() if line.startswith("#")]
    assert any("objective" in h or "学习目标" in h for h in headings[:4]), f"{name}: learning objectives first"
    assert any("summary" in h or "总结" in h for h in headings), f"{name}: needs a summary"
    assert any("exercise" in h or "练习" in h for h in headings[-3:]), f"{name}: must end with exercises"


def test_outputs_come_from_one_clean_run_in_order(notebook):
    name, nb = notebook
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{name}: execution counts {counts} — regenerate with python course.py regenerate {name}")


def test_no_errors_stderr_or_machine_paths_in_outputs(notebook):
    name, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{name}: cell {i} stored an error"
            if output["output_type"] == "stream":
                assert output["name"] != "stderr", f"{name}: cell {i} stored stderr: {''.join(output['text'])[:200]}"
            blob = json.dumps({k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")})
            blob += "".join(output.get("text", ""))
            assert not MACHINE_PATH.search(blob), f"{name}: cell {i} output shows a machine-specific path"


def test_cells_are_short(notebook):
    """Cells stay short by splitting ideas; a function a lesson teaches is written out in its cell."""
    name, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        source = "".join(cell["source"])
        assert len(source.splitlines()) <= MAX_CELL_LINES, f"{name}: cell {i} is over {MAX_CELL_LINES} lines"


def test_training_cells_print_one_line_per_epoch_or_none(notebook):
    """``fit`` never draws progress bars: ``verbose=2`` (one line per epoch, where the epochs are worth reading,
    in a cell nbval does not compare: the lines hold timings) or ``verbose=0`` with the numbers printed after."""
    name, nb = notebook
    for i, cell in enumerate(code_cells(nb), 1):
        source = "".join(cell["source"])
        for call in re.finditer(r"\.fit\(", source):
            depth, end = 1, call.end()
            while depth and end < len(source):  # the call's own arguments, up to its closing parenthesis
                depth += {"(": 1, ")": -1}.get(source[end], 0)
                end += 1
            arguments = source[call.end():end]
            verbose = re.search(r"verbose=(\d)", arguments)
            assert verbose and verbose.group(1) in "02", f"{name}: cell {i} calls fit without verbose=2 or verbose=0"
            if verbose.group(1) == "2":
                assert "nbval-ignore-output" in cell["metadata"].get("tags", []), (
                    f"{name}: cell {i} prints timings: give it the cell tag nbval-ignore-output")


def test_the_course_kernel_keeps_fd_output_out_of_notebooks():
    spec = environment.kernel_spec()
    assert "--IPKernelApp.capture_fd_output=False" in spec["argv"]
    assert spec["argv"][0] == sys.executable
    installed = Path(sys.prefix, "share", "jupyter", "kernels", environment.KERNEL_NAME, "kernel.json")
    if installed.is_file():  # python course.py setup installs it; it must be the current definition
        assert json.loads(installed.read_text())["argv"][1:] == spec["argv"][1:]


# ---------------------------------------------------------------- test plumbing stays out of sight
EVERY_NOTEBOOK = sorted(PROJECT_ROOT.glob("notebooks/**/[0-9][0-9]_*.ipynb"))


def nbval_comments(nb: dict) -> list[str]:
    """Code cells whose source holds an nbval comment marker (``# NBVAL_...``), which students and slides would
    see; nbval reads the same instruction from the cell tag (``nbval-ignore-output`` and so on)."""
    return [f"cell {i}: {line.strip()}" for i, cell in enumerate(nb["cells"], 1) if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).splitlines() if re.match(r"\s*#\s*(NBVAL|PYTEST_VALIDATE)_", line)]


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=lambda p: p.relative_to(PROJECT_ROOT / "notebooks").as_posix())
def test_nbval_instructions_are_cell_tags_not_comments(path):
    found = nbval_comments(load(path))
    assert not found, f"{path.name}: move these to the cell's tags (e.g. nbval-ignore-output): {found}"


def test_the_comment_check_finds_a_marker_anywhere_in_a_cell():
    cells = [{"cell_type": "code", "source": ["x = 1\n", "  # NBVAL_IGNORE_OUTPUT\n"]},
             {"cell_type": "code", "source": ["# NBVAL_SKIP"]},
             {"cell_type": "markdown", "source": ["# NBVAL_IGNORE_OUTPUT explained in prose"]},
             {"cell_type": "code", "source": ["print('NBVAL_IGNORE_OUTPUT')  # a string, not a marker\n"]}]
    assert nbval_comments({"cells": cells}) == ["cell 1: # NBVAL_IGNORE_OUTPUT", "cell 2: # NBVAL_SKIP"]
