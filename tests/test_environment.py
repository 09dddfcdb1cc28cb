"""Issue 17, point 5: the notebooks accept a range of TensorFlow and Keras versions, declared once.

``helpers.environment.SUPPORTED`` is the range; ``check_versions`` is what the setup cells of notebooks 00-03
call; ``pyproject.toml``'s ranges, ``requirements.txt``'s pins and the oldest pair that ``tools/compat_check.py``
installs must agree with it.
"""

from __future__ import annotations

import json
import re
import runpy
import sys

import pytest

from helpers import environment
from helpers.paths import PROJECT_ROOT

INSIDE = [("2.20.0", "3.10.0"), ("2.21.0", "3.15.1"), ("2.21.0rc1", "3.10.0"), ("2.20.1", "3.99.0.dev2026")]
OUTSIDE = [("2.19.1", "3.10.0"), ("2.22.0", "3.15.1"), ("2.20.0", "3.9.2"), ("2.21.0", "4.0.0"),
           ("1.15.0", "3.10.0"), ("2.3.0", "3.10.0")]


def boundary_problems(check) -> list[str]:
    """What ``check`` gets wrong on versions just inside and just outside the supported range."""
    problems = []
    for versions in INSIDE:
        try:
            check(*versions)
        except RuntimeError as exc:
            problems.append(f"{versions} rejected: {exc}")
    for versions in OUTSIDE:
        try:
            check(*versions)
            problems.append(f"{versions} accepted")
        except RuntimeError as exc:
            if "\n" in str(exc) or not any(v in str(exc) for v in versions):
                problems.append(f"{versions}: the message should be one line naming the version: {exc}")
    return problems


def test_check_versions_accepts_the_range_and_nothing_else():
    assert boundary_problems(environment.check_versions) == []


def test_the_message_says_what_is_needed():
    assert environment.check_versions("2.20.0", "3.10.0") == "TensorFlow >=2.20,<2.22 and Keras >=3.10,<4: OK"
    with pytest.raises(RuntimeError, match=r"^the course needs Keras >=3\.10,<4, found 3\.9\.2$"):
        environment.check_versions("2.21.0", "3.9.2")


def test_the_range_agrees_with_pyproject_the_lock_and_compat_check():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["tensorflow"]
    for name, (oldest, newer) in environment.SUPPORTED.items():
        assert f"{name.lower()}>={oldest},<{newer}" in declared, f"pyproject.toml should declare {name}'s range"
    pins = dict(re.findall(r"^(tensorflow|keras)(?:-cpu)?==(\S+)", (PROJECT_ROOT / "requirements.txt").read_text(),
                           re.MULTILINE))
    environment.check_versions(pins["tensorflow"], pins["keras"])  # the lock is inside the range
    oldest = runpy.run_path(str(PROJECT_ROOT / "tools" / "compat_check.py"), run_name="compat_check")["OLDEST"]
    assert [oldest["tensorflow"], oldest["keras"]] == [f"{low}.0" for low, _ in environment.SUPPORTED.values()]


def test_compat_check_installs_the_oldest_pair():
    tools = runpy.run_path(str(PROJECT_ROOT / "tools" / "compat_check.py"), run_name="compat_check")
    tensorflow = "tensorflow-cpu" if sys.platform.startswith("linux") else "tensorflow"
    assert tools["pair_requirements"]() == [f"{tensorflow}==2.20.0", "keras==3.10.0"]


def test_no_notebook_is_pinned_to_one_release():
    for path in sorted((PROJECT_ROOT / "notebooks").rglob("*.ipynb")):
        code = "".join("".join(cell["source"]) for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
                       if cell["cell_type"] == "code")
        gate = re.search(r"__version__\.startswith\(\"2\.|tf_version ==", code)
        assert not gate, f"{path.relative_to(PROJECT_ROOT)}: a version gate"
    for path in sorted((PROJECT_ROOT / "notebooks").glob("0[0-3]_*.ipynb")):
        assert "environment.check_versions(tf.__version__, keras.__version__)" in path.read_text(encoding="utf-8")


# ---------------------------------------------------------------- the test of the test
def test_the_boundary_check_catches_a_gate_that_compares_strings_or_accepts_everything():
    def as_strings(tensorflow, keras):  # "3.9.2" >= "3.10" as text: Keras 3.9 would pass
        if not ("2.20" <= tensorflow < "2.22" and "3.10" <= keras < "4"):
            raise RuntimeError(f"unsupported: {tensorflow}, {keras}")

    def the_old_gate(tensorflow, keras):  # today's notebooks: one release only
        if not tensorflow.startswith("2.21"):
            raise RuntimeError(f"the course is pinned to TensorFlow 2.21, found {tensorflow}")

    assert "('2.20.0', '3.9.2') accepted" in boundary_problems(as_strings)
    assert "('2.20.0', '3.10.0') rejected: the course is pinned to TensorFlow 2.21, found 2.20.0" in (
        boundary_problems(the_old_gate))
    assert len(boundary_problems(lambda tensorflow, keras: "OK")) == len(OUTSIDE)
