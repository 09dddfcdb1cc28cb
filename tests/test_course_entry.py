"""``python course.py``, the entry point, on every OS: tested here on Linux with stub environments.

The stubs stand in for Python: a tiny script that records its arguments (and its working folder) as one JSON line
and answers like Python would (a version for the probe, a new venv for ``-m venv``). The Windows branches
(``Scripts\\python.exe``, the ``py -3.x`` launcher, no ``os.geteuid``) are parameters of course.py's functions,
so they run here too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNICODE_FOLDER = "课程 folder"  # a space and Chinese characters: both must survive every path course.py builds

RECORDER = r'''
import json, os, sys
from pathlib import Path
args = sys.argv[2:]
with open(os.environ["STUB_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({"exe": sys.argv[1], "args": args, "cwd": os.getcwd(),
                          "tf_log_level": os.environ.get("TF_CPP_MIN_LOG_LEVEL")}) + "\n")
if args[:1] == ["-c"]:
    print(os.environ.get("STUB_VERSION", "3 11"))
elif args[:2] == ["-m", "venv"]:
    stub = Path(args[2], "bin", "python")
    stub.parent.mkdir(parents=True)
    shutil_copy = Path(sys.argv[1]).read_bytes()
    stub.write_bytes(shutil_copy)
    stub.chmod(0o755)
elif os.environ.get("STUB_SIGINT") and "jupyterlab" in args:
    import signal; signal.signal(signal.SIGINT, signal.SIG_DFL)  # die of the signal, as JupyterLab would
    os.killpg(os.getpgrp(), signal.SIGINT)  # what Ctrl-C in a terminal does: SIGINT to the whole foreground group
    import time; time.sleep(5)
if args == ["tools/zh_edition.py", "to-run"]:
    print(os.environ.get("STUB_TO_RUN", ""))  # the Chinese notebooks that need running, one per line
elif args[:1] != ["-c"]:
    print("stub python at", sys.argv[1])  # a path with Chinese in it, as helpers.environment prints one
fail = os.environ.get("STUB_FAIL")
sys.exit(int(os.environ.get("STUB_FAIL_CODE", "1")) if fail and fail in args else 0)
'''


def _load_course():
    spec = importlib.util.spec_from_file_location("course", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


course = _load_course()


def make_stub(path: Path, recorder: Path) -> Path:
    """An executable at ``path`` that runs the recorder (the real Python, so quoting is exact)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{recorder}" "$0" "$@"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


@pytest.fixture
def stubs(tmp_path):
    """A recorder script, its log, and an environment for course.py with a ready stub venv."""
    if shutil.which("sh") is None:
        pytest.skip("the stubs are sh scripts")
    recorder = tmp_path / "recorder.py"
    recorder.write_text(RECORDER, encoding="utf-8")
    log = tmp_path / "calls.jsonl"
    venv = tmp_path / UNICODE_FOLDER / ".venv"
    make_stub(venv / "bin" / "python", recorder)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "STUB_", "PYTHON"))}
    env.update(COURSE_VENV=str(venv), STUB_LOG=str(log))
    return SimpleNamespace(recorder=recorder, log=log, venv=venv, env=env, tmp=tmp_path)


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []


def course_py(stubs, *args: str, script: Path = ROOT / "course.py", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(script), *args], cwd=stubs.tmp, env={**stubs.env, **env},
                          capture_output=True, text=True, encoding="utf-8", errors="replace", timeout=120,
                          start_new_session=True)


def launched(stubs) -> list[str]:
    lab = [c["args"] for c in calls(stubs.log) if c["args"][:2] == ["-m", "jupyterlab"]]
    assert len(lab) == 1, calls(stubs.log)
    return lab[0]


# ---------------------------------------------------------------- setup: the order of the steps
def test_setup_installs_the_lock_then_the_package_editable_then_the_kernel_then_the_data(stubs, tmp_path):
    mirror = tmp_path / "镜像 mirror"
    mirror.mkdir()
    old = [stubs.venv / "lib" / "python3.11" / "site-packages" / "augment_course.pth",
           stubs.venv / "Lib" / "site-packages" / "augment_course.pth"]
    for pth in old:
        pth.parent.mkdir(parents=True)
        pth.write_text("/somewhere/else\n")
    result = course_py(stubs, "setup", "--mirror", str(mirror))
    assert result.returncode == 0, result.stderr
    steps = [c["args"] for c in calls(stubs.log)]
    pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    assert steps == [[*pip, "-r", "requirements.txt"], [*pip, "--no-deps", "-e", "."],
                     ["-m", "helpers.environment", "install-kernel"], ["data_download.py", "--mirror", str(mirror)]]
    assert {c["cwd"] for c in calls(stubs.log)} == {str(ROOT)}
    assert {c["tf_log_level"] for c in calls(stubs.log)} == {"2"}, "TensorFlow's C++ logs stay quiet by default"
    assert not any(p.exists() for p in old), "the old .pth file must go: the editable install replaces it"


