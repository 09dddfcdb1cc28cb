"""Smoke tests: every benchmark script runs end to end on a tiny input (the real runs are not part of CI); the
course-runtime report (parsing, tables, classroom limits) is tested on made-up timings without running a notebook."""

from __future__ import annotations

import csv
import importlib
import re
import subprocess
import sys

import nbformat
import pytest

from helpers import data
from helpers.paths import PROJECT_ROOT


def run(script: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, f"benchmarks/{script}", *args], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture
def benchmarks(monkeypatch, tmp_path):
    """The benchmarks' ``common`` and ``course_runtime`` modules, writing their results into ``tmp_path``."""
    monkeypatch.syspath_prepend(str(PROJECT_ROOT / "benchmarks"))
    common = importlib.import_module("common")
    monkeypatch.setattr(common, "RESULTS_DIR", tmp_path / "results")
    monkeypatch.setattr(common, "RESULTS_PAGE", tmp_path / "RESULTS.md")
    return common, importlib.import_module("course_runtime")


def tiny_notebook(folder, sleeps: list[float]):
    """A notebook with one code cell per entry of ``sleeps`` (each sleeps that long) and a markdown cell."""
    cells = [nbformat.v4.new_markdown_cell("# tiny")]
    cells += [nbformat.v4.new_code_cell(f"import time\ntime.sleep({s})", metadata={"tags": ["nbval-ignore-output"]})
              for s in sleeps]
    path = folder / "99_tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


@pytest.mark.slow
@pytest.mark.skipif(not data.is_installed("hotdog-mini"), reason="needs the hot-dog photos")
def test_input_pipelines_smoke():
    out = run("input_pipelines.py", "--smoke").stdout
    for kind in ("decode_only", "idg", "keras_layers", "tf_data"):
        line = next(line for line in out.splitlines() if line.startswith(kind + " "))
        speed, cpu = re.search(r"(\d+) img/s +([\d.]+) CPU ms/img", line).groups()
        assert float(speed) > 0 and float(cpu) > 0, line
    ratio = re.search(r"2 alternating rounds in one process: median ([\d.]+)x \(range ([\d.]+)-([\d.]+)\)", out)
    low, median, high = float(ratio[2]), float(ratio[1]), float(ratio[3])
    assert 0 < low <= median <= high, out


@pytest.mark.slow
def test_model_steps_smoke():
    out = run("model_steps.py", "--smoke").stdout
    lines = [line for line in out.splitlines() if "img/s" in line]
    assert [line.split()[0] for line in lines] == ["mobilenet_v2", "mobilenet", "resnet50"]
    assert all(len(re.findall(r"[\d.]+ img/s", line)) == 3 for line in lines), out


# oneDNN's verbose output on this course's reference Xeon (oneDNN 3.7), uncapped and with ONEDNN_MAX_CPU_ISA=AVX2
VERBOSE_NATIVE = """onednn_verbose,v1,info,oneDNN v3.7.3 (commit N/A)
onednn_verbose,v1,info,cpu,runtime:threadpool,nthr:2
onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with float16, Intel DL Boost and bfloat16 support and Intel AMX \
with bfloat16 and 8-bit integer support
onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx512_core,forward_training,src:f32::blocked:acdb::f0
"""
VERBOSE_AVX2 = """onednn_verbose,v1,info,cpu,isa:Intel AVX2
onednn_verbose,v1,primitive,exec,cpu,reorder,jit:uni,undef,src:f32::blocked:cdba::f0 dst:f32::blocked:Acdb16a::f0
onednn_verbose,v1,primitive,exec,cpu,convolution,brg_conv_fwd:avx2,forward_training,src:f32::blocked:acdb::f0
"""


