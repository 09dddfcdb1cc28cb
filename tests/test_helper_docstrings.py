"""Issue 10: each helper's docstring names who uses it, so a reader can find the notebook section that shows it.

Every public top-level function and class in ``helpers/`` has a docstring, and either that docstring or its
module's names a user: a notebook (``notebook 03``), ``data_download.py``, ``course.py``, another helper module
(``helpers.classify``) or ``benchmarks/``. Read from the source, so nothing is imported.
"""

from __future__ import annotations

import ast
import re

import pytest

from helpers.paths import PROJECT_ROOT

HELPERS = PROJECT_ROOT / "helpers"
MODULES = sorted(p.stem for p in HELPERS.glob("*.py") if p.stem != "__init__")
USER = re.compile(r"[Nn]otebooks? \d\d|data_download\.py|course\.py|benchmarks/"
                  r"|helpers\.(" + "|".join(MODULES) + r")\b")


def unnamed_users(source: str) -> list[str]:
    """Public top-level functions and classes of ``source`` lacking a docstring, or naming no user, one line each."""
    tree = ast.parse(source)
    module_names_user = bool(USER.search(ast.get_docstring(tree) or ""))
    problems = []
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        doc = ast.get_docstring(node)
        if not doc:
            problems.append(f"{node.name}: no docstring")
        elif not (module_names_user or USER.search(doc)):
            problems.append(f"{node.name}: its docstring (and its module's) names no user")
    return problems


def test_every_helper_module_is_checked():
    assert {"assets", "fetch", "data", "plotting", "hotdog", "pipelines"} <= set(MODULES)


@pytest.mark.parametrize("module", MODULES)
def test_each_public_helper_names_its_user(module):
    problems = unnamed_users((HELPERS / f"{module}.py").read_text())
    assert not problems, f"helpers/{module}.py:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------- the test of the test
def test_the_checker_reports_a_function_whose_docstring_names_no_user():
    source = '''"""Some helpers."""

def used():
    """Crop a photo. Used in notebook 01, section 4."""

def orphan():
    """Crop a photo."""

def bare():
    pass

def _private():
    pass
'''
    assert unnamed_users(source) == ["orphan: its docstring (and its module's) names no user", "bare: no docstring"]


def test_the_checker_accepts_a_user_named_once_in_the_module_docstring():
    source = '''"""Plumbing for ``data_download.py``."""

def step():
    """One step of the install."""

class Outcome:
    """What happened."""
'''
    assert unnamed_users(source) == []
    no_user = "its docstring (and its module's) names no user"
    assert unnamed_users(source.replace("data_download.py", "the installer")) == [f"step: {no_user}",
                                                                                   f"Outcome: {no_user}"]


@pytest.mark.parametrize("user", ["notebook 03", "Notebooks 00", "data_download.py", "python course.py",
                                  "helpers.classify", "benchmarks/input_pipelines.py"])
def test_each_kind_of_user_counts(user):
    assert unnamed_users(f'def f():\n    """Used by {user}."""\n') == []


@pytest.mark.parametrize("not_a_user", ["notebook 3", "helpers.nonexistent", "the benchmarks"])
def test_near_misses_do_not_count(not_a_user):
    assert unnamed_users(f'def f():\n    """Used by {not_a_user}."""\n') != []