def test_setup_builds_the_venv_with_the_python_named_by_PYTHON_in_a_path_with_spaces_and_chinese(stubs, tmp_path):
    base = make_stub(tmp_path / "base python" / "python3.11", stubs.recorder)
    venv = tmp_path / "x" / UNICODE_FOLDER / ".venv"
    result = course_py(stubs, "setup", COURSE_VENV=str(venv), PYTHON=str(base))
    assert result.returncode == 0, result.stderr
    made = calls(stubs.log)
    assert made[0]["exe"] == str(base) and made[0]["args"][0] == "-c"  # the version probe
    assert (made[1]["exe"], made[1]["args"]) == (str(base), ["-m", "venv", str(venv)])
    assert {c["exe"] for c in made[2:]} == {str(venv / "bin" / "python")} and len(made) == 6


def test_setup_refuses_an_unsuitable_PYTHON_in_one_line(stubs, tmp_path):
    base = make_stub(tmp_path / "python3.13", stubs.recorder)
    result = course_py(stubs, "setup", COURSE_VENV=str(tmp_path / "new"), PYTHON=str(base), STUB_VERSION="3 13")
    assert result.returncode == 1 and result.stderr.splitlines() == [
        f"error: Python 3.13 found (PYTHON={base}); the course needs 3.10, 3.11 or 3.12"]
    assert not (tmp_path / "new").exists()


# ---------------------------------------------------------------- finding a Python, per platform
def fake_probe(answers: dict[tuple[str, ...], tuple[int, int]]):
    asked = []

    def probe(command):
        asked.append(command)
        return answers.get(tuple(command))
    return probe, asked


def test_windows_uses_the_py_launcher_newest_first():
    probe, asked = fake_probe({("py", "-3.11"): (3, 11)})
    found = course.find_python({}, windows=True, probe=probe, current=(3, 13), executable=r"C:\Python313\python.exe")
    assert found == ["py", "-3.11"] and asked == [["py", "-3.12"], ["py", "-3.11"]]


def test_posix_looks_for_versioned_pythons_on_the_path_newest_first():
    probe, asked = fake_probe({("python3.10",): (3, 10)})
    found = course.find_python({}, windows=False, probe=probe, current=(3, 9), executable="/usr/bin/python3.9")
    assert found == ["python3.10"] and asked == [["python3.12"], ["python3.11"], ["python3.10"]]


@pytest.mark.parametrize("windows", [False, True])
def test_a_suitable_running_python_is_used_without_probing(windows):
    probe, asked = fake_probe({})
    assert course.find_python({}, windows=windows, probe=probe, current=(3, 12), executable="/py") == ["/py"]
    assert asked == []


def test_PYTHON_wins_over_the_running_python():
    probe, _ = fake_probe({("python3.10",): (3, 10)})
    found = course.find_python({"PYTHON": "python3.10"}, probe=probe, current=(3, 11), executable="/py")
    assert found == ["python3.10"]


@pytest.mark.parametrize("windows, tried", [(True, "py -3.12, py -3.11, py -3.10"),
                                            (False, "python3.12, python3.11, python3.10")])
def test_no_suitable_python_is_one_line(windows, tried):
    probe, _ = fake_probe({})
    with pytest.raises(course.UserError) as caught:
        course.find_python({}, windows=windows, probe=probe, current=(3, 13), executable="/py")
    assert str(caught.value) == (f"error: Python 3.13 runs this script and none of {tried} was found; the course "
                                 "needs 3.10, 3.11 or 3.12 (install one, or set PYTHON to one)")
    assert caught.value.code == 1


def test_the_venv_layout_per_platform(tmp_path):
    assert course.venv_python(tmp_path, windows=True) == tmp_path / "Scripts" / "python.exe"
    assert course.venv_python(tmp_path, windows=False) == tmp_path / "bin" / "python"


