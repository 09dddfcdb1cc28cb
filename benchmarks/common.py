"""Shared by the benchmark scripts: machine description, timing, and RESULTS.md.

Each script saves its measurements as ``helpers/measured/<name>.json`` (the lessons read them there, and they
travel in the course's wheel) and then rewrites ``benchmarks/RESULTS.md`` from every saved result, so the page
always shows the latest run of each benchmark with the machine it ran on.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE.parent / "helpers" / "measured"
RESULTS_PAGE = HERE / "RESULTS.md"
ORDER = ["input_pipelines", "model_steps", "course_runtime"]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        result = subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.strip()
    return platform.processor() or "unknown CPU"


ISA_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_flags(cpuinfo: str | None = None) -> str:
    """The vector-instruction flags among ``ISA_FLAGS`` that the CPU reports (Linux's /proc/cpuinfo), or "unknown"."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return "unknown"
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            present = set(line.split(":", 1)[1].split())
            return " ".join(flag for flag in ISA_FLAGS if flag in present) or "none of " + " ".join(ISA_FLAGS)
    return "unknown"


def memory_gib() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def machine() -> dict[str, str]:
    """What the numbers were measured on (TensorFlow is imported for its version)."""
    import keras
    import numpy
    import tensorflow as tf

    gib = memory_gib()
    return {
        "date": datetime.date.today().isoformat(),
        "cpu": cpu_model(),
        "isa flags": cpu_flags(),
        "cores": str(os.cpu_count()),
        "memory": f"{gib:.0f} GiB" if gib else "unknown",
        "gpu": ", ".join(d.name for d in tf.config.list_physical_devices("GPU")) or "none",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": numpy.__version__,
    }


def median(values) -> float:
    return statistics.median(values)


def save(name: str, result: dict) -> Path:
    """Store one benchmark's result and refresh RESULTS.md."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    write_page()
    return path


def _table(headers: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_page() -> None:
    """Rebuild RESULTS.md from every saved result, in a fixed order."""
    saved = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS_DIR.glob("*.json"))}
    parts = ["# Benchmark results", "",
             "Measured by the scripts in this folder (`python benchmarks/<script>.py`); each section is "
             "rewritten when its script runs, and names the machine and the date of that run. "
             "Timings on a shared 2-core machine vary by about ±10-30% between runs: compare ratios "
             "measured in the same run, not numbers from different sections.", ""]
    for name in sorted(saved, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER)):
        result = saved[name]
        parts += [f"## {result['title']}", "", f"Command: `{result['command']}`", "",
                  "Machine: " + ", ".join(f"{k} {v}" for k, v in result["machine"].items()), ""]
        if result.get("note"):
            parts += [result["note"], ""]
        parts += [result["method"], "", _table(result["headers"], result["rows"]), ""]
        if result.get("findings"):
            parts += [result["findings"], ""]
    RESULTS_PAGE.write_text("\n".join(parts))
