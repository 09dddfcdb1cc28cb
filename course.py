#!/usr/bin/env python3
"""The course's one entry point, the same on Linux, macOS and Windows (standard library only).

  python course.py start         set everything up, then open the course in JupyterLab
  python course.py start --lang zh
                                the same, in Chinese: the Chinese edition (notebooks/zh/) and JupyterLab's
                                interface in Chinese (中文版课程和中文界面)
  python course.py test         set everything up, then run every test (unit tests + all notebooks);
                                further arguments go to the unit tests' pytest
  python course.py regenerate [NOTEBOOK ...]
                                re-execute every notebook (lessons, then solutions) top to bottom and store its
                                outputs, then rebuild the Chinese edition (notebooks/zh/) from them
  python course.py setup        only set up: virtual environment, packages, Jupyter kernel, course data
  python course.py browser-test set up, then test in JupyterLab in headless Chromium (a developer tool: it needs
                                bash, Debian's chromium and npm; screenshots go to screenshots/)
  python course.py compat-test  run tools/compat_check.py: the wheel with the oldest supported TensorFlow
  python course.py book         build the course as a web book (build/book/html) from the notebooks' stored
                                outputs, in a virtual environment of its own (.venv-book: Jupyter Book, no
                                TensorFlow); tools/book.py says how

On Windows, type `py course.py start` (the Python launcher) if `python` is not found; on Linux and macOS,
`python3 course.py start`.

Options (before or after the command):
  --mirror DIR   take the data from a course mirror folder instead of the internet (same as COURSE_MIRROR=DIR)
  --lang en|zh   the language `start` opens the course in (same as COURSE_LANG; default en)
Environment:
  PYTHON=python3.11   which Python creates the virtual environment (3.10-3.12; default: the Python running
                      this script if it is one of those, else py -3.12/-3.11/-3.10 on Windows, else
                      python3.12, python3.11 or python3.10 on the PATH)
  COURSE_VENV=DIR     where the virtual environment lives (default: .venv in this folder)
  COURSE_BOOK_VENV=DIR  where the web book's virtual environment lives (default: .venv-book in this folder)
  COURSE_DATA_DIR     where the course data goes (default: your cache folder, e.g. ~/.cache/augment-course)
  KERAS_HOME          the Keras cache, where weights go (default: ~/.keras)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent
COMMANDS = ("start", "test", "setup", "regenerate", "browser-test", "compat-test", "book")
LANGUAGES = ("en", "zh")
SUPPORTED = ((3, 10), (3, 11), (3, 12))
WINDOWS = os.name == "nt"
ZH_SETTINGS = ROOT / "tools" / "jupyterlab-zh"  # overrides.json: zh_CN as this server's default interface language
OLD_PTH = "augment_course.pth"  # course.sh's way to `import helpers`; the editable install replaces it
INTERRUPTED = {-signal.SIGINT, 130, 0xC000013A}  # a child stopped by Ctrl-C: POSIX signal, shell convention, Windows


class UserError(Exception):
    """A mistake the learner can fix: printed as one line, exit status ``code``, no traceback."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Options(NamedTuple):
    """The parsed command line: one command, the mirror, the language and what passes through."""

    command: str
    mirror: Path | None
    lang: str
    extra: list[str]


def usage() -> str:
    return "usage: python course.py " + "|".join(COMMANDS) + " [--mirror DIR] [--lang en|zh]  (see --help)"


def parse(argv: list[str], environ: dict[str, str]) -> Options | None:
    """Read the command line the way course.sh did: options anywhere, the first command word is the command,
    everything else passes through. Returns None for --help."""
    mirror, lang = environ.get("COURSE_MIRROR") or None, environ.get("COURSE_LANG") or "en"
    command, extra = None, []
    args = list(argv)
    while args:
        arg = args.pop(0)
        if arg in ("--mirror", "--lang"):
            if not args:
                raise UserError(f"error: {arg} needs " + ("a folder" if arg == "--mirror" else "en or zh"), 2)
            value = args.pop(0)
            mirror, lang = (value, lang) if arg == "--mirror" else (mirror, value)
        elif arg.startswith("--mirror="):
            mirror = arg.split("=", 1)[1]
        elif arg.startswith("--lang="):
            lang = arg.split("=", 1)[1]
        elif arg in ("-h", "--help"):
            return None
        elif arg in COMMANDS and command is None:
            command = arg
        else:
            extra.append(arg)
    if command is None:
        if extra and not extra[0].startswith("-"):
            raise UserError(f"error: unknown command {extra[0]!r}; give one of {', '.join(COMMANDS)} (see --help)", 2)
        raise UserError(usage(), 2)
    if lang not in LANGUAGES:
        raise UserError(f"error: --lang (or COURSE_LANG) is '{lang}'; give en (English) or zh (中文)", 2)
    if mirror == "":
        raise UserError("error: --mirror needs a folder", 2)
    if mirror is not None:
        mirror = Path(mirror).expanduser().resolve()
        if not mirror.is_dir():
            raise UserError(f"error: the mirror folder {mirror} does not exist (check --mirror or COURSE_MIRROR)", 2)
    return Options(command, mirror, lang, extra)


