"""Smoke tests: every benchmark script runs end to end on a tiny input (the real runs are not part of CI)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from helpers import data
from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


def run(script: str) -> str:
    result = subprocess.run([sys.executable, f"benchmarks/{script}", "--smoke"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.skipif(not data.is_installed("hotdog-mini"), reason="needs the hot-dog photos")
def test_input_pipelines_smoke():
    out = run("input_pipelines.py")
    for variant in ("(a)", "(b)", "(c)", "(d)"):
        line = next(line for line in out.splitlines() if line.startswith(variant))
        speed, cpu = re.search(r"(\d+) img/s +([\d.]+) CPU ms/img", line).groups()
        assert float(speed) > 0 and float(cpu) > 0, line


def test_model_steps_smoke():
    out = run("model_steps.py")
    assert {line.split()[0] for line in out.splitlines()} >= {"mobilenet_v2", "mobilenet", "resnet50"}


def test_course_runtime_smoke():
    assert "00_setup_check.ipynb" in run("course_runtime.py")
