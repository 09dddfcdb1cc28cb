"""Run every lesson notebook on the oldest TensorFlow/Keras pair the course supports, as a learner's Jupyter would.

    python tools/compat_check.py [--mirror DIR] [--keep] [--timeout SECONDS] [NOTEBOOK ...]

Standard library only; any Python 3.10+ runs it, on Linux, macOS or Windows.  In a temporary folder whose name has
a space (paths with spaces must work) it

1. makes a fresh venv and, with its pip, builds the course's wheel from a clean copy of this checkout;
2. installs the oldest pair, :data:`OLDEST`, and the wheel with its ``[test]`` extra into the venv;
3. installs the course data into a fresh data folder and Keras folder (``python -m data_download``, from the
   mirror given by ``--mirror`` or ``$COURSE_MIRROR``, else from the internet), named by ``COURSE_DATA_DIR`` and
   ``KERAS_HOME``, and checks that ``import helpers`` finds the wheel's copy, not this checkout's;
4. copies ``notebooks/0*.ipynb`` (or the NOTEBOOKs named) into a folder of their own and runs each there with the
   venv's stock ``python3`` kernel (nbclient), not the course kernel, at most ``--timeout`` seconds each.

It prints one line per notebook (name, seconds, ok, or failed and the first line of the error) and exits 1 if any
notebook fails.  The temporary folder is deleted unless ``--keep`` (then the executed notebooks are kept there).
pip's cache makes a second run much faster than the first (the TensorFlow wheel alone is a few hundred MB).
"""

from __future__ import annotations

import argparse
import json
import os
import runpy
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The oldest pair the course supports: the lower ends of helpers.environment.SUPPORTED and of pyproject.toml's
# ranges (tests/test_environment.py checks that the three agree).  Keras 3.10 is the oldest TensorFlow 2.20 accepts.
OLDEST = {"tensorflow": "2.20.0", "keras": "3.10.0"}
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "data", "build", "dist", "*.egg-info", "node_modules",
                                    "screenshots", "__pycache__", ".pytest_cache", ".ruff_cache")

# Runs inside the venv, where nbclient is installed: executes one notebook in its own folder, prints a JSON line.
RUNNER = r"""
import json, sys, nbformat
from pathlib import Path
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
path, timeout = sys.argv[1], int(sys.argv[2])
notebook = nbformat.read(path, as_version=4)
client = NotebookClient(notebook, kernel_name="python3", timeout=timeout,
                        resources={"metadata": {"path": str(Path(path).parent)}})
error = None
try:
    client.execute()
except CellExecutionError as exc:
    error = f"{exc.ename}: {exc.evalue}"
except Exception as exc:  # a cell timeout, a dead kernel
    error = f"{type(exc).__name__}: {exc}"
nbformat.write(notebook, path)
print(json.dumps({"error": error}))
"""


def pair_requirements() -> list[str]:
    """pip requirements for :data:`OLDEST`: tensorflow-cpu on Linux (as requirements.txt), tensorflow elsewhere."""
    tensorflow = "tensorflow-cpu" if sys.platform.startswith("linux") else "tensorflow"
    return [f"{tensorflow}=={OLDEST['tensorflow']}", f"keras=={OLDEST['keras']}"]


# Where a venv keeps its Python (Scripts\python.exe on Windows, bin/python elsewhere) is course.py's rule; course.py
# is standard library only too, and runs nothing when loaded.
venv_python = runpy.run_path(str(REPO / "course.py"))["venv_python"]