def test_start_on_windows_runs_scripts_python_exe_without_allow_root(stubs, monkeypatch, capsys):
    """The whole of setup + start with the Windows layout: only Scripts/python.exe exists, and no os.geteuid."""
    venv = stubs.tmp / "win venv"
    make_stub(venv / "Scripts" / "python.exe", stubs.recorder)
    monkeypatch.delattr(course.os, "geteuid")
    status = course.main(["start"], environ={**stubs.env, "COURSE_VENV": str(venv)}, windows=True)
    assert status == 0, capsys.readouterr()
    assert {c["exe"] for c in calls(stubs.log)} == {str(venv / "Scripts" / "python.exe")}
    assert launched(stubs) == ["-m", "jupyterlab", "notebooks/00_setup_check.ipynb"]


# ---------------------------------------------------------------- start
def test_allow_root_exactly_when_the_effective_user_is_root():
    assert course.running_as_root(SimpleNamespace()) is False  # Windows: no geteuid
    assert course.running_as_root(SimpleNamespace(geteuid=lambda: 0)) is True
    assert course.running_as_root(SimpleNamespace(geteuid=lambda: 1000)) is False
    assert "--allow-root" in course.lab_arguments("en", as_root=True)
    assert "--allow-root" not in course.lab_arguments("en", as_root=False)


def test_start_passes_allow_root_exactly_when_run_as_root(stubs):
    """JupyterLab refuses to start as root without --allow-root; classroom containers run as root."""
    result = course_py(stubs, "start")
    assert result.returncode == 0, result.stderr
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    expected = ["-m", "jupyterlab", "notebooks/00_setup_check.ipynb"] + (["--allow-root"] if as_root else [])
    assert launched(stubs) == expected
    assert ("running as root" in result.stdout) == as_root


@pytest.mark.parametrize("how", ["--lang zh", "--lang=zh", "COURSE_LANG=zh"])
def test_start_in_chinese_opens_the_chinese_edition_with_a_chinese_interface(stubs, how):
    args, env = ((), {"COURSE_LANG": "zh"}) if how.startswith("COURSE_LANG") else (tuple(how.split()), {})
    result = course_py(stubs, "start", *args, **env)
    assert result.returncode == 0, result.stderr
    lab = launched(stubs)
    assert lab[2] == "notebooks/zh/00_setup_check.ipynb"
    assert lab[-1] == f"--LabApp.app_settings_dir={ROOT / 'tools' / 'jupyterlab-zh'}"
    assert "中文版" in result.stdout


def test_start_in_english_keeps_jupyterlabs_own_settings_and_passes_extra_arguments(stubs):
    result = course_py(stubs, "start", "--lang", "en", "--port", "9999")
    assert result.returncode == 0, result.stderr
    lab = launched(stubs)
    assert lab[2] == "notebooks/00_setup_check.ipynb" and lab[-2:] == ["--port", "9999"]
    assert not any("app_settings_dir" in arg for arg in lab)


def test_a_copy_in_a_folder_with_spaces_and_chinese_works_with_its_default_venv(stubs, tmp_path):
    copy = tmp_path / "x" / UNICODE_FOLDER
    (copy / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "course.py", copy)
    shutil.copytree(ROOT / "tools" / "jupyterlab-zh", copy / "tools" / "jupyterlab-zh")
    make_stub(copy / ".venv" / "bin" / "python", stubs.recorder)
    mirror = tmp_path / "U 盘" / "course mirror"
    mirror.mkdir(parents=True)
    env = {k: v for k, v in stubs.env.items() if k != "COURSE_VENV"}
    result = subprocess.run([sys.executable, str(copy / "course.py"), "start", "--lang", "zh", "--mirror",
                             str(mirror)], cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8",
                            timeout=120)
    assert result.returncode == 0, result.stderr
    made = calls(stubs.log)
    assert {c["exe"] for c in made} == {str(copy / ".venv" / "bin" / "python")}
    assert {c["cwd"] for c in made} == {str(copy)}
    assert made[3]["args"] == ["data_download.py", "--mirror", str(mirror)]
    assert launched(stubs)[-1] == f"--LabApp.app_settings_dir={copy / 'tools' / 'jupyterlab-zh'}"


# ---------------------------------------------------------------- a Windows console: cp1252
@pytest.mark.parametrize("args", [["start", "--lang", "zh"], ["--help"]])
def test_chinese_output_survives_a_cp1252_console(stubs, args):
    result = course_py(stubs, *args, PYTHONIOENCODING="cp1252")
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "UnicodeEncodeError" not in result.stderr
    assert "???" in result.stdout  # the Chinese characters, replaced


