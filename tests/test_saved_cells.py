"""d2l's ``#@save``, the other way round: a lesson cell that starts with ``# Saved in helpers/<module>.py``
holds functions (and classes) that later lessons import from that module, and each must be textually
identical to its copy there. A student reads every line once, in the lesson; the module cannot drift."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

MARK = re.compile(r"^# Saved in (helpers/\w+\.py)\s*$")
# The English notebooks only: a Chinese cell may have Chinese comments and docstrings, and tests/test_zh_edition.py
# holds it to its English cell (tools/zh_code.py), so the Chinese copy cannot drift either.
NOTEBOOKS = sorted(path for path in (PROJECT_ROOT / "notebooks").rglob("[0-9][0-9]_*.ipynb")
                   if "zh" not in path.relative_to(PROJECT_ROOT / "notebooks").parts)


def definitions(source: str) -> dict[str, str]:
    """Top-level ``def``/``class`` name -> its exact source text (decorators included)."""
    tree = ast.parse(source)
    found = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            lines = source.splitlines()[start - 1:node.end_lineno]
            found[node.name] = "\n".join(lines)
    return found


def mismatches(cell_source: str, module_source: str, module: str) -> list[str]:
    """What differs between a saved cell and its module: one line per problem, empty when in sync."""
    problems = []
    cell_defs = definitions(cell_source)
    if not cell_defs:
        problems.append(f"the cell is marked '# Saved in {module}' but defines no function or class")
    module_defs = definitions(module_source)
    for name, text in cell_defs.items():
        if name not in module_defs:
            problems.append(f"{name} is not defined in {module}")
        elif module_defs[name] != text:
            problems.append(f"{name} differs from its copy in {module}: copy the cell's version into the module")
    return problems


def saved_cells(path: Path) -> list[tuple[int, str, str]]:
    """(code cell number, module path, cell source) for each cell marked ``# Saved in ...``."""
    cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
    found = []
    for number, cell in enumerate(cells, 1):
        source = "".join(cell["source"])
        match = MARK.match(source.splitlines()[0]) if source.strip() else None
        if match:
            found.append((number, match.group(1), source))
    return found


ALL_SAVED = [(nb, *cell) for nb in NOTEBOOKS for cell in saved_cells(nb)]


def test_the_course_saves_lesson_code_into_helpers():
    assert ALL_SAVED, "no notebook cell is marked '# Saved in helpers/<module>.py'"


@pytest.mark.parametrize("notebook, number, module, source", ALL_SAVED,
                         ids=[f"{nb.stem}-cell{n}" for nb, n, _, _ in ALL_SAVED])
def test_saved_cell_is_identical_to_its_helper(notebook, number, module, source):
    target = PROJECT_ROOT / module
    assert target.is_file(), f"{notebook.name} cell {number} is saved in {module}, which does not exist"
    problems = mismatches(source, target.read_text(), module)
    assert not problems, f"{notebook.name} cell {number}: " + "; ".join(problems)


def test_the_check_fails_on_a_one_character_edit():
    """The test of the test: every saved cell, with one character changed, must be reported."""
    assert ALL_SAVED
    for notebook, number, module, source in ALL_SAVED:
        module_source = (PROJECT_ROOT / module).read_text()
        for name, text in definitions(source).items():
            body_line = next(i for i, line in enumerate(text.splitlines()) if line.startswith(" "))
            lines = text.splitlines()
            lines[body_line] = lines[body_line] + " "  # one trailing space, still valid Python
            edited = source.replace(text, "\n".join(lines), 1)
            assert any(name in p for p in mismatches(edited, module_source, module)), (
                f"{notebook.name} cell {number}: a one-character edit of {name} went unnoticed")
            renamed = source.replace(text, text.replace(f"{name}(", f"{name}_(", 1), 1)
            assert mismatches(renamed, module_source, module), "a renamed function went unnoticed"


def test_definitions_and_mismatches_on_a_small_example():
    module = "import math\n\n\ndef area(r):\n    return math.pi * r * r\n\n\ndef other():\n    pass\n"
    cell = "# Saved in helpers/geometry.py\ndef area(r):\n    return math.pi * r * r\n"
    assert mismatches(cell, module, "helpers/geometry.py") == []
    assert mismatches(cell.replace("r * r", "r ** 2"), module, "helpers/geometry.py")
    assert mismatches("# Saved in helpers/geometry.py\nx = 1\n", module, "helpers/geometry.py")