# ---------------------------------------------------------------- the platform's differences, as parameters
def venv_python(venv: Path, windows: bool = WINDOWS) -> Path:
    """The virtual environment's Python: ``Scripts\\python.exe`` on Windows, ``bin/python`` elsewhere."""
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def python_candidates(windows: bool = WINDOWS) -> list[list[str]]:
    """Where to look for a suitable Python when the one running this script is not: the launcher on Windows
    (``py -3.12``), versioned commands on the PATH elsewhere (``python3.12``); newest first."""
    newest_first = sorted(SUPPORTED, reverse=True)
    if windows:
        return [["py", f"-{major}.{minor}"] for major, minor in newest_first]
    return [[f"python{major}.{minor}"] for major, minor in newest_first]


def probe(command: list[str]) -> tuple[int, int] | None:
    """The (major, minor) version of the Python that ``command`` starts, or None if it does not start."""
    try:
        result = subprocess.run([*command, "-c", "import sys; print(*sys.version_info[:2])"],
                                capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    try:
        major, minor = result.stdout.split()
        return int(major), int(minor)
    except ValueError:
        return None


def find_python(environ: dict[str, str], windows: bool = WINDOWS, probe=probe, current: tuple[int, int] | None = None,
                executable: str | None = None) -> list[str]:
    """The command of a Python 3.10-3.12 to build the virtual environment with: ``$PYTHON`` when set (it must be
    suitable), else this script's own Python when suitable, else the first of :func:`python_candidates`."""
    wanted = "3.10, 3.11 or 3.12"
    current = tuple(sys.version_info[:2]) if current is None else current
    executable = sys.executable if executable is None else executable
    if environ.get("PYTHON"):
        command = [environ["PYTHON"]]
        version = probe(command)
        if version is None:
            raise UserError(f"error: PYTHON={environ['PYTHON']} does not start; install Python {wanted} "
                            "or set PYTHON to one")
        if version not in SUPPORTED:
            found = ".".join(map(str, version))
            raise UserError(f"error: Python {found} found (PYTHON={environ['PYTHON']}); the course needs {wanted}")
        return command
    if current in SUPPORTED and executable:
        return [executable]
    for command in python_candidates(windows):
        if probe(command) in SUPPORTED:
            return command
    tried = ", ".join(" ".join(c) for c in python_candidates(windows))
    running = ".".join(map(str, current))
    raise UserError(f"error: Python {running} runs this script and none of {tried} was found; the course needs "
                    f"{wanted} (install one, or set PYTHON to one)")


def running_as_root(os_module=os) -> bool:
    """True only where there is a root (POSIX) and this process is it; Windows has no ``os.geteuid``."""
    geteuid = getattr(os_module, "geteuid", None)
    return geteuid is not None and geteuid() == 0


def lab_arguments(lang: str, as_root: bool) -> list[str]:
    """What ``start`` gives JupyterLab: the first notebook, ``--allow-root`` when running as root (JupyterLab
    refuses root otherwise), and for Chinese the settings folder that makes the interface Chinese."""
    arguments = ["notebooks/zh/00_setup_check.ipynb" if lang == "zh" else "notebooks/00_setup_check.ipynb"]
    if as_root:
        arguments.append("--allow-root")
    if lang == "zh":
        # tools/jupyterlab-zh/overrides.json makes zh_CN the default display language of this server only (a
        # language picked in Settings > Language still wins; nothing is written to the user's own settings).
        arguments.append(f"--LabApp.app_settings_dir={ZH_SETTINGS}")
    return arguments


def old_pth_files(venv: Path) -> list[Path]:
    """The ``augment_course.pth`` that course.sh wrote into the venv's site-packages (both layouts)."""
    found = {*venv.glob(f"lib/python3*/site-packages/{OLD_PTH}"), *venv.glob(f"Lib/site-packages/{OLD_PTH}")}
    return sorted(found)


# ---------------------------------------------------------------- running the steps
def say(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def call(command: list[str], env: dict[str, str]) -> int:
    """Run ``command`` in the course folder and return its exit status. Ctrl-C belongs to the child (JupyterLab
    asks before it stops; pytest reports what ran): this process waits, and exits 130 if the child was stopped."""
    sys.stdout.flush()
    interrupted = []
    # A handler, not SIG_IGN: an ignored signal would stay ignored in the child; a handler is reset there.
    previous = signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
    try:
        try:
            child = subprocess.Popen([str(part) for part in command], cwd=ROOT, env=env)
        except OSError as err:
            raise UserError(f"error: cannot run {command[0]}: {err.strerror or err}") from None
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    if status in INTERRUPTED or (interrupted and status != 0):
        raise KeyboardInterrupt
    return status


def step(what: str, command: list[str], env: dict[str, str]) -> None:
    """Run one step; a failure ends the command with the step's exit status."""
    status = call(command, env)
    if status != 0:
        raise UserError(f"error: {what} failed (exit status {status})", status)


def ensure_venv(environ: dict[str, str], windows: bool = WINDOWS, variable: str = "COURSE_VENV",
                default: str = ".venv") -> tuple[Path, Path]:
    """The virtual environment (``$COURSE_VENV``, else .venv here; or another ``variable`` and ``default``) and
    its Python, created if it is not there."""
    venv = Path(environ[variable]).expanduser().resolve() if environ.get(variable) else ROOT / default
    python = venv_python(venv, windows)
    if not python.is_file():
        base = find_python(environ, windows)
        say(f"creating the virtual environment in {venv}")
        step("creating the virtual environment", [*base, "-m", "venv", str(venv)], environ)
    return venv, python


def setup(options: Options, environ: dict[str, str], windows: bool = WINDOWS) -> Path:
    """Virtual environment, the pinned packages, the course package (editable), the kernel, the data."""
    venv, python = ensure_venv(environ, windows)
    say("installing the pinned packages (the first time takes a few minutes)")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    step("installing the pinned packages", [*pip, "-r", "requirements.txt"], environ)
    for old in old_pth_files(venv):
        old.unlink()
    # The course as a package, editable: `import helpers` and `python -m data_download` work from any folder.
    step("installing the course package", [*pip, "--no-deps", "-e", "."], environ)
    step("installing the Jupyter kernel", [python, "-m", "helpers.environment", "install-kernel"], environ)
    say("installing the course data")
    mirror = ["--mirror", str(options.mirror)] if options.mirror else []
    step("installing the course data", [python, "data_download.py", *mirror], environ)
    return python


def start(options: Options, python: Path, env: dict[str, str]) -> int:
    say("opening the course in JupyterLab (stop it with Ctrl-C)")
    as_root = running_as_root()
    if as_root:
        print("running as root (as in many containers): starting JupyterLab with --allow-root")
    if options.lang == "zh":
        print("中文版：打开 notebooks/zh/，界面为中文")
    return call([python, "-m", "jupyterlab", *lab_arguments(options.lang, as_root), *options.extra], env)


def test(options: Options, python: Path, env: dict[str, str]) -> int:
    say("unit tests")
    step("the unit tests", [python, "-m", "pytest", "tests", *pytest_workers(), *options.extra], env)
    # A Chinese notebook whose code cells only differ from the English in comments has the English outputs
    # (tests/test_zh_edition.py checks that); one with cells that print or draw Chinese text has outputs of its
    # own, so nbval runs it. The setup check always runs: proof that the edition runs from its own folder.
    chinese = [path for path in chinese_notebooks_with_own_outputs()
               if path != "notebooks/zh/00_setup_check.ipynb"]
    english = english_notebooks()
    say(f"notebooks (nbval: every cell runs and its stored output matches): {len(english)} English, and the "
        f"Chinese setup check and {len(chinese)} Chinese notebook(s) with outputs of their own")
    # --dist loadfile, as conftest.py schedules it: each notebook runs on one worker, with its Chinese edition.
    notebooks = longest_first([*english, "notebooks/zh/00_setup_check.ipynb", *chinese])
    step("the notebooks", [python, "-m", "pytest", *notebooks, *pytest_workers("loadfile")], env)
    return 0


def pytest_workers(dist: str | None = None) -> list[str]:
    """pytest-xdist's options: one worker per core, at most four (each imports TensorFlow, about 0.7 GB, and a
    notebook's worker starts a kernel that imports it again); none on one core. ``dist``: xdist's --dist mode;
    under loadfile, xdist hands the files out in the order given (see :func:`longest_first`)."""
    workers = min(os.cpu_count() or 1, 4)
    if workers == 1:
        return []
    order = ["--no-loadscope-reorder"] if dist == "loadfile" else []
    return ["-n", str(workers), *(["--dist", dist] if dist else []), *order]


def notebook_scope(nodeid: str) -> str | None:
    """The unit of work of a notebook's test item under ``--dist loadfile``: the notebook's name, shared by its
    Chinese edition (``notebooks/zh/03_x.ipynb::Cell 2`` -> ``03_x``); None for anything but a notebook."""
    path = PurePosixPath(nodeid.split("::", 1)[0])
    return path.stem if path.suffix == ".ipynb" else None


def stored_run_seconds(notebook: Path) -> float:
    """How long the run that stored ``notebook``'s outputs spent in its code cells, from the start and end times
    nbclient writes into each cell's metadata (0 for cells without them)."""
    from datetime import datetime

    def moment(stamp: str) -> datetime:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))  # Python 3.10 does not read "Z"

    seconds = 0.0
    for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
        times = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in times and "shell.execute_reply" in times:
            seconds += (moment(times["shell.execute_reply"]) - moment(times["iopub.execute_input"])).total_seconds()
    return seconds


