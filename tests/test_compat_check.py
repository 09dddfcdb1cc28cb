"""tools/compat_check.py: standard library only, and its notebook runner reports what failed, in one line.

The whole check (a venv with TensorFlow 2.20, every lesson notebook) takes minutes; ``python course.py
compat-test`` runs it. These tests run its runner with this Python's Jupyter on two tiny notebooks.
"""

from __future__ import annotations

import ast
import json
import os
import runpy
import sys

import pytest

from helpers.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "tools" / "compat_check.py"


def notebook(tmp_path, name: str, *sources: str):
    cells = [{"cell_type": "code", "id": f"c{i}", "metadata": {}, "source": source, "outputs": [],
              "execution_count": None} for i, source in enumerate(sources)]
    path = tmp_path / name
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_it_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.level == 0}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)


@pytest.mark.slow
def test_the_runner_says_ok_or_names_the_first_error(tmp_path):
    pytest.importorskip("nbclient")
    run_notebook = runpy.run_path(str(SCRIPT), run_name="compat_check")["run_notebook"]
    env = dict(os.environ)
    good = notebook(tmp_path, "good.ipynb", "x = 6 * 7", "assert x == 42")
    bad = notebook(tmp_path, "bad.ipynb", "x = 6 * 7", "assert x == 41, f'expected 41, got {x}'", "print('never')")
    assert run_notebook(sys.executable, env, good, timeout=120) is None
    assert run_notebook(sys.executable, env, bad, timeout=120) == "AssertionError: expected 41, got 42"


def test_the_venv_caches_bytecode_and_imports_nothing_from_outside(tmp_path):
    notebook_env = runpy.run_path(str(SCRIPT), run_name="compat_check")["notebook_env"]
    outside = {"PYTHONPATH": "/elsewhere", "PYTHONHOME": "/elsewhere", "PYTHONDONTWRITEBYTECODE": "1",
               "PATH": "/usr/bin", "COURSE_DATA_DIR": "/learner/data"}
    env = notebook_env(tmp_path, outside)
    assert not {"PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE"} & set(env), env
    assert env["PATH"] == "/usr/bin" and env["PYTHONNOUSERSITE"] == "1"
    assert env["COURSE_DATA_DIR"] == str(tmp_path / "data") and env["KERAS_HOME"] == str(tmp_path / "keras")