def test_the_programs_course_py_starts_survive_a_cp1252_console_too(stubs):
    """Each step's program prints the venv's path, which has Chinese characters: '?' instead of a crash."""
    result = course_py(stubs, "setup", PYTHONIOENCODING="cp1252")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(f"stub python at {stubs.venv.as_posix().replace(UNICODE_FOLDER, '?? folder')}") == 4


def test_a_one_line_error_with_chinese_survives_a_cp1252_console(stubs):
    result = course_py(stubs, "start", "--lang", "fr", PYTHONIOENCODING="cp1252")
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: --lang (or COURSE_LANG) is 'fr'; give en (English) or zh (??)"]


# ---------------------------------------------------------------- user errors: one line, no traceback
@pytest.mark.parametrize("args, code, message", [
    (["strat"], 2, "error: unknown command 'strat'; give one of start, test, setup, regenerate, browser-test, "
                   "compat-test, book (see --help)"),
    ([], 2, "usage: python course.py start|test|setup|regenerate|browser-test|compat-test|book [--mirror DIR] "
            "[--lang en|zh]  (see --help)"),
    (["start", "--lang", "fr"], 2, "error: --lang (or COURSE_LANG) is 'fr'; give en (English) or zh (中文)"),
    (["start", "--lang"], 2, "error: --lang needs en or zh"),
    (["start", "--mirror="], 2, "error: --mirror needs a folder"),
    (["setup", "--mirror", "/no/such/mirror"], 2,
     "error: the mirror folder /no/such/mirror does not exist (check --mirror or COURSE_MIRROR)"),
])
def test_user_errors_are_one_line(stubs, args, code, message):
    result = course_py(stubs, *args)
    assert (result.returncode, result.stderr.splitlines()) == (code, [message])
    assert calls(stubs.log) == [], "nothing may run after a user error"


def test_help_is_the_module_docstring(stubs):
    result = course_py(stubs, "--help")
    assert result.returncode == 0 and "python course.py start" in result.stdout and "py course.py" in result.stdout


def test_ctrl_c_in_jupyterlab_exits_130_quietly(stubs):
    result = course_py(stubs, "start", STUB_SIGINT="1")
    assert result.returncode == 130, result.stderr
    assert "Traceback" not in result.stderr and "KeyboardInterrupt" not in result.stderr


def test_ctrl_c_in_course_py_itself_exits_130_quietly(monkeypatch, capsys):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr(course, "run", interrupted)
    assert course.main(["setup"], environ={}) == 130
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- test: every step must pass
def test_test_runs_the_unit_tests_then_every_notebook_and_passes_extra_arguments_to_the_unit_tests(stubs):
    result = course_py(stubs, "test", "-k", "mirror")
    assert result.returncode == 0, result.stderr
    suites = [c["args"] for c in calls(stubs.log)][4:]
    own = [nb for nb in course.chinese_notebooks_with_own_outputs() if nb != "notebooks/zh/00_setup_check.ipynb"]
    english = sorted(path.relative_to(ROOT).as_posix() for path in [*ROOT.glob("notebooks/*.ipynb"),
                                                                    *ROOT.glob("notebooks/solutions/*.ipynb")])
    assert len(english) == 10 and len(own) == 9
    notebooks = course.longest_first([*english, "notebooks/zh/00_setup_check.ipynb", *own])
    assert suites == [["-m", "pytest", "tests", *course.pytest_workers(), "-k", "mirror"],
                      ["-m", "pytest", *notebooks, *course.pytest_workers("loadfile")]]


def stamped(path: Path, *seconds: float) -> None:
    """A notebook whose code cells ran for ``seconds`` each, by the start and end times nbclient stores."""
    cells = [{"cell_type": "markdown", "metadata": {}, "source": "# A"}]
    for ran in seconds:
        end = f"2026-12-02T10:00:{ran:09.6f}Z"
        cells.append({"cell_type": "code", "source": "", "outputs": [], "metadata": {"execution": {
            "iopub.execute_input": "2026-12-02T10:00:00.000000Z", "shell.execute_reply": end}}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}}), encoding="utf-8")