def longest_first(notebooks: list[str]) -> list[str]:
    """``notebooks`` with the longest unit of work (a notebook and its Chinese edition, by their stored run times)
    first. Each worker takes the next unit when it finishes one, so a long unit handed out last would run alone
    while the other workers wait; xdist's own order, by number of cells, hands out lesson 03's solutions, the
    longest unit in the stored runs, sixth of ten."""
    seconds: dict[str | None, float] = {}
    for notebook in notebooks:
        scope = notebook_scope(notebook)
        seconds[scope] = seconds.get(scope, 0.0) + stored_run_seconds(ROOT / notebook)
    return sorted(notebooks, key=lambda notebook: -seconds[notebook_scope(notebook)])


def english_notebooks() -> list[str]:
    """The English lessons and their solutions, sorted."""
    found = [*sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")),
             *sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))]
    return [path.relative_to(ROOT).as_posix() for path in found]


def chinese_notebooks_with_own_outputs() -> list[str]:
    """The Chinese notebooks that print or draw Chinese text (tools/zh_edition.py marks them), sorted."""
    found = []
    for path in sorted((ROOT / "notebooks" / "zh").glob("**/[0-9][0-9]_*.ipynb")):
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        if metadata.get("zh_edition", {}).get("own_outputs"):
            found.append(path.relative_to(ROOT).as_posix())
    return found


