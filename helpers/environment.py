"""The course's Jupyter kernel, the TensorFlow and Keras versions it supports, and a report of the environment.

Why a course kernel?  TensorFlow writes C++ log lines (e.g. "oneDNN custom
operations are on", with timestamps and process ids) straight to file
descriptor 2 when it is imported.  JupyterLab's kernel captures that
descriptor into the cell's output, where the lines would be stored in the
notebook; under ``pytest --nbval`` the kernel does not capture it, so stored
and fresh outputs would never match.  No environment variable silences these
lines on every CPU (``TF_CPP_MIN_LOG_LEVEL`` does not reach the pre-start-up
ones), so the course kernel runs with ``capture_fd_output=False``: C++ logs go
to the terminal that runs Jupyter, Python output and warnings still go to the
notebook.  JupyterLab, ``python course.py regenerate`` and nbval all use this
one kernel (every notebook names it), so the three always agree.  It is for
clean stored outputs only: the notebooks compute the same in any Python 3
kernel where the course package is installed.

Command line::

    python -m helpers.environment install-kernel   # done by python course.py setup
    python -m helpers.environment                  # print the environment report
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from pathlib import Path

KERNEL_NAME = "augment-course"
KERNEL_DISPLAY_NAME = "Python 3 (augment course)"
# (oldest, first unsupported): requirements.txt pins the newest; tools/compat_check.py runs the lessons on the oldest.
SUPPORTED = {"TensorFlow": ("2.20", "2.22"), "Keras": ("3.10", "4")}


def kernel_spec() -> dict:
    """The kernel.json of the course kernel, for the Python running this code; used by :func:`install_kernel`."""
    return {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.capture_fd_output=False"],
        "display_name": KERNEL_DISPLAY_NAME,
        "language": "python",
        "env": {"TF_CPP_MIN_LOG_LEVEL": "2"},
        "metadata": {"debugger": True},
    }


def install_kernel(prefix: str | Path = sys.prefix) -> Path:
    """Write the course kernel into ``<prefix>/share/jupyter/kernels/augment-course``.

    Used by ``python course.py setup`` (``python -m helpers.environment install-kernel``).
    """
    folder = Path(prefix) / "share" / "jupyter" / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kernel.json").write_text(json.dumps(kernel_spec(), indent=1) + "\n")
    return folder


def check_versions(tensorflow: str, keras: str) -> str:
    """One line if both versions are in :data:`SUPPORTED`, else a RuntimeError saying what was expected.

    Used in the setup cells of notebooks 00-03::

        >>> check_versions("2.20.0", "3.10.0")
        'TensorFlow >=2.20,<2.22 and Keras >=3.10,<4: OK'
    """
    def minor(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", version)[:2])

    for (name, (oldest, newer)), found in zip(SUPPORTED.items(), (tensorflow, keras), strict=True):
        if not minor(oldest) <= minor(found) < minor(newer):
            raise RuntimeError(f"the course needs {name} >={oldest},<{newer}, found {found}")
    return " and ".join(f"{name} >={oldest},<{newer}" for name, (oldest, newer) in SUPPORTED.items()) + ": OK"


def report() -> dict[str, str]:
    """Versions and hardware (imports TensorFlow); used in notebook 00, section "Setup", and by :func:`main`."""
    import keras
    import numpy
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return {
        "Python": platform.python_version(),
        "TensorFlow": tf.__version__,
        "Keras": keras.__version__,
        "NumPy": numpy.__version__,
        "CPU cores": str(os.cpu_count()),
        "GPU": ", ".join(g.name for g in gpus) if gpus else "none (everything runs on the CPU)",
    }


def safe_console() -> None:
    """Let ``data_download.py`` and :mod:`helpers.classify` print any path or Chinese text on any console.

    A Windows console with a legacy code page (cp1252, say) cannot encode every character of a path such as
    ``C:\\Users\\李\\课程``; printing it would crash.  Such characters print as ``?`` instead.
    """
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def main(argv: list[str]) -> int:
    """``python -m helpers.environment [install-kernel]``, which ``python course.py setup`` runs; returns the exit
    status."""
    if argv[:1] == ["install-kernel"]:
        folder = install_kernel()
        print(f"installed Jupyter kernel {KERNEL_NAME!r} in {folder}")
        return 0
    if argv:
        print("usage: python -m helpers.environment [install-kernel]", file=sys.stderr)
        return 2
    for key, value in report().items():
        print(f"{key:<11}{value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