def made_up_results(capped_cell: float = 30.0, capped_total: float = 300.0):
    """Two runs of two notebooks: the capped run is the slower, its slowest cell ``capped_cell`` s."""
    return {
        "native": {"00_setup": (6.0, [(1, 2.4, "import keras"), (2, 0.1, "x = 1")]),
                   "03_fine": (120.0, [(1, 3.0, "import keras"), (2, 21.3, "small.fit(")])},
        "avx2": {"00_setup": (8.0, [(1, 2.6, "import keras"), (2, 0.1, "x = 1")]),
                 "03_fine": (capped_total - 8.0, [(1, 3.1, "import keras"), (2, capped_cell, "small.fit(")])},
    }


def test_cpu_flags_names_the_vector_extensions_of_proc_cpuinfo(benchmarks):
    common, _ = benchmarks
    xeon = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f avx512bw avx512_vnni amx_tile\n"
    laptop = "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 fma avx_vnni\n"
    assert common.cpu_flags(xeon) == "avx avx2 fma avx512f avx512_vnni amx_tile"
    assert common.cpu_flags(laptop) == "avx avx2 fma"
    assert common.cpu_flags("flags\t: fpu sse2\n").startswith("none of avx avx2")
    assert common.cpu_flags("Processor\t: ARMv8\n") == "unknown"  # no flags line: not an x86 Linux


def test_parse_onednn_verbose_reads_the_isa_and_the_convolution(benchmarks):
    _, course_runtime = benchmarks
    assert course_runtime.parse_onednn_verbose(VERBOSE_AVX2) == "Intel AVX2 (a convolution ran `brg_conv_fwd:avx2`)"
    native = course_runtime.parse_onednn_verbose(VERBOSE_NATIVE)
    assert native.startswith("Intel AVX-512 with float16") and native.endswith("ran `brg_conv_fwd:avx512_core`)")
    older = "dnnl_verbose,info,cpu,isa:Intel AVX2\ndnnl_verbose,exec,cpu,convolution,jit:avx2,forward_training,x\n"
    assert course_runtime.parse_onednn_verbose(older) == "Intel AVX2 (a convolution ran `jit:avx2`)"
    assert course_runtime.parse_onednn_verbose("onednn_verbose,v1,info,cpu,isa:Intel AVX2\n") == "Intel AVX2"
    assert course_runtime.parse_onednn_verbose("").startswith("unknown")


def test_kernel_env_sets_the_runs_cap_and_no_other(benchmarks, monkeypatch):
    _, course_runtime = benchmarks
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")  # left over in a shell: must not cap the native run
    monkeypatch.setenv("DNNL_MAX_CPU_ISA", "AVX")
    monkeypatch.setenv("COURSE_TEST_MARKER", "kept")
    native, capped = course_runtime.kernel_env("native"), course_runtime.kernel_env("avx2")
    assert "ONEDNN_MAX_CPU_ISA" not in native and "DNNL_MAX_CPU_ISA" not in native
    assert capped["ONEDNN_MAX_CPU_ISA"] == "AVX2" and "DNNL_MAX_CPU_ISA" not in capped
    assert native["COURSE_TEST_MARKER"] == capped["COURSE_TEST_MARKER"] == "kept"


def test_table_and_cell_rows_put_the_runs_side_by_side(benchmarks):
    _, course_runtime = benchmarks
    headers, rows = course_runtime.table(made_up_results())
    assert headers == ["notebook", "wall time, native", "wall time, AVX2 cap",
                       "slowest cell, native", "slowest cell, AVX2 cap"]
    assert rows == [["`00_setup`", "6 s", "8 s", "cell 1: 2.4 s", "cell 1: 2.6 s"],
                    ["`03_fine`", "120 s", "292 s", "cell 2: 21.3 s", "cell 2: 30.0 s"],
                    ["**all notebooks**", "**2.1 min**", "**5.0 min**", "", ""]]
    cells = course_runtime.cell_rows(made_up_results())
    assert cells[0] == ["notebook", "code cell", "seconds native", "seconds avx2", "first line"]
    assert cells[1:] == [["00_setup", 1, "2.40", "2.60", "import keras"], ["00_setup", 2, "0.10", "0.10", "x = 1"],
                         ["03_fine", 1, "3.00", "3.10", "import keras"], ["03_fine", 2, "21.30", "30.00", "small.fit("]]
    one_run = {"avx2": made_up_results()["avx2"]}
    assert course_runtime.table(one_run)[0] == ["notebook", "wall time, AVX2 cap", "slowest cell, AVX2 cap"]
    assert course_runtime.cell_rows(one_run)[0] == ["notebook", "code cell", "seconds avx2", "first line"]


