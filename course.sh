#!/usr/bin/env bash
# The course's one entry point.
#
#   ./course.sh start        set everything up, then open the course in JupyterLab
#   ./course.sh start --lang zh   the same, in Chinese: the Chinese edition (notebooks/zh/) and JupyterLab's
#                            interface in Chinese (中文版课程和中文界面)
#   ./course.sh test         set everything up, then run every test (unit tests + all notebooks)
#   ./course.sh regenerate   re-execute every notebook (lessons, then solutions) top to bottom and store its outputs,
#                            then rebuild the Chinese edition (notebooks/zh/) from them
#   ./course.sh setup        only set up: virtual environment, packages, Jupyter kernel, course data
#   ./course.sh browser-test set up, then test in JupyterLab in headless Chromium: notebook 01's explorer, notebook 03
#                            as slides (English and Chinese), the Chinese edition in the Chinese interface
#                            (installs Chromium, a Chinese font and playwright-core first; screenshots go to screenshots/)
#
# Options (before or after the command):
#   --mirror DIR   take the data from a course mirror folder instead of the internet
#                  (same as setting COURSE_MIRROR=DIR)
#   --lang en|zh   the language `start` opens the course in (same as setting COURSE_LANG; default en)
# Environment:
#   PYTHON=python3.11   which Python creates the virtual environment (3.10-3.12)
#   COURSE_VENV=DIR     where the virtual environment lives (default: .venv in this folder)
#   COURSE_DATA_DIR     where the course data goes (default: data/ in this folder)
#   KERAS_HOME          the Keras cache, where weights go (default: ~/.keras)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
venv="${COURSE_VENV:-$here/.venv}"
mirror="${COURSE_MIRROR:-}"
lang="${COURSE_LANG:-en}"
command=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --mirror) mirror="${2:?--mirror needs a folder}"; shift 2 ;;
    --mirror=*) mirror="${1#--mirror=}"; shift ;;
    --lang) lang="${2:?--lang needs en or zh}"; shift 2 ;;
    --lang=*) lang="${1#--lang=}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/!p}' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    start|test|regenerate|setup|browser-test) [ -z "$command" ] && command="$1" || extra+=("$1"); shift ;;
    *) extra+=("$1"); shift ;;
  esac
done
[ -n "$command" ] || { echo "usage: ./course.sh start|test|regenerate|setup|browser-test [--mirror DIR] [--lang en|zh]  (see --help)" >&2; exit 2; }
case "$lang" in
  en|zh) ;;
  *) echo "error: --lang (or COURSE_LANG) is '$lang'; give en (English) or zh (中文)" >&2; exit 2 ;;
esac

# TensorFlow's C++ start-up lines must never reach a stored notebook output (see README, "Why the kernel
# is configured"). The course kernel keeps them in the terminal; this quietens the rest.
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

say() { printf '\n==> %s\n' "$*"; }

setup() {
  if [ ! -x "$venv/bin/python" ]; then
    python="${PYTHON:-python3}"
    command -v "$python" >/dev/null || { echo "error: $python not found; install Python 3.10-3.12 or set PYTHON=" >&2; exit 1; }
    "$python" -c 'import sys; v = sys.version_info[:2]; sys.exit(0 if (3, 10) <= v <= (3, 12) else
      "error: Python %d.%d found; the course needs 3.10, 3.11 or 3.12 (set PYTHON=python3.11, say)" % v)'
    say "creating the virtual environment in $venv"
    "$python" -m venv "$venv"
  fi
  say "installing the pinned packages (the first time takes a few minutes)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  # Make `import helpers` work from any folder (notebooks/, tests, python -m helpers.x).
  "$venv/bin/python" - "$here" <<'PY'
import pathlib, sys, sysconfig
pathlib.Path(sysconfig.get_paths()["purelib"], "augment_course.pth").write_text(sys.argv[1] + "\n")
PY
  "$venv/bin/python" -m helpers.environment install-kernel
  say "installing the course data"
  if [ -n "$mirror" ]; then
    "$venv/bin/python" data_download.py --mirror "$mirror"
  else
    "$venv/bin/python" data_download.py
  fi
}

setup
case "$command" in
  setup) ;;
  start)
    say "opening the course in JupyterLab (stop it with Ctrl-C)"
    lab_args=()
    # Classroom containers run as root, which JupyterLab refuses without this flag.
    if [ "$(id -u)" -eq 0 ]; then
      echo "running as root (as in many containers): starting JupyterLab with --allow-root"
      lab_args+=(--allow-root)
    fi
    first=notebooks/00_setup_check.ipynb
    if [ "$lang" = zh ]; then
      # The Chinese edition, and JupyterLab's interface in Chinese: tools/jupyterlab-zh/overrides.json makes
      # zh_CN the default display language of this server only (a language picked in Settings > Language
      # still wins, and nothing is written to the user's own settings).
      echo "中文版:打开 notebooks/zh/,界面为中文"
      first=notebooks/zh/00_setup_check.ipynb
      lab_args+=("--LabApp.app_settings_dir=$here/tools/jupyterlab-zh")
    fi
    exec "$venv/bin/jupyter" lab "$first" ${lab_args[@]+"${lab_args[@]}"} "${extra[@]+"${extra[@]}"}" ;;
  test)
    say "unit tests"
    "$venv/bin/python" -m pytest tests "${extra[@]+"${extra[@]}"}"
    say "notebooks (nbval: every cell runs and its stored output matches)"
    # The Chinese edition copies the English notebooks' code and outputs (tests/test_zh_edition.py checks that),
    # so only its setup check runs again here: proof that the edition runs from its own folder.
    "$venv/bin/python" -m pytest notebooks --ignore=notebooks/zh
    say "the Chinese edition's setup check (nbval)"
    "$venv/bin/python" -m pytest notebooks/zh/00_setup_check.ipynb ;;
  browser-test)
    say "browser test: installing Chromium and playwright-core if needed"
    status=0
    bash tests/browser/install.sh || status=$?
    case "$status" in
      0) "$venv/bin/python" -m pytest -m browser tests/browser -rs "${extra[@]+"${extra[@]}"}" ;;
      3) echo "SKIPPED: the browser test could not be set up on this machine (reason above)." ;;
      *) exit "$status" ;;
    esac ;;
  regenerate)
    notebooks=("${extra[@]+"${extra[@]}"}")
    [ ${#notebooks[@]} -gt 0 ] || notebooks=(notebooks/[0-9]*.ipynb notebooks/solutions/[0-9]*.ipynb)
    for nb in "${notebooks[@]}"; do
      say "re-executing $nb"
      "$venv/bin/jupyter" nbconvert --to notebook --execute --inplace \
        --ExecutePreprocessor.kernel_name=augment-course --ExecutePreprocessor.timeout=1800 "$nb"
    done
    say "rebuilding the Chinese edition from the new outputs"
    "$venv/bin/python" tools/zh_edition.py build
    "$venv/bin/python" -m pytest -q tests/test_notebook_hygiene.py tests/test_solutions.py tests/test_zh_edition.py ;;
esac
