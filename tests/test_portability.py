"""Nothing on the learner's path needs bash or a Unix-only module, so the course runs on Windows too.

The learner's path: ``course.py`` (setup, start, test), ``data_download.py``, every module of ``helpers/``, the
benchmark scripts (the lessons' exercises ask learners to run them), and the code cells of every notebook. Read
from the source (``ast``), so nothing is imported. ``course.py browser-test`` is a developer's tool and may call
bash (its function is left out by name). An import inside ``try: ... except ImportError`` is a platform branch.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIX_ONLY = {"fcntl", "pwd", "grp", "resource", "termios", "tty", "pty", "posix"}
SHELLS = {"bash", "sh", "zsh", "/bin/bash", "/bin/sh", "/usr/bin/bash", "/usr/bin/env"}
SHELL_CALLS = {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"}
DEVELOPER_ONLY = {"course.py": {"browser_test"}}  # functions that are not on the learner's path


def learner_files() -> list[Path]:
    folders = [ROOT / "notebooks", ROOT / "notebooks" / "solutions"]
    notebooks = [path for folder in folders for path in sorted(folder.glob("*.ipynb"))]
    return [ROOT / "course.py", ROOT / "data_download.py", *sorted((ROOT / "helpers").glob("*.py")),
            *sorted((ROOT / "benchmarks").glob("*.py")), *notebooks]


def python_problems(source: str, skip_functions: set[str] = frozenset()) -> list[str]:
    """Imports of Unix-only modules and shell invocations in ``source``, one line each."""
    tree = ast.parse(source)
    skipped = {id(n) for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name in skip_functions
               for n in ast.walk(f)}
    skipped |= {id(n) for t in ast.walk(tree) if isinstance(t, ast.Try) and any(  # a platform branch: try: import
                    ast.unparse(h.type or ast.Name("BaseException")) in ("ImportError", "ModuleNotFoundError")
                    for h in t.handlers)
                for statement in t.body for n in ast.walk(statement) if isinstance(n, (ast.Import, ast.ImportFrom))}
    problems = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            names = []
        for name in names:
            if name.split(".")[0] in UNIX_ONLY:
                problems.append(f"line {node.lineno}: imports {name} (Unix only)")
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value.strip()
            if text in SHELLS or re.fullmatch(r"\S+\.sh", text):
                problems.append(f"line {node.lineno}: runs a shell or a shell script ({text!r})")
        if isinstance(node, ast.keyword) and node.arg == "shell" and not (
                isinstance(node.value, ast.Constant) and node.value.value is False):
            problems.append(f"line {node.value.lineno}: shell=True (a POSIX shell, or cmd.exe)")
        if isinstance(node, ast.Call) and ast.unparse(node.func) in SHELL_CALLS:
            problems.append(f"line {node.lineno}: {ast.unparse(node.func)} runs a shell")
    return sorted(problems, key=lambda problem: int(problem.split()[1].rstrip(":")))  # in line order


def notebook_problems(text: str) -> list[str]:
    """Shell escapes (``!cmd``, ``x = !cmd``, ``%%bash``, ``%sx``) and the problems of each code cell's Python."""
    problems = []
    for index, cell in enumerate(json.loads(text)["cells"]):
        if cell["cell_type"] != "code":
            continue
        lines = "".join(cell["source"]).splitlines()
        for i, line in enumerate(lines):
            stripped = line.strip()
            if (stripped.startswith("!") or re.match(r"[\w, ]+=\s*!(?!=)", stripped)
                    or re.match(r"%%?(bash|sh|script|sx|system)\b", stripped)):
                problems.append(f"cell {index}: shell command {stripped!r}")
            if stripped.startswith(("%", "!")) or re.match(r"[\w, ]+=\s*!(?!=)", stripped):
                lines[i] = ""  # IPython syntax, not Python
        if not "".join(cell["source"]).lstrip().startswith("%%"):  # a cell magic's body is not Python
            problems += [f"cell {index}, {p}" for p in python_problems("\n".join(lines))]
    return problems


