"""Repository-level promises: the README's two commands (any OS), CI calling the test one, lint, no data in git."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from helpers.paths import PROJECT_ROOT


def readme() -> str:
    return (PROJECT_ROOT / "README.md").read_text()


def code_block(text: str, language: str) -> list[str]:
    """The commands of the first ```LANGUAGE block in ``text``, without comments."""
    block = text.split(f"```{language}\n", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_quick_start_is_two_commands_on_any_os_and_ci_runs_the_test_one():
    quick_start = readme().split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert code_block(quick_start, "bash") == ["python course.py start", "python course.py test"]
    assert code_block(quick_start, "powershell") == ["py course.py start", "py course.py test"]
    assert "Linux, macOS or Windows" in quick_start
    chinese = readme().split("## 快速开始（中文）", 1)[1].split("\n## ", 1)[0]
    assert code_block(chinese, "bash") == ["python course.py start", "python course.py test"]
    assert code_block(chinese, "powershell") == ["py course.py start", "py course.py test"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text()
    calls = re.findall(r"^python course\.py ([\w-]+)", ci, re.MULTILINE)
    assert calls == ["test", "book", "browser-test", "compat-test"], ".ci/run: the README's test command, then the rest"


@pytest.mark.skipif(shutil.which("bash") is None, reason="CI's script is bash")
@pytest.mark.parametrize("failing", [None, "compat-test", "browser-test", "test"])
def test_ci_runs_every_step_and_fails_when_one_fails(tmp_path, failing):
    """.ci/run with a stand-in ``python`` that logs each ``course.py`` command (and fails the one named): the two
    tests after the book both run, and both count."""
    (tmp_path / "bin").mkdir()
    (tmp_path / "mirror").mkdir()
    (tmp_path / "mirror" / "SHA256SUMS").write_text("")
    fake = tmp_path / "bin" / "python"
    fake.write_text(f'#!/bin/sh\necho "$2" >> "{tmp_path}/log"\n[ "$2" = "{failing}" ] && exit 4\nexit 0\n')
    fake.chmod(0o755)
    env = {"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "COURSE_MIRROR": str(tmp_path / "mirror")}
    result = subprocess.run(["bash", str(PROJECT_ROOT / ".ci" / "run")], env=env, capture_output=True, text=True,
                            timeout=60)
    ran = (tmp_path / "log").read_text().split()
    if failing is None:
        assert result.returncode == 0 and ran == ["test", "book", "browser-test", "compat-test"], ran
    elif failing == "test":
        assert result.returncode != 0 and ran == ["test"], "nothing runs after the README's test command fails"
    else:
        assert result.returncode == 1 and ran == ["test", "book", "browser-test", "compat-test"], ran
        assert f"CI: the {'compatibility' if failing == 'compat-test' else 'browser'} test failed" in result.stderr


def test_no_document_tells_anyone_to_run_course_sh():
    for name in ("README.md", "TEACHING.md", "benchmarks/RESULTS.md", "benchmarks/course_runtime.py"):
        assert "./course.sh" not in (PROJECT_ROOT / name).read_text(encoding="utf-8"), name


def test_course_sh_is_at_most_a_wrapper_around_course_py():
    script = PROJECT_ROOT / "course.sh"
    if script.exists():
        commands = [line for line in script.read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert commands == ['exec python3 "$(dirname "$0")/course.py" "$@"'], commands


def test_readme_tells_how_to_install_into_an_existing_jupyter():
    section = readme().split("## Installing into an existing Jupyter", 1)[1].split("\n## ", 1)[0]
    for step in ("pip install .", 'pip install ".[tensorflow]"', "python -m data_download", "--mirror"):
        assert step in section, step


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
    # --no-cache: a cached verdict can hide what a fresh checkout (CI) finds
    result = subprocess.run([ruff, "check", "--no-cache", "helpers", "tests", "tools", "benchmarks", "conftest.py",
                             "data_download.py", "course.py"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_setup_helpers_run_from_any_folder(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import helpers.data, helpers.fetch"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_chinese_interface_settings_and_edition_exist():
    """What ``python course.py start --lang zh`` opens (tests/test_course_entry.py checks the arguments)."""
    overrides = json.loads((PROJECT_ROOT / "tools" / "jupyterlab-zh" / "overrides.json").read_text())
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "zh_CN"
    assert (PROJECT_ROOT / "notebooks" / "zh" / "00_setup_check.ipynb").exists()


def test_the_chinese_language_pack_is_pinned_and_installed():
    pins = {line.split("==")[0]: line.split("==")[1].split()[0]
            for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines() if "==" in line}
    assert pins.get("jupyterlab-language-pack-zh-cn", "").startswith("4.5"), "pin the 4.5.x language pack"
    from importlib.metadata import version
    assert version("jupyterlab-language-pack-zh-cn") == pins["jupyterlab-language-pack-zh-cn"]


def course_runtime(results: str) -> tuple[dict[str, int], set[str]]:
    """benchmarks/RESULTS.md's course run time: each notebook's wall time in the native run (seconds), and the
    numbers a summary of it may quote: the whole course in minutes, native and with the AVX2 cap, and the slowest
    cell of either run in seconds."""
    section = results.split("## Course run time", 1)[1].split("\n## ", 1)[0]
    notebooks = {m[1]: int(m[2]) for m in re.finditer(r"^\| `(\d\d)_\w+` \| (\d+) s \|", section, re.M)}
    totals = re.search(r"^\| \*\*all notebooks\*\* \| \*\*([\d.]+) min\*\* \| \*\*([\d.]+) min\*\*", section, re.M)
    slowest = max(float(seconds) for seconds in re.findall(r"cell \d+: ([\d.]+) s", section))
    return notebooks, {*totals.groups(), f"{slowest:.1f}"}


def duration(seconds: int, language: str) -> str:
    """96 -> '1 min 36 s' (en) or '1 分 36 秒' (zh), as the README's tables write a run time."""
    minutes, seconds = divmod(seconds, 60)
    units = ("min", "s") if language == "en" else ("分", "秒")
    return (f"{minutes} {units[0]} " if minutes else "") + f"{seconds} {units[1]}"


def readme_run_time_problems(text: str, results: str) -> list[str]:
    """Where the README's course tables (English and Chinese) and their footnotes do not quote RESULTS.md."""
    notebooks, summary = course_runtime(results)
    problems = []
    for language, row in (("en", r"^\| `(\d\d)_\w+` \|.*\| ([^|]+) \|$"), ("zh", r"^\| \[(\d\d) · .*\| ([^|]+) \|$")):
        quoted = {m[1]: m[2].strip() for m in re.finditer(row, text, re.M)}
        measured = {notebook: duration(seconds, language) for notebook, seconds in notebooks.items()}
        problems += [f"{language} table, notebook {nb}: {quoted.get(nb)!r}, measured {measured[nb]!r}"
                     for nb in measured if quoted.get(nb) != measured[nb]]
    footnotes = [p for p in text.split("\n\n") if p.startswith("\\* ") and "course_runtime.py" in p]
    if len(footnotes) != 2:
        problems.append(f"{len(footnotes)} footnotes on the course's run time, expected 2 (English, Chinese)")
    for footnote in footnotes:
        quoted = set(re.findall(r"(?<![\w.])\d+\.\d+(?![\w.])", footnote))
        if quoted != summary:
            problems.append(f"footnote quotes {sorted(quoted)}, RESULTS.md measured {sorted(summary)}")
    return problems


def test_the_readme_quotes_the_measured_run_times():
    results = (PROJECT_ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    notebooks, summary = course_runtime(results)
    assert sorted(notebooks) == ["00", "01", "02", "03", "04"] and len(summary) == 3, (notebooks, summary)
    assert readme_run_time_problems(readme(), results) == []


def test_the_run_time_check_catches_a_stale_number():
    results = (PROJECT_ROOT / "benchmarks" / "RESULTS.md").read_text(encoding="utf-8")
    notebooks, _ = course_runtime(results)
    assert duration(96, "en") == "1 min 36 s" and duration(6, "zh") == "6 秒"
    stale_row = readme().replace(f"| {duration(notebooks['02'], 'zh')} |", "| 57 秒 |", 1)
    assert readme_run_time_problems(stale_row, results) == [
        f"zh table, notebook 02: '57 秒', measured '{duration(notebooks['02'], 'zh')}'"]
    stale_total = readme().replace("(3.1 minutes", "(4.7 minutes", 1)
    (problem,) = readme_run_time_problems(stale_total, results)
    assert problem.startswith("footnote quotes") and "'4.7'" in problem and "'3.1'" in problem, problem