def regenerate(options: Options, python: Path, env: dict[str, str]) -> int:
    # Notebooks named on the command line: relative to the current folder, or else to the course folder.
    notebooks = [str(Path(nb).resolve()) if Path(nb).exists() else nb for nb in options.extra]
    notebooks = notebooks or [p.relative_to(ROOT).as_posix() for folder in ("notebooks", "notebooks/solutions")
                              for p in sorted((ROOT / folder).glob("[0-9]*.ipynb"))]
    for notebook in notebooks:
        say(f"re-executing {notebook}")
        step(f"re-executing {notebook}", execute(python, notebook), env)
    say("rebuilding the Chinese edition from the new outputs")
    step("rebuilding the Chinese edition", [python, "tools/zh_edition.py", "build"], env)
    # Chinese cells that print or draw Chinese text need outputs of their own: run those notebooks, then rebuild
    # (which takes those cells' outputs from the run and every other cell's from the English notebook).
    listed = subprocess.run([str(python), "tools/zh_edition.py", "to-run"], env=env, cwd=ROOT, check=True,
                            capture_output=True, text=True, encoding="utf-8").stdout.split()
    for notebook in listed:
        say(f"re-executing {notebook}")
        step(f"re-executing {notebook}", execute(python, notebook), env)
    if listed:
        step("rebuilding the Chinese edition", [python, "tools/zh_edition.py", "build"], env)
    return call([python, "-m", "pytest", "-q", "tests/test_notebook_hygiene.py", "tests/test_solutions.py",
                 "tests/test_zh_edition.py"], env)


