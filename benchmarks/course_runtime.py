#!/usr/bin/env python3
"""Wall time of executing each notebook end to end, and of each of its code cells, in a fresh course kernel.

Runs every ``notebooks/NN_*.ipynb`` (or the ones named) with nbclient in the ``augment-course`` kernel, as
``python course.py regenerate`` does, but without writing the notebooks back. Every code cell's wall time (from the
execution timestamps nbclient records) goes to ``helpers/measured/course_runtime_cells.csv``; the slowest cells
are printed and named in ``RESULTS.md``. The classroom limits (no cell over 45 s, the course under 10 minutes) are
checked: the exit status is 1 when one is broken.

    python benchmarks/course_runtime.py                    # every notebook, writes RESULTS.md and the cell times
    python benchmarks/course_runtime.py notebooks/04_input_pipeline_speed.ipynb   # some notebooks, no save
    python benchmarks/course_runtime.py --smoke            # only notebook 00 (a quick check that it works), no save
"""

from __future__ import annotations

import argparse
import csv
import datetime
import sys
import time
from pathlib import Path

import common  # benchmarks/common.py, beside this script (a script's folder is sys.path[0])
import nbformat
from nbclient import NotebookClient

from helpers.environment import KERNEL_NAME
from helpers.paths import PROJECT_ROOT

MAX_CELL_SECONDS, MAX_COURSE_SECONDS = 45.0, 600.0
CELLS_FILE = "course_runtime_cells.csv"


def _timestamp(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))


def cell_seconds(cell) -> float:
    """Wall time of one executed code cell: from the kernel starting it to its reply (nbclient's timestamps)."""
    execution = cell.get("metadata", {}).get("execution", {})
    try:
        start, end = execution["iopub.execute_input"], execution["shell.execute_reply"]
    except KeyError:
        raise ValueError("the cell has no execution timestamps: was it executed with record_timing on?") from None
    return (_timestamp(end) - _timestamp(start)).total_seconds()


def run_notebook(path: Path) -> tuple[float, list[tuple[int, float, str]]]:
    """Execute ``path``; return its wall time and ``(code cell number, seconds, first line)`` for each code cell."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=1800, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    code = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    return total, [(number, cell_seconds(cell), first_line(cell.source)) for number, cell in enumerate(code, 1)]


def first_line(source: str) -> str:
    """The line that names a cell in the report: its first, after any nbval ``# NBVAL_...`` comment markers."""
    lines = [line for line in source.strip().splitlines() if not line.startswith("# NBVAL_")]
    return (lines or [""])[0][:60]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every notebook)")
    parser.add_argument("--smoke", action="store_true", help="without notebooks named: notebook 00 only; save nothing")
    parser.add_argument("--save", action="store_true",
                        help="save the results of the notebooks named too (by default only a run of all is saved)")
    parser.add_argument("--top", type=int, default=5, help="how many of the slowest cells to print (default 5)")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if args.smoke and not args.notebooks:
        notebooks = [PROJECT_ROOT / "notebooks" / "00_setup_check.ipynb"]
    missing = [str(p) for p in notebooks if not Path(p).is_file()]
    if missing:
        print(f"no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    rows, cells, total = [], [], 0.0
    for path in notebooks:
        seconds, timings = run_notebook(Path(path))
        total += seconds
        slowest = max(timings, key=lambda t: t[1]) if timings else (0, 0.0, "")
        print(f"{Path(path).name:<36}{seconds:7.1f} s   slowest cell {slowest[0]}: {slowest[1]:.1f} s", flush=True)
        rows.append([f"`{Path(path).stem}`", f"{seconds:.0f} s", f"cell {slowest[0]}: {slowest[1]:.1f} s"])
        cells += [(Path(path).stem, *timing) for timing in timings]
    rows.append(["**all notebooks**", f"**{total / 60:.1f} min**", ""])
    ranked = sorted(cells, key=lambda c: -c[2])
    print(f"slowest cells (limit {MAX_CELL_SECONDS:.0f} s):")
    for stem, number, seconds, first_line in ranked[:args.top]:
        print(f"  {seconds:6.1f} s  {stem} cell {number}: {first_line}")
    over = [c for c in cells if c[2] > MAX_CELL_SECONDS]
    within = not over and total <= MAX_COURSE_SECONDS
    verdict = (f"Slowest cell: {ranked[0][0]} cell {ranked[0][1]} (`{ranked[0][3]}`), {ranked[0][2]:.1f} s. "
               f"Limits: no cell over {MAX_CELL_SECONDS:.0f} s ({len(over)} over), the whole course under "
               f"{MAX_COURSE_SECONDS / 60:.0f} min ({total / 60:.1f} min): {'met' if within else 'NOT met'}."
               if ranked else "No code cells ran.")
    print(verdict)
    if not args.smoke and (args.save or not args.notebooks):  # the saved table covers the whole course
        common.RESULTS_DIR.mkdir(exist_ok=True)
        with open(common.RESULTS_DIR / CELLS_FILE, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["notebook", "code cell", "seconds", "first line"])
            writer.writerows([stem, number, f"{seconds:.2f}", first] for stem, number, seconds, first in cells)
        common.save("course_runtime", {
            "title": "Course run time (offline configuration)",
            "command": "python benchmarks/course_runtime.py",
            "machine": common.machine(),
            "method": ("Each notebook executed top to bottom in a fresh `augment-course` kernel with nbclient "
                       "(what `python course.py regenerate` does), data and weights already installed from the mirror; "
                       "wall time includes kernel start-up and the TensorFlow import (about 5-10 s each). A cell's "
                       "time runs from the kernel starting it to its reply (nbclient's timestamps); every code "
                       f"cell's time is in `helpers/measured/{CELLS_FILE}` (cells numbered among the non-empty "
                       "code cells)."),
            "headers": ["notebook", "wall time", "slowest cell"],
            "rows": rows,
            "findings": verdict,
        })
    return 0 if within else 1


if __name__ == "__main__":
    sys.exit(main())