def test_the_stored_run_time_is_the_sum_of_the_code_cells_times(tmp_path):
    stamped(tmp_path / "a.ipynb", 2.5, 0.25)
    assert course.stored_run_seconds(tmp_path / "a.ipynb") == pytest.approx(2.75)
    (tmp_path / "never_run.ipynb").write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {}}]}))
    assert course.stored_run_seconds(tmp_path / "never_run.ipynb") == 0


def test_the_longest_notebook_with_its_chinese_edition_is_handed_out_first(tmp_path, monkeypatch):
    monkeypatch.setattr(course, "ROOT", tmp_path)
    for path, seconds in [("notebooks/00_d.ipynb", ()), ("notebooks/01_a.ipynb", (6, 4)),
                          ("notebooks/02_c.ipynb", (30,)), ("notebooks/solutions/03_b_solutions.ipynb", (15,)),
                          ("notebooks/zh/01_a.ipynb", (6, 4))]:
        stamped(tmp_path / path, *seconds)
    given = ["notebooks/00_d.ipynb", "notebooks/01_a.ipynb", "notebooks/02_c.ipynb",
             "notebooks/solutions/03_b_solutions.ipynb", "notebooks/zh/01_a.ipynb"]
    assert course.longest_first(given) == [  # 30 s; 10 + 10 s, together; 15 s; never run
        "notebooks/02_c.ipynb", "notebooks/01_a.ipynb", "notebooks/zh/01_a.ipynb",
        "notebooks/solutions/03_b_solutions.ipynb", "notebooks/00_d.ipynb"]


@pytest.mark.parametrize("cores, dist, options", [
    (None, None, []), (1, "loadfile", []), (2, None, ["-n", "2"]), (64, None, ["-n", "4"]),
    (2, "loadfile", ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder"]),
])
def test_pytest_runs_on_every_core_up_to_four(monkeypatch, cores, dist, options):
    monkeypatch.setattr(course.os, "cpu_count", lambda: cores)
    assert course.pytest_workers(dist) == options


@pytest.mark.parametrize("dist", ["loadfile", "load"])
def test_under_loadfile_a_notebook_and_its_chinese_edition_run_on_one_worker(dist):
    spec = importlib.util.spec_from_file_location("checkout_conftest", ROOT / "conftest.py")
    checkout_conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checkout_conftest)
    config = SimpleNamespace(getvalue={"dist": dist, "tx": ["popen"], "numprocesses": 2}.get)
    scheduler = checkout_conftest.pytest_xdist_make_scheduler(config, log=None)
    if dist != "loadfile":
        assert scheduler is None, "other modes are pytest-xdist's own"
        return
    nodeids = ["notebooks/03_a.ipynb::Cell 0", "notebooks/zh/03_a.ipynb::Cell 7",
               "notebooks/solutions/03_a_solutions.ipynb::Cell 1",
               "notebooks/zh/solutions/03_a_solutions.ipynb::Cell 2",
               "notebooks/04_b.ipynb::Cell 0", "tests/test_x.py::test_y", "tests/test_x.py::TestZ::test_w"]
    assert [scheduler._split_scope(nodeid) for nodeid in nodeids] == [
        "03_a", "03_a", "03_a_solutions", "03_a_solutions", "04_b", "tests/test_x.py", "tests/test_x.py"]


def test_the_chinese_notebooks_with_outputs_of_their_own_are_the_ones_marked(tmp_path, monkeypatch):
    (tmp_path / "notebooks" / "zh" / "solutions").mkdir(parents=True)
    for path, own in [("zh/01_a.ipynb", True), ("zh/02_b.ipynb", False), ("zh/solutions/01_a_solutions.ipynb", True)]:
        (tmp_path / "notebooks" / path).write_text(json.dumps({"metadata": {"zh_edition": {"own_outputs": own}}}))
    monkeypatch.setattr(course, "ROOT", tmp_path)
    assert course.chinese_notebooks_with_own_outputs() == ["notebooks/zh/01_a.ipynb",
                                                           "notebooks/zh/solutions/01_a_solutions.ipynb"]


@pytest.mark.parametrize("failing, ran, what", [
    ("tests", 1, "the unit tests"),
    ("notebooks/zh/00_setup_check.ipynb", 2, "the notebooks"),
])
def test_test_fails_when_any_step_fails(stubs, failing, ran, what):
    result = course_py(stubs, "test", STUB_FAIL=failing, STUB_FAIL_CODE="3")
    assert result.returncode == 3
    assert result.stderr.splitlines()[-1] == f"error: {what} failed (exit status 3)"
    assert len(calls(stubs.log)) == 4 + ran, "no step may run after a failed one"