def execute(python: Path, notebook: str) -> list:
    """nbconvert's command that runs ``notebook`` top to bottom in the course kernel and stores its outputs."""
    return [python, "-m", "nbconvert", "--to", "notebook", "--execute", "--inplace",
            "--ExecutePreprocessor.kernel_name=augment-course", "--ExecutePreprocessor.timeout=1800", notebook]


def browser_test(options: Options, python: Path, env: dict[str, str]) -> int:
    """A developer's test, not the learner's path: tests/browser/install.sh needs bash (and apt, npm)."""
    say("browser test: installing Chromium and playwright-core if needed")
    bash = shutil.which("bash")
    if bash is None:
        print("SKIPPED: the browser test needs bash to set itself up (tests/browser/install.sh); there is none here.")
        return 0
    status = call([bash, "tests/browser/install.sh"], env)
    if status == 3:
        print("SKIPPED: the browser test could not be set up on this machine (reason above).")
        return 0
    if status != 0:
        return status
    return call([python, "-m", "pytest", "-m", "browser", "tests/browser", "-rs", *options.extra], env)


def compat_test(options: Options, python: Path, env: dict[str, str]) -> int:
    script = ROOT / "tools" / "compat_check.py"
    if not script.is_file():
        print("SKIPPED: the compatibility test (tools/compat_check.py) is not in this checkout.")
        return 0
    say("compatibility test: the course's wheel with the oldest supported TensorFlow (tools/compat_check.py)")
    return call([python, script, *options.extra], env)


def book(options: Options, environ: dict[str, str], windows: bool = WINDOWS) -> int:
    """The web book, in its own virtual environment: it needs Jupyter Book, not TensorFlow or the data."""
    venv, python = ensure_venv(environ, windows, "COURSE_BOOK_VENV", ".venv-book")
    say("installing the web book's pinned packages (Jupyter Book; the first time takes a minute)")
    step("installing the web book's packages", [python, "-m", "pip", "install", "--quiet",
                                                "--disable-pip-version-check", "-r", "requirements-book.txt"], environ)
    say("building the web book from the notebooks' stored outputs (nothing is executed)")
    return call([python, "tools/book.py", "build", *options.extra], environ)


def run(options: Options, environ: dict[str, str], windows: bool = WINDOWS) -> int:
    env = dict(environ)
    # TensorFlow's C++ start-up lines must never reach a stored notebook output (README, "Why the course has its
    # own Jupyter kernel"). The course kernel keeps them in the terminal; this quietens the rest.
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The Python programs this starts print paths (C:\Users\张三\...) and Chinese text too: on a console or pipe
    # whose code page lacks a character they print '?' instead of stopping with UnicodeEncodeError.
    encoding = env.get("PYTHONIOENCODING", "")
    if ":" not in encoding:
        env["PYTHONIOENCODING"] = f"{encoding}:replace"
    if options.mirror:
        env["COURSE_MIRROR"] = str(options.mirror)
    if options.command == "compat-test":
        # compat_check.py builds its own environment; it only needs the course's Python, not its packages.
        return compat_test(options, ensure_venv(env, windows)[1], env)
    if options.command == "book":
        return book(options, env, windows)
    python = setup(options, env, windows)
    commands = {"setup": lambda *_: 0, "start": start, "test": test, "regenerate": regenerate,
                "browser-test": browser_test}
    return commands[options.command](options, python, env)


def main(argv: list[str] | None = None, environ: dict[str, str] | None = None, windows: bool = WINDOWS) -> int:
    for stream in (sys.stdout, sys.stderr):
        # A Windows console or pipe may use a code page without Chinese (cp1252): print '?' rather than crash.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    environ = dict(os.environ if environ is None else environ)
    try:
        options = parse(sys.argv[1:] if argv is None else argv, environ)
        if options is None:
            print(__doc__)
            return 0
        status = run(options, environ, windows)
    except UserError as err:
        print(err, file=sys.stderr)
        status = err.code
    except KeyboardInterrupt:
        return 130
    return status if 0 <= status <= 255 else 1  # a child killed by a signal (negative) still fails


if __name__ == "__main__":
    sys.exit(main())
