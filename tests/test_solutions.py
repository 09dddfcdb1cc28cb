"""Every exercise of every lesson has a worked solution, linked from the exercise, executed with its outputs stored.

A lesson ``notebooks/NN_<topic>.ipynb`` ends with a section ``## Exercises`` (or ``练习``) holding a numbered list.
Its solutions live in ``notebooks/solutions/NN_<topic>_solutions.ipynb``, one section per exercise headed
``## Exercise N``. JupyterLab gives that heading the anchor ``#Exercise-N`` (spaces become hyphens, case kept), so
exercise N of the lesson links to ``solutions/NN_<topic>_solutions.ipynb#Exercise-N``.

The solution notebooks follow the lessons' hygiene rules (course kernel, one H1, one clean in-order run, no errors,
stderr or machine paths in outputs, short cells, quiet ``fit``); nbval re-runs them with the lessons (``pytest
notebooks`` collects subfolders).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import environment
from helpers.paths import PROJECT_ROOT

NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
LESSONS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
MACHINE_PATH = re.compile(r"(/(root|tmp|home|work|Users)/|site-packages|\\\\Users\\\\)")
MAX_CELL_LINES = 25
EXERCISES_HEADING = re.compile(r"^#{1,3} .*(exercise|练习)", re.I)
ITEM = re.compile(r"^(\d+)\.\s")
SECTION = re.compile(r"^## Exercise (\d+)\s*$")


def solution_path(lesson: Path) -> Path:
    return lesson.parent / "solutions" / f"{lesson.stem}_solutions.ipynb"


def solution_link(lesson: Path, number: int) -> str:
    """The relative link an exercise item holds: JupyterLab's anchor for ``## Exercise N`` is ``Exercise-N``."""
    return f"solutions/{lesson.stem}_solutions.ipynb#Exercise-{number}"


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def markdown_lines(nb: dict) -> list[str]:
    return [line for c in nb["cells"] if c["cell_type"] == "markdown" for line in "".join(c["source"]).splitlines()]


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def exercises(nb: dict) -> dict[int, str]:
    """The numbered items under the lesson's last Exercises heading (up to the next heading), number -> text."""
    lines = markdown_lines(nb)
    starts = [i for i, line in enumerate(lines) if EXERCISES_HEADING.match(line)]
    if not starts:
        return {}
    items: dict[int, str] = {}
    current = None
    for line in lines[starts[-1] + 1:]:
        if line.startswith("#"):
            break
        match = ITEM.match(line)
        if match:
            current = int(match.group(1))
            items[current] = line
        elif current is not None and line.strip():
            items[current] += "\n" + line
    return items


def exercise_problems(lesson: Path) -> list[str]:
    """What is missing between a lesson's exercises and its solution notebook (an empty list when all is there)."""
    items = exercises(load(lesson))
    if not items:
        return [f"{lesson.name}: no numbered exercises under an Exercises heading"]
    problems = []
    if sorted(items) != list(range(1, len(items) + 1)):
        problems.append(f"{lesson.name}: exercises numbered {sorted(items)}, expected 1..{len(items)}")
    for number, text in items.items():
        if f"]({solution_link(lesson, number)})" not in text:
            problems.append(f"{lesson.name}: exercise {number} does not link to ({solution_link(lesson, number)})")
    solutions = solution_path(lesson)
    if not solutions.is_file():
        return problems + [f"{lesson.name}: no solution notebook notebooks/solutions/{solutions.name}"]
    sections = section_cells(load(solutions))
    for number in items:
        if number not in sections:
            problems.append(f"{solutions.name}: no section '## Exercise {number}'")
        elif not any(c["cell_type"] == "code" and c.get("outputs") for c in sections[number]):
            problems.append(f"{solutions.name}: Exercise {number} has no code cell with a stored output")
        else:
            first_code = next(i for i, c in enumerate(sections[number]) if c["cell_type"] == "code")
            if not any(c["cell_type"] == "markdown" for c in sections[number][first_code:]):
                problems.append(f"{solutions.name}: Exercise {number} has no discussion after its code")
    for number in sorted(set(sections) - set(items)):
        problems.append(f"{solutions.name}: section '## Exercise {number}' has no exercise {number} in the lesson")
    return problems


def section_cells(nb: dict) -> dict[int, list[dict]]:
    """Exercise number -> the cells of its ``## Exercise N`` section (the heading's cell first)."""
    sections: dict[int, list[dict]] = {}
    current = None
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("## ") or line.startswith("# "):
                    match = SECTION.match(line)
                    current = int(match.group(1)) if match else None
                    if current is not None:
                        sections.setdefault(current, [])
        if current is not None:
            sections[current].append(cell)
    return sections


