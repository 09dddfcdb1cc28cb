#!/usr/bin/env python3
"""Wall time of executing each notebook end to end, and of each of its code cells, in a fresh course kernel.

Runs every ``notebooks/NN_*.ipynb`` (or the ones named) with nbclient in the ``augment-course`` kernel, as
``python course.py regenerate`` does, but without writing the notebooks back. Each notebook runs twice, one run
right after the other (which goes first alternates): ``native`` (oneDNN uses every instruction this CPU has,
AVX-512 on the reference Xeon) and ``avx2`` (the kernel gets ``ONEDNN_MAX_CPU_ISA=AVX2``, so oneDNN, which does
TensorFlow's convolutions and matrix products here, dispatches only to the AVX2/FMA code a laptop without AVX-512
runs). Before the notebooks, a small convolution in each configuration, with ``ONEDNN_VERBOSE=1``, shows which ISA
oneDNN actually dispatched to.

Every code cell's wall time in each run (from the execution timestamps nbclient records) goes to
``helpers/measured/course_runtime_cells.csv``, one column per run; the slowest cells are printed and named in
``RESULTS.md``. The classroom limits (no cell over 45 s, the course under 10 minutes) are checked on every run, so
on the slower one: the exit status is 1 when one is broken.

    python benchmarks/course_runtime.py                    # every notebook, both runs; writes RESULTS.md, cell times
    python benchmarks/course_runtime.py notebooks/04_input_pipeline_speed.ipynb   # some notebooks, no save
    python benchmarks/course_runtime.py --isa avx2 notebooks/03_fine_tuning_hotdog.ipynb   # only the capped run
    python benchmarks/course_runtime.py --smoke            # only notebook 00 (a quick check that it works), no save
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import re
import subprocess
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
# run name -> (label in the report, what the kernel's environment gets)
RUNS = {"native": ("native", {}), "avx2": ("AVX2 cap", {"ONEDNN_MAX_CPU_ISA": "AVX2"})}
ISA_VARIABLES = ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")  # DNNL_ is the older name oneDNN still reads
ONEDNN_PROBE = "import tensorflow as tf; tf.nn.conv2d(tf.ones([8, 32, 32, 32]), tf.ones([3, 3, 32, 64]), 1, 'SAME')"

Timing = tuple[int, float, str]  # (code cell number, seconds, first line)
Results = dict[str, dict[str, tuple[float, list[Timing]]]]  # run -> notebook stem -> (wall time, cell timings)


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


def kernel_env(run: str) -> dict[str, str]:
    """The kernel's environment for one run: this process's, with the run's ISA cap and no other."""
    env = {name: value for name, value in os.environ.items() if name not in ISA_VARIABLES}
    return env | RUNS[run][1]


def run_notebook(path: Path, env: dict[str, str]) -> tuple[float, list[Timing]]:
    """Execute ``path`` in a kernel started with ``env``; return its wall time and each code cell's timing."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=KERNEL_NAME, timeout=1800, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(env=env)
    total = time.perf_counter() - start
    code = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.strip()]
    return total, [(number, cell_seconds(cell), first_line(cell.source)) for number, cell in enumerate(code, 1)]


def first_line(source: str) -> str:
    """The line that names a cell in the report: its first, after any nbval ``# NBVAL_...`` comment markers."""
    lines = [line for line in source.strip().splitlines() if not line.startswith("# NBVAL_")]
    return (lines or [""])[0][:60]


def parse_onednn_verbose(text: str) -> str:
    """The ISA oneDNN reports in its verbose output, and the implementation a convolution ran, if it ran one."""
    isa = re.search(r"^(?:onednn|dnnl)_verbose,(?:v\d+,)?info,cpu,isa:(.+)$", text, re.MULTILINE)
    conv = re.search(r"^(?:onednn|dnnl)_verbose,(?:v\d+,)?(?:primitive,)?exec,cpu,convolution,([^,]+),",
                     text, re.MULTILINE)
    if isa is None:
        return "unknown (oneDNN printed nothing: not in use?)"
    return isa.group(1).strip() + (f" (a convolution ran `{conv.group(1)}`)" if conv else "")