def test_limits_apply_to_the_slower_run(benchmarks, monkeypatch):
    _, course_runtime = benchmarks
    within = made_up_results()
    assert course_runtime.limit_problems(within) == []
    assert course_runtime.verdict(within).endswith("checked on every run, so on the slower: met.")
    assert "AVX2 cap: slowest cell 03_fine cell 2 (`small.fit(`), 30.0 s; the course 5.0 min." in (
        course_runtime.verdict(within))
    assert course_runtime.limit_problems(made_up_results(capped_cell=45.0)) == []  # the limit itself is allowed
    # Only the capped run breaks a limit, and that is enough to fail: a fast native run hides nothing.
    assert course_runtime.limit_problems(made_up_results(capped_cell=45.1)) == ["AVX2 cap: 03_fine cell 2 took 45.1 s"]
    assert course_runtime.limit_problems(made_up_results(capped_total=601.0)) == ["AVX2 cap: the course took 10.0 min"]
    assert "NOT met: AVX2 cap: 03_fine cell 2 took 50.0 s." in course_runtime.verdict(made_up_results(capped_cell=50))
    # The test of the test: the same made-up native run fails once the limit is below its slowest cell.
    monkeypatch.setattr(course_runtime, "MAX_CELL_SECONDS", 20.0)
    assert "native: 03_fine cell 2 took 21.3 s" in course_runtime.limit_problems(within)


@pytest.fixture
def no_kernels(benchmarks, monkeypatch):
    """``course_runtime.main`` with made-up notebook runs (by the kernel's ISA cap) and no TensorFlow probe."""
    common, course_runtime = benchmarks
    started = []

    def fake_run(path, env):
        started.append((path.stem, env.get("ONEDNN_MAX_CPU_ISA")))
        return made_up_results(capped_cell=50.0)["avx2" if env.get("ONEDNN_MAX_CPU_ISA") else "native"]["03_fine"]

    monkeypatch.setattr(course_runtime, "run_notebook", fake_run)
    monkeypatch.setattr(course_runtime, "onednn_isa", lambda env: "Intel AVX2" if env.get("ONEDNN_MAX_CPU_ISA")
                        else "Intel AVX-512")
    monkeypatch.setattr(common, "machine", lambda: {"cpu": "made-up CPU", "isa flags": "avx avx2 fma avx512f"})
    return common, course_runtime, started


def test_course_runtime_runs_each_notebook_in_both_and_saves_both(no_kernels, tmp_path, capsys):
    common, course_runtime, started = no_kernels
    notebook = tiny_notebook(tmp_path, [0.0])
    second = tmp_path / "98_other.ipynb"
    second.write_bytes(notebook.read_bytes())
    assert course_runtime.main([str(notebook), str(second), "--save"]) == 1  # the capped run's 50 s cell
    assert started == [("99_tiny", None), ("99_tiny", "AVX2"), ("98_other", "AVX2"), ("98_other", None)]
    out = capsys.readouterr().out
    assert "native: oneDNN ISA Intel AVX-512" in out and "AVX2 cap: oneDNN ISA Intel AVX2" in out
    assert "NOT met: AVX2 cap: 99_tiny cell 2 took 50.0 s; AVX2 cap: 98_other cell 2 took 50.0 s." in out
    with open(common.RESULTS_DIR / course_runtime.CELLS_FILE, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(row["notebook"], row["seconds native"], row["seconds avx2"]) for row in rows] == [
        ("99_tiny", "3.00", "3.10"), ("99_tiny", "21.30", "50.00"), ("98_other", "3.00", "3.10"),
        ("98_other", "21.30", "50.00")]
    page = common.RESULTS_PAGE.read_text()
    assert ("| notebook | wall time, native | wall time, AVX2 cap | slowest cell, native | slowest cell, AVX2 cap |"
            in page)
    assert "| `99_tiny` | 120 s | 292 s | cell 2: 21.3 s | cell 2: 50.0 s |" in page
    assert "| **all notebooks** | **4.0 min** | **9.7 min** |  |  |" in page
    assert "- **AVX2 cap** (`ONEDNN_MAX_CPU_ISA=AVX2` in the kernel's environment): oneDNN ISA Intel AVX2." in page
    assert "isa flags avx avx2 fma avx512f" in page and "It caps oneDNN only" in page