def run(command: list, **kwargs) -> None:
    """Run a set-up step; on failure print its output and stop with a one-line reason."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        sys.exit(f"compat_check: failed: {' '.join(str(part) for part in command)}")


def first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "(no message)")


def set_up(work: Path, mirror: str | None) -> tuple[Path, dict[str, str]]:
    """Steps 1-3 in ``work``: the venv's Python and the environment the notebooks run in."""
    steps = time.perf_counter()
    run([sys.executable, "-m", "venv", work / "venv"])
    python = venv_python(work / "venv")  # its pip builds the wheel too: the Python running this needs no pip
    shutil.copytree(REPO, work / "source", ignore=NOT_COPIED)  # a clean tree: no stale build/ in the wheel
    run([python, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps", work / "source",
         "-w", work / "wheel"])
    (wheel,) = (work / "wheel").glob("*.whl")
    print(f"  venv and {wheel.name}: {time.perf_counter() - steps:.0f} s", flush=True)
    steps = time.perf_counter()
    run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-compile", *pair_requirements(),
         f"{wheel}[test]"])
    print(f"  pip install {' '.join(pair_requirements())} and the wheel [test]: "
          f"{time.perf_counter() - steps:.0f} s", flush=True)
    env = notebook_env(work, os.environ)
    steps = time.perf_counter()
    run([python, "-m", "data_download", *(["--mirror", mirror] if mirror else [])], env=env, cwd=work)
    where = subprocess.run([str(python), "-c", "import helpers; print(helpers.__file__)"], env=env, cwd=work,
                           capture_output=True, text=True).stdout.strip()
    if not Path(where).resolve().is_relative_to((work / "venv").resolve()):
        sys.exit(f"compat_check: the notebooks would import helpers from {where}, not from the wheel")
    print(f"  data from {mirror or 'the internet'}: {time.perf_counter() - steps:.0f} s", flush=True)
    return python, env


def notebook_env(work: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of everything that runs in the venv: ``environ`` without what would make the venv import
    something else (PYTHONPATH, PYTHONHOME, the user's site-packages) or run slower than on a learner's machine
    (PYTHONDONTWRITEBYTECODE: pip installs with --no-compile, so each kernel would compile TensorFlow's sources
    again, about 11 s each; a learner's imports cache their bytecode), and with the data and Keras folders in
    ``work``."""
    env = {key: value for key, value in environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
    return env | {"COURSE_DATA_DIR": str(work / "data"), "KERAS_HOME": str(work / "keras"),
                  "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONNOUSERSITE": "1", "PYTHONIOENCODING": "utf-8"}


def run_notebook(python: Path, env: dict[str, str], notebook: Path, timeout: int) -> str | None:
    """Step 4 for one notebook, already copied into its folder: None if it ran, else the first line of the error."""
    try:
        result = subprocess.run([str(python), "-c", RUNNER, str(notebook), str(timeout)], cwd=notebook.parent,
                                env=env, capture_output=True, text=True, timeout=timeout + 60)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout} s"
    lines = result.stdout.strip().splitlines()
    if result.returncode or not lines:
        return f"the runner exited with {result.returncode}: {first_line(result.stderr[-2000:])}"
    error = json.loads(lines[-1])["error"]
    return None if error is None else first_line(error)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mirror", metavar="DIR", default=os.environ.get("COURSE_MIRROR"),
                        help="install the data from this course mirror folder (default: $COURSE_MIRROR)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (venv, data, notebooks)")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per notebook (default 900)")
    parser.add_argument("notebooks", nargs="*", metavar="NOTEBOOK", help="default: notebooks/0*.ipynb")
    args = parser.parse_args(argv)
    notebooks = [Path(n).resolve() for n in args.notebooks] or sorted((REPO / "notebooks").glob("0*.ipynb"))
    if args.mirror and not Path(args.mirror).is_dir():
        parser.error(f"--mirror {args.mirror}: not a folder")

    work = Path(tempfile.mkdtemp(prefix="augment compat "))
    started = time.perf_counter()
    try:
        print(f"compat_check: TensorFlow {OLDEST['tensorflow']} + Keras {OLDEST['keras']} in {work}", flush=True)
        python, env = set_up(work, args.mirror)
        folder = work / "notebooks"
        folder.mkdir()
        failed = 0
        for notebook in notebooks:
            tic = time.perf_counter()
            error = run_notebook(python, env, Path(shutil.copy2(notebook, folder / notebook.name)), args.timeout)
            failed += error is not None
            status = "ok" if error is None else f"failed: {error}"
            print(f"  {notebook.name:<36}{time.perf_counter() - tic:6.0f} s  {status}", flush=True)
        print(f"compat_check: {len(notebooks) - failed} of {len(notebooks)} notebooks ran, "
              f"{time.perf_counter() - started:.0f} s in all" + (f"; kept {work}" if args.keep else ""))
        return 1 if failed else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