def onednn_isa(env: dict[str, str]) -> str:
    """Which ISA oneDNN dispatches to under ``env``: one small convolution in a fresh Python, ONEDNN_VERBOSE=1."""
    result = subprocess.run([sys.executable, "-c", ONEDNN_PROBE], capture_output=True, text=True, timeout=300,
                            env=env | {"ONEDNN_VERBOSE": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
    return parse_onednn_verbose(result.stdout + result.stderr)


def slowest(timings: list[Timing]) -> Timing:
    return max(timings, key=lambda t: t[1]) if timings else (0, 0.0, "")


def course_seconds(notebooks: dict[str, tuple[float, list[Timing]]]) -> float:
    return sum(total for total, _ in notebooks.values())


def table(results: Results) -> tuple[list[str], list[list[str]]]:
    """RESULTS.md's table: per notebook, each run's wall time, then each run's slowest cell, and a total row."""
    runs = list(results)
    labels = [RUNS[run][0] for run in runs]
    headers = ["notebook", *(f"wall time, {label}" for label in labels),
               *(f"slowest cell, {label}" for label in labels)]
    rows = []
    for stem in results[runs[0]]:
        cells = [slowest(results[run][stem][1]) for run in runs]
        rows.append([f"`{stem}`", *(f"{results[run][stem][0]:.0f} s" for run in runs),
                     *(f"cell {number}: {seconds:.1f} s" for number, seconds, _ in cells)])
    rows.append(["**all notebooks**", *(f"**{course_seconds(results[run]) / 60:.1f} min**" for run in runs),
                 *("" for _ in runs)])
    return headers, rows


def cell_rows(results: Results) -> list[list]:
    """The cell-time CSV: one row per code cell, one seconds column per run (the header row first)."""
    runs = list(results)
    rows = [["notebook", "code cell", *(f"seconds {run}" for run in runs), "first line"]]
    for stem, (_, timings) in results[runs[0]].items():
        seconds = [{number: s for number, s, _ in results[run][stem][1]} for run in runs]
        rows += [[stem, number, *(f"{by_cell[number]:.2f}" for by_cell in seconds), line]
                 for number, _, line in timings]
    return rows


def limit_problems(results: Results) -> list[str]:
    """Every broken classroom limit, in every run: a cell over MAX_CELL_SECONDS, a course over MAX_COURSE_SECONDS."""
    problems = []
    for run, notebooks in results.items():
        label = RUNS[run][0]
        problems += [f"{label}: {stem} cell {number} took {seconds:.1f} s"
                     for stem, (_, timings) in notebooks.items() for number, seconds, _ in timings
                     if seconds > MAX_CELL_SECONDS]
        if course_seconds(notebooks) > MAX_COURSE_SECONDS:
            problems.append(f"{label}: the course took {course_seconds(notebooks) / 60:.1f} min")
    return problems


def verdict(results: Results) -> str:
    """Each run's slowest cell and course time, and whether every run kept the classroom limits."""
    parts = []
    for run, notebooks in results.items():
        stem, (number, seconds, line) = max(((stem, slowest(timings)) for stem, (_, timings) in notebooks.items()),
                                            key=lambda item: item[1][1])
        parts.append(f"{RUNS[run][0]}: slowest cell {stem} cell {number} (`{line}`), {seconds:.1f} s; "
                     f"the course {course_seconds(notebooks) / 60:.1f} min.")
    problems = limit_problems(results)
    limits = (f"Limits (no cell over {MAX_CELL_SECONDS:.0f} s, the course under {MAX_COURSE_SECONDS / 60:.0f} min), "
              f"checked on every run, so on the slower: ")
    parts.append(limits + ("NOT met: " + "; ".join(problems) + "." if problems else "met."))
    return " ".join(parts)


def runs_note(isa: dict[str, str]) -> str:
    """RESULTS.md's account of the runs: what each changed, which ISA oneDNN used in it, and what the cap models."""
    lines = ["Each notebook ran in every configuration, one run right after the other (which goes first alternates "
             "from notebook to notebook); the ISA oneDNN used in "
             "each is its own report (`ONEDNN_VERBOSE=1`) for a small convolution run in that configuration:", ""]
    for run, name in isa.items():
        label, env = RUNS[run]
        setting = f" (`{' '.join(f'{k}={v}' for k, v in env.items())}` in the kernel's environment)" if env else ""
        lines.append(f"- **{label}**{setting}: oneDNN ISA {name}.")
    return "\n".join([*lines, "",
        "The AVX2 cap runs the kernels the way a CPU without AVX-512 would (most laptops: Intel's consumer chips "
        "since Alder Lake, AMD's before Zen 4). It caps oneDNN only: the primitives TensorFlow hands to oneDNN on "
        "x86 (convolutions, depthwise ones and gradients included, dense layers' matrix products, pooling) and "
        "the matrix products of TensorFlow's Eigen kernels, which call oneDNN's gemm. TensorFlow's other Eigen "
        "kernels (element-wise ops, reductions, `tf.image` ops, JPEG decoding) are compiled for a fixed "
        "instruction set without AVX2, FMA or AVX-512 (TensorFlow's start-up log says using those would take a "
        "rebuild), so they run the same code in both runs and on a laptop. Nor does the cap model a laptop's "
        "clock, caches, memory or number of cores: it measures the instruction-set part of the difference, not "
        "a particular laptop."])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="notebooks to run (default: every notebook)")
    parser.add_argument("--isa", choices=[*RUNS, "both"], default="both",
                        help="native: oneDNN uses every instruction this CPU has; avx2: ONEDNN_MAX_CPU_ISA=AVX2; "
                             "both (default): each notebook in both, one after the other")
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
    runs = list(RUNS) if args.isa == "both" else [args.isa]
    isa = {run: onednn_isa(kernel_env(run)) for run in runs}
    print(f"CPU flags: {common.cpu_flags()}")
    for run in runs:
        print(f"{RUNS[run][0]}: oneDNN ISA {isa[run]}", flush=True)
    results: Results = {run: {} for run in runs}
    for index, path in enumerate(map(Path, notebooks)):
        for run in runs if index % 2 == 0 else runs[::-1]:  # alternate which run goes first (warm caches, load)
            seconds, timings = results[run][path.stem] = run_notebook(path, kernel_env(run))
            number, cell_time, _ = slowest(timings)
            print(f"{path.name:<36}{RUNS[run][0]:<10}{seconds:7.1f} s   slowest cell {number}: {cell_time:.1f} s",
                  flush=True)
    for run, by_notebook in results.items():
        ranked = sorted(((stem, *t) for stem, (_, timings) in by_notebook.items() for t in timings),
                        key=lambda c: -c[2])
        print(f"slowest cells, {RUNS[run][0]} (limit {MAX_CELL_SECONDS:.0f} s):")
        for stem, number, seconds, line in ranked[:args.top]:
            print(f"  {seconds:6.1f} s  {stem} cell {number}: {line}")
    findings = verdict(results)
    print(findings)
    if not args.smoke and (args.save or not args.notebooks):  # the saved table covers the whole course
        common.RESULTS_DIR.mkdir(exist_ok=True)
        with open(common.RESULTS_DIR / CELLS_FILE, "w", newline="") as f:
            csv.writer(f).writerows(cell_rows(results))
        headers, rows = table(results)
        common.save("course_runtime", {
            "title": "Course run time (offline configuration), oneDNN native and capped at AVX2",
            "command": "python benchmarks/course_runtime.py" + ("" if args.isa == "both" else f" --isa {args.isa}"),
            "machine": common.machine(),
            "note": runs_note(isa),
            "method": ("Each notebook executed top to bottom in a fresh `augment-course` kernel with nbclient "
                       "(what `python course.py regenerate` does), data and weights already installed from the mirror; "
                       "wall time includes kernel start-up and the TensorFlow import (about 5-10 s each). A cell's "
                       "time runs from the kernel starting it to its reply (nbclient's timestamps); every code "
                       f"cell's time in each run is in `helpers/measured/{CELLS_FILE}` (one column per run; cells "
                       "numbered among the non-empty code cells)."),
            "headers": headers,
            "rows": rows,
            "findings": findings,
        })
    return 1 if limit_problems(results) else 0


if __name__ == "__main__":
    sys.exit(main())
