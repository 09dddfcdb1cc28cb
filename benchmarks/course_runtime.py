#!/usr/bin/env python3
"""Wall time of executing each notebook end to end, in a fresh course kernel.

Runs every ``notebooks/NN_*.ipynb`` (or the ones named) exactly as
``./course.sh regenerate`` does, but without writing the notebooks back.

    python benchmarks/course_runtime.py                    # every notebook
    python benchmarks/course_runtime.py --smoke            # only notebook 00 (a quick check that it works)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from helpers.environment import KERNEL_NAME  # noqa: E402
from helpers.paths import PROJECT_ROOT  # noqa: E402


def run_notebook(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=1800,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--smoke", action="store_true", help="time notebook 00 only, and don't save")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.smoke:
        notebooks = [PROJECT_ROOT / "notebooks" / "00_setup_check.ipynb"]
    rows, total = [], 0.0
    for path in notebooks:
        seconds = run_notebook(path)
        total += seconds
        print(f"{path.name:<36}{seconds:7.1f} s", flush=True)
        rows.append([f"`{path.stem}`", f"{seconds:.0f} s"])
    rows.append(["**all notebooks**", f"**{total / 60:.1f} min**"])
    if not args.smoke:
        common.save("course_runtime", {
            "title": "Course run time (offline configuration)",
            "command": "python benchmarks/course_runtime.py",
            "machine": common.machine(),
            "method": ("Each notebook executed top to bottom in a fresh `augment-course` kernel with nbclient "
                       "(what `./course.sh regenerate` does), data and weights already installed from the mirror; "
                       "wall time includes kernel start-up and the TensorFlow import (about 5-10 s each)."),
            "headers": ["notebook", "wall time"],
            "rows": rows,
        })
    return 0


if __name__ == "__main__":
    sys.exit(main())