def problems_in(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return notebook_problems(text)
    return python_problems(text, DEVELOPER_ONLY.get(path.name, set()))


def test_the_learners_path_is_all_there():
    names = {p.relative_to(ROOT).as_posix() for p in learner_files()}
    assert {"course.py", "data_download.py", "helpers/data.py", "notebooks/00_setup_check.ipynb",
            "notebooks/solutions/03_fine_tuning_hotdog_solutions.ipynb"} <= names, names


@pytest.mark.parametrize("path", learner_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nothing_on_the_learners_path_needs_bash_or_a_unix_only_module(path):
    found = problems_in(path)
    assert not found, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(found)


# ---------------------------------------------------------------- the test of the test
def test_the_scanner_finds_unix_only_imports_and_shells():
    source = '''import os, fcntl
from pwd import getpwnam
import resource as r
import subprocess
subprocess.run(["bash", "tests/browser/install.sh"])
subprocess.run("ls", shell=True)
os.system("dir")
'''
    assert python_problems(source) == [
        "line 1: imports fcntl (Unix only)", "line 2: imports pwd (Unix only)", "line 3: imports resource (Unix only)",
        "line 5: runs a shell or a shell script ('bash')",
        "line 5: runs a shell or a shell script ('tests/browser/install.sh')",
        "line 6: shell=True (a POSIX shell, or cmd.exe)", "line 7: os.system runs a shell"]


def test_the_scanner_leaves_portable_code_and_named_developer_functions_alone():
    source = '''"""Run ./course.sh setup first (a docstring may name a script)."""
import os, shutil, subprocess
from pathlib import Path

try:  # a platform branch: the module is optional
    import resource
except ImportError:
    resource = None
try:
    import fcntl  # not a platform branch: the handler does not catch a missing module
except OSError:
    pass

def browser_test():
    subprocess.run([shutil.which("bash"), "install.sh"])

subprocess.run(["python", "-m", "pip"], shell=False)
'''
    assert python_problems(source, {"browser_test"}) == ["line 10: imports fcntl (Unix only)"]
    assert len(python_problems(source)) == 3


def test_the_scanner_reads_notebook_cells(tmp_path):
    cells = [{"cell_type": "markdown", "source": ["!not code, import fcntl"]},
             {"cell_type": "code", "source": ["%matplotlib inline\n", "import numpy as np\n", "files = !ls\n"]},
             {"cell_type": "code", "source": ["%%bash\n", "echo hi\n"]},
             {"cell_type": "code", "source": ["if 1 != 2:\n", "    import termios\n"]}]
    assert notebook_problems(json.dumps({"cells": cells})) == [
        "cell 1: shell command 'files = !ls'", "cell 2: shell command '%%bash'",
        "cell 3, line 2: imports termios (Unix only)"]


def test_the_scanner_catches_a_planted_import_in_a_copy_of_a_helper(tmp_path):
    planted = tmp_path / "widgets.py"
    planted.write_text((ROOT / "helpers" / "widgets.py").read_text(encoding="utf-8") + "\nimport termios\n",
                       encoding="utf-8")
    assert problems_in(ROOT / "helpers" / "widgets.py") == []
    assert problems_in(planted)[-1].endswith("imports termios (Unix only)")


def test_the_scanner_catches_a_shell_cell_planted_in_a_copy_of_a_notebook(tmp_path):
    original = ROOT / "notebooks" / "00_setup_check.ipynb"
    notebook = json.loads(original.read_text(encoding="utf-8"))
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                              "source": ["!bash course.sh setup\n"]})
    planted = tmp_path / original.name
    planted.write_text(json.dumps(notebook), encoding="utf-8")
    assert problems_in(original) == []
    assert problems_in(planted) == [f"cell {len(notebook['cells']) - 1}: shell command '!bash course.sh setup'"]
