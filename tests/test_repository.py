"""Repository-level promises: the README's two commands, CI calling the test one, lint, no data in git."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT


def readme() -> str:
    return (PROJECT_ROOT / "README.md").read_text()


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one():
    quick_start = readme().split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick_start.strip().splitlines()]
    assert commands == ["./course.sh start", "./course.sh test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\./course\.sh test\b", ci, re.MULTILINE), ".ci/run must call the README's test command"


def test_readme_has_chinese_quick_start_and_troubleshooting():
    assert "## 快速开始（中文）" in readme() and "## 常见问题（中文）" in readme()


def test_every_notebook_is_in_the_course_map():
    for notebook in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"`{notebook.stem}`" in readme(), f"README's course map lacks {notebook.stem}"


def test_no_data_or_weights_are_tracked_by_git():
    if not (PROJECT_ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True).stdout.split()
    heavy = [f for f in tracked if f.startswith("data/") or f.endswith((".h5", ".keras", ".npz", ".gz", ".zip"))]
    assert not heavy, f"data or weights tracked by git: {heavy}"


def test_lint_passes():
    ruff = shutil.which("ruff", path=str(PROJECT_ROOT / ".venv" / "bin")) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (pip install -r requirements.txt)")
    result = subprocess.run([ruff, "check", "helpers", "tests", "data_download.py"], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_helpers_run_from_any_folder(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import helpers.data, helpers.fetch"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_course_start_passes_allow_root_exactly_when_run_as_root(tmp_path):
    """JupyterLab refuses to start as root without --allow-root; classroom containers run as root."""
    result = _start_with_stub_venv(tmp_path)
    assert result.returncode == 0, result.stderr
    launched = [line for line in result.stdout.splitlines() if line.startswith("jupyter lab")]
    assert launched and "notebooks/00_setup_check.ipynb" in launched[0]
    assert ("--allow-root" in launched[0]) == (os.geteuid() == 0), launched[0]


def _start_with_stub_venv(tmp_path: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess:
    """Run ``./course.sh start ARGS`` with a venv whose python is a no-op and whose jupyter echoes its arguments."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    venv_bin = tmp_path / "venv" / "bin"
    venv_bin.mkdir(parents=True, exist_ok=True)
    (venv_bin / "python").write_text("#!/bin/sh\nexit 0\n")
    (venv_bin / "jupyter").write_text('#!/bin/sh\necho "jupyter $*"\n')
    for stub in venv_bin.iterdir():
        stub.chmod(0o755)
    env = {**os.environ, "COURSE_VENV": str(tmp_path / "venv"), **env_extra}
    env.pop("COURSE_MIRROR", None)
    if "COURSE_LANG" not in env_extra:
        env.pop("COURSE_LANG", None)
    return subprocess.run([bash, str(PROJECT_ROOT / "course.sh"), "start", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("how", ["--lang zh", "--lang=zh", "COURSE_LANG=zh"])
def test_course_start_in_chinese_opens_the_chinese_edition_with_a_chinese_interface(tmp_path, how):
    args, env = ((), {"COURSE_LANG": "zh"}) if how.startswith("COURSE_LANG") else (tuple(how.split()), {})
    result = _start_with_stub_venv(tmp_path, *args, **env)
    assert result.returncode == 0, result.stderr
    launched = [line for line in result.stdout.splitlines() if line.startswith("jupyter lab")]
    assert launched and launched[0].split()[2] == "notebooks/zh/00_setup_check.ipynb", launched
    settings_dir = PROJECT_ROOT / "tools" / "jupyterlab-zh"
    assert f"--LabApp.app_settings_dir={settings_dir}" in launched[0].split()
    overrides = json.loads((settings_dir / "overrides.json").read_text())
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    assert (PROJECT_ROOT / "notebooks" / "zh" / "00_setup_check.ipynb").exists()


def test_course_start_in_english_keeps_jupyterlabs_own_settings(tmp_path):
    result = _start_with_stub_venv(tmp_path, "--lang", "en")
    launched = [line for line in result.stdout.splitlines() if line.startswith("jupyter lab")]
    assert result.returncode == 0 and launched[0].split()[2] == "notebooks/00_setup_check.ipynb"
    assert "app_settings_dir" not in launched[0]


def test_course_start_refuses_an_unknown_language_in_one_line(tmp_path):
    result = _start_with_stub_venv(tmp_path, "--lang", "fr")
    assert result.returncode == 2 and "jupyter lab" not in result.stdout
    assert result.stderr.strip().splitlines() == [
        "error: --lang (or COURSE_LANG) is 'fr'; give en (English) or zh (中文)"]


def test_the_chinese_language_pack_is_pinned_and_installed():
    pins = {line.split("==")[0]: line.split("==")[1].split()[0]
            for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    assert pins.get("jupyterlab-language-pack-zh-cn", "").startswith("4.5"), "pin the 4.5.x language pack"
    from importlib.metadata import version
    assert version("jupyterlab-language-pack-zh-cn") == pins["jupyterlab-language-pack-zh-cn"]