def test_a_failing_setup_step_stops_everything(stubs):
    result = course_py(stubs, "test", STUB_FAIL="requirements.txt")
    assert result.returncode == 1 and len(calls(stubs.log)) == 1
    assert result.stderr.splitlines() == ["error: installing the pinned packages failed (exit status 1)"]


# ---------------------------------------------------------------- regenerate, browser-test, compat-test
@pytest.mark.parametrize("to_run", [[], ["notebooks/zh/04_x.ipynb"]])
def test_regenerate_executes_lessons_then_solutions_then_rebuilds_the_chinese_edition(stubs, to_run):
    stubs.env["STUB_TO_RUN"] = "\n".join(to_run)
    result = course_py(stubs, "regenerate")
    assert result.returncode == 0, result.stderr
    run = [c["args"] for c in calls(stubs.log)][4:]
    executed = [args[-1] for args in run if args[:2] == ["-m", "nbconvert"]]
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9]*.ipynb"))
    assert executed[:len(lessons)] == [f"notebooks/{name}" for name in lessons]
    english = [nb for nb in executed if not nb.startswith("notebooks/zh/")]
    assert all(nb.startswith("notebooks/solutions/") for nb in english[len(lessons):])
    build = ["tools/zh_edition.py", "build"]
    assert run[len(english)] == build and run[-1][:3] == ["-m", "pytest", "-q"]
    # then the Chinese notebooks with outputs of their own, if any, and a second build that takes those outputs
    assert executed[len(english):] == to_run
    assert run.count(build) == (2 if to_run else 1) and (not to_run or run[-2] == build)


def test_browser_test_skips_in_one_line_where_there_is_no_bash(stubs, monkeypatch, capsys):
    real_which = shutil.which
    monkeypatch.setattr(course.shutil, "which", lambda name, *a, **k: None if name == "bash" else real_which(name))
    assert course.main(["browser-test"], environ=stubs.env) == 0
    assert "SKIPPED: the browser test needs bash" in capsys.readouterr().out
    assert not any("browser" in " ".join(c["args"]) for c in calls(stubs.log))


@pytest.mark.parametrize("present", [True, False])
def test_compat_test_runs_tools_compat_check_with_the_courses_python(stubs, tmp_path, present):
    copy = tmp_path / "copy"
    (copy / "tools").mkdir(parents=True)
    shutil.copy(ROOT / "course.py", copy)
    if present:
        (copy / "tools" / "compat_check.py").write_text("")
    result = course_py(stubs, "compat-test", "--keep", script=copy / "course.py")
    assert result.returncode == 0, result.stderr
    made = [c["args"] for c in calls(stubs.log)]
    assert made == ([[str(copy / "tools" / "compat_check.py"), "--keep"]] if present else [])
    assert ("SKIPPED" in result.stdout) != present


def test_a_chosen_tensorflow_log_level_is_kept(stubs):
    assert course_py(stubs, "setup", TF_CPP_MIN_LOG_LEVEL="0").returncode == 0
    assert {c["tf_log_level"] for c in calls(stubs.log)} == {"0"}


def test_course_py_parses_on_old_pythons_so_it_can_say_which_one_it_needs():
    """macOS's own python3 is 3.9: course.py must run there far enough to find a 3.10-3.12 or say so."""
    import ast
    ast.parse((ROOT / "course.py").read_text(encoding="utf-8"), feature_version=(3, 8))


# ---------------------------------------------------------------- book
def test_book_builds_in_its_own_venv_without_the_course_setup(stubs, tmp_path):
    book_venv = make_stub(tmp_path / "book venv" / "bin" / "python", Path(stubs.env["STUB_LOG"]).parent / "recorder.py")
    result = course_py(stubs, "book", COURSE_BOOK_VENV=str(book_venv.parent.parent))
    assert result.returncode == 0, result.stderr
    made = calls(stubs.log)
    assert {c["exe"] for c in made} == {str(book_venv)}, "only the book's venv runs: no TensorFlow, no data"
    assert [c["args"] for c in made] == [
        ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", "requirements-book.txt"],
        ["tools/book.py", "build"]]
    failed = course_py(stubs, "book", COURSE_BOOK_VENV=str(book_venv.parent.parent), STUB_FAIL="build")
    assert failed.returncode == 1