def hygiene_problems(path: Path) -> list[str]:
    """The lessons' rules, applied to a solution notebook."""
    nb, name, problems = load(path), path.name, []
    lesson = path.name.replace("_solutions.ipynb", ".ipynb")
    if nb["metadata"].get("kernelspec", {}).get("name") != environment.KERNEL_NAME:
        problems.append(f"{name}: set the kernel to '{environment.KERNEL_DISPLAY_NAME}'")
    titles = [line for line in markdown_lines(nb) if re.match(r"^# \S", line)]
    if len(titles) != 1 or not "".join(nb["cells"][0]["source"]).lstrip().startswith("# "):
        problems.append(f"{name}: expected one H1 title, in the first cell; found {titles}")
    if f"](../{lesson})" not in "\n".join(markdown_lines(nb)[:12]):
        problems.append(f"{name}: the first lines must link back to the lesson (../{lesson})")
    cells = code_cells(nb)
    counts = [c["execution_count"] for c in cells]
    if not cells or counts != list(range(1, len(counts) + 1)):
        problems.append(f"{name}: execution counts {counts}: execute it top to bottom in the course kernel")
    for i, cell in enumerate(cells, 1):
        source = "".join(cell["source"])
        if len(source.splitlines()) > MAX_CELL_LINES:
            problems.append(f"{name}: cell {i} is over {MAX_CELL_LINES} lines")
        for call in re.finditer(r"\.fit\(", source):
            verbose = re.search(r"verbose=(\d)", source[call.end():])
            if not verbose or verbose.group(1) not in "02":
                problems.append(f"{name}: cell {i} calls fit without verbose=2 or verbose=0")
            elif verbose.group(1) == "2" and "nbval-ignore-output" not in cell.get("metadata", {}).get("tags", []):
                problems.append(f"{name}: cell {i} prints timings: give it the cell tag nbval-ignore-output")
        for output in cell.get("outputs", []):
            if output["output_type"] == "error":
                problems.append(f"{name}: cell {i} stored an error")
            if output["output_type"] == "stream" and output["name"] == "stderr":
                problems.append(f"{name}: cell {i} stored stderr: {''.join(output['text'])[:200]}")
            blob = json.dumps({k: v for k, v in output.get("data", {}).items() if not k.startswith("image/")})
            if MACHINE_PATH.search(blob + "".join(output.get("text", ""))):
                problems.append(f"{name}: cell {i} output shows a machine-specific path")
    return problems


def test_there_are_lessons_with_exercises():
    assert LESSONS and all(exercises(load(p)) for p in LESSONS)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_every_exercise_links_to_a_solution_section(lesson: Path):
    problems = exercise_problems(lesson)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.stem for p in LESSONS])
def test_the_solution_notebook_was_run_cleanly_in_the_course_kernel(lesson: Path):
    path = solution_path(lesson)
    assert path.is_file(), f"no solution notebook notebooks/solutions/{path.name}"
    problems = hygiene_problems(path)
    assert not problems, "\n".join(problems)


def test_no_solution_notebook_without_a_lesson():
    lessons = {solution_path(p) for p in LESSONS}
    strays = [p.name for p in sorted((NOTEBOOK_DIR / "solutions").glob("*.ipynb")) if p not in lessons]
    assert not strays, f"solution notebooks whose lesson is not notebooks/NN_<topic>.ipynb: {strays}"


# --- the checks can fail --------------------------------------------------------------------------------------------

def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "id": "0", "metadata": {}, "source": text.splitlines(keepends=True)}


def _code(source: str, count: int | None, outputs: list[dict]) -> dict:
    return {"cell_type": "code", "id": "1", "metadata": {}, "execution_count": count,
            "source": source.splitlines(keepends=True), "outputs": outputs}


def _notebook(cells: list[dict]) -> dict:
    return {"cells": cells, "metadata": {"kernelspec": {"name": environment.KERNEL_NAME}}, "nbformat": 4,
            "nbformat_minor": 5}


def _printed(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": [text]}


def _write(path: Path, nb: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb))
    return path


def test_the_checks_report_a_missing_link_section_or_run(tmp_path):
    link = "solutions/07_demo_solutions.ipynb#Exercise-"
    lesson = _write(tmp_path / "07_demo.ipynb", _notebook([_markdown(
        "# Demo\n\n## Exercises\n\n"
        f"1. Do this ([solution]({link}1)).\n"
        "2. Do that,\n   over two lines.\n"
        f"3. And a third ([solution]({link}3)).\n\n## Appendix\n\n4. not an exercise\n")]))
    assert sorted(exercises(load(lesson))) == [1, 2, 3]
    assert exercise_problems(lesson)[-1].endswith("no solution notebook notebooks/solutions/07_demo_solutions.ipynb")

    title = _markdown("# Demo: solutions\n\nSolutions to [the lesson](../07_demo.ipynb).\n")
    solutions = _write(tmp_path / "solutions" / "07_demo_solutions.ipynb", _notebook([
        title, _markdown("## Exercise 1\n"), _code("print(0.25)", 1, [_printed("0.25\n")]),
        _markdown("It printed 0.25.\n"), _markdown("## Exercise 3\n"), _markdown("Nothing run.\n")]))
    problems = exercise_problems(lesson)
    assert problems == [
        f"07_demo.ipynb: exercise 2 does not link to ({link}2)",
        "07_demo_solutions.ipynb: no section '## Exercise 2'",
        "07_demo_solutions.ipynb: Exercise 3 has no code cell with a stored output",
    ], problems
    assert hygiene_problems(solutions) == []

    nb = load(solutions)
    nb["cells"][2]["outputs"].append({"output_type": "stream", "name": "stderr", "text": ["W0000 warning\n"]})
    nb["cells"].append(_code("x = 1\n" * 26, None, []))
    nb["cells"].append(_markdown("# A second title\n"))
    problems = hygiene_problems(_write(solutions, nb))
    assert any("stored stderr" in p for p in problems)
    assert any("execution counts [1, None]" in p for p in problems)
    assert any("over 25 lines" in p for p in problems)
    assert any("expected one H1 title" in p for p in problems)