def test_course_runtime_saves_nothing_for_smoke_or_some_notebooks(no_kernels, tmp_path):
    common, course_runtime, started = no_kernels
    notebook = str(tiny_notebook(tmp_path, [0.0]))
    assert course_runtime.main([notebook, "--smoke"]) == 1
    assert course_runtime.main([notebook, "--isa", "native"]) == 0  # the native run alone keeps the limits
    assert started[-1] == ("99_tiny", None) and len(started) == 3
    assert not common.RESULTS_DIR.exists() and not common.RESULTS_PAGE.exists()


@pytest.mark.slow
def test_course_runtime_smoke():
    out = run("course_runtime.py", "--smoke").stdout
    assert out.count("00_setup_check.ipynb") == 2 and "slowest cells, AVX2 cap" in out
    assert re.search(r"^AVX2 cap: oneDNN ISA \S", out, re.MULTILINE), out


@pytest.mark.slow
def test_run_notebook_times_each_cell_in_a_kernel_with_the_runs_environment(benchmarks, tmp_path):
    _, course_runtime = benchmarks
    notebook = tiny_notebook(tmp_path, [0.0, 1.0, 0.2])
    cells = nbformat.read(notebook, as_version=4)
    cells.cells.append(nbformat.v4.new_code_cell("import os\nassert os.environ.get('ONEDNN_MAX_CPU_ISA') == 'AVX2'"))
    nbformat.write(cells, notebook)
    total, timings = course_runtime.run_notebook(notebook, course_runtime.kernel_env("avx2"))
    assert [(number, line) for number, _, line in timings] == [(1, "import time"), (2, "import time"),
                                                               (3, "import time"), (4, "import os")]
    seconds = [s for _, s, _ in timings]
    assert 1.0 <= seconds[1] < 5 and seconds[0] < 1.0 and 0.2 <= seconds[2] < 1.0 and total >= sum(seconds)
    with pytest.raises(Exception, match="AssertionError"):  # the native kernel has no cap: the check can fail
        course_runtime.run_notebook(notebook, course_runtime.kernel_env("native"))


@pytest.mark.slow
def test_the_avx2_cap_takes_effect_in_onednn(benchmarks):
    common, course_runtime = benchmarks
    flags = common.cpu_flags().split()
    if "avx2" not in flags:
        pytest.skip("this CPU has no AVX2")
    capped = course_runtime.onednn_isa(course_runtime.kernel_env("avx2"))
    if capped.startswith("unknown"):
        pytest.skip("this TensorFlow does not run convolutions through oneDNN")
    assert capped.startswith("Intel AVX2"), capped
    if "avx512f" in flags:
        assert "AVX-512" in course_runtime.onednn_isa(course_runtime.kernel_env("native"))


def test_course_runtime_names_a_missing_notebook(tmp_path):
    result = run("course_runtime.py", str(tmp_path / "nope.ipynb"), check=False)
    assert result.returncode == 2 and result.stderr.strip() == f"no such notebook: {tmp_path / 'nope.ipynb'}"
