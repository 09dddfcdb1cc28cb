"""Every lesson notebook carries the slide metadata that tools/slides.py's rules give (RISE's "Render as slides").

After editing a lesson notebook, re-apply the rules with ``python tools/slides.py``; tests/browser checks that
notebook 03's slides really fit a 1280x720 screen.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import slides  # tools/slides.py (tools/ is on pytest's pythonpath, see pyproject.toml)

from helpers.paths import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "tools" / "slides.py"
LESSONS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def check(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", *map(str, paths)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_there_are_lesson_notebooks():
    assert len(LESSONS) >= 5, LESSONS


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_every_cell_has_the_rules_slide_metadata(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    missing = [i for i, cell in enumerate(notebook["cells"])
               if "slide_type" not in cell["metadata"].get("slideshow", {})]
    assert not missing, f"{path.name}: cells without slideshow metadata: {missing}; run  python tools/slides.py"
    assert slides.differences(notebook) == [], f"{path.name}: run  python tools/slides.py"
    types = [cell["metadata"]["slideshow"]["slide_type"] for cell in notebook["cells"]]
    assert types[0] == "slide" and notebook["cells"][0]["source"][0].startswith("# "), "the title is the first slide"
    assert notebook["metadata"]["rise"]["scroll"] is False


def test_check_passes_on_the_committed_notebooks():
    result = check(*LESSONS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok (") == len(LESSONS)


def test_check_reports_a_notebook_with_one_cell_changed(tmp_path):
    """Test of the test: one cell's slide type changed by hand (a sub-slide made a fragment) is reported."""
    copy = tmp_path / "03_fine_tuning_hotdog.ipynb"
    notebook = json.loads((PROJECT_ROOT / "notebooks" / copy.name).read_text(encoding="utf-8"))
    index = next(i for i, cell in enumerate(notebook["cells"])
                 if cell["metadata"]["slideshow"]["slide_type"] == "subslide")
    notebook["cells"][index]["metadata"]["slideshow"]["slide_type"] = "fragment"
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    result = check(copy)
    assert result.returncode == 1, result.stdout
    assert f"cell {index} (" in result.stdout and "'fragment'" in result.stdout and "'subslide'" in result.stdout


def test_check_reports_a_notebook_without_metadata(tmp_path):
    copy = tmp_path / "00_setup_check.ipynb"
    notebook = json.loads((PROJECT_ROOT / "notebooks" / copy.name).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        cell["metadata"].pop("slideshow", None)
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert check(copy).returncode == 1


def test_apply_writes_only_slide_metadata_and_is_idempotent(tmp_path):
    source = PROJECT_ROOT / "notebooks" / "02_image_data_generator.ipynb"
    copy = tmp_path / source.name
    notebook = json.loads(source.read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        cell["metadata"].pop("slideshow", None)
    notebook["metadata"].pop("rise", None)
    bare = json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    copy.write_text(bare, encoding="utf-8")
    assert slides.apply(copy) is True
    once = copy.read_text(encoding="utf-8")
    assert slides.apply(copy) is False and copy.read_text(encoding="utf-8") == once
    written = json.loads(once)
    assert slides._content(written) == slides._content(json.loads(bare))  # sources, outputs, ids, other metadata
    # the same layout: indent=1, non-ASCII kept, sorted keys, a final newline
    assert once == json.dumps(written, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
    assert "学习目标" in once and once.endswith("}\n")


def rules(*cells: dict) -> list[str]:
    return slides.slide_types(list(cells))


def md(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def code(text: str, lines_of_output: int = 0) -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": "x\n" * lines_of_output}] if lines_of_output else []
    return {"cell_type": "code", "metadata": {}, "source": text, "outputs": outputs, "execution_count": 1}


def test_the_rules_on_a_small_lesson():
    types = rules(
        md("# Title\n\nIntro."), md("## Learning objectives\n\n- one"), md("## Setup\n\nImports."), code("import x"),
        md("## 1. An idea\n\nText."), code("print(1)", 1), code("print(2)", 2),
        md("A second idea."), code("print(3)", 3),
        md("### A sub-section"), code("f()", 38),  # 38 lines of output: too tall to join the heading
        code("g()", 60),  # 60 lines of output: taller than the screen, skipped
        md("## Summary\n\n- done"), md("## Exercises\n\n1. Do it."), code("check()", 1),
    )
    assert types == ["slide", "slide", "notes", "skip",
                     "slide", "fragment", "fragment",
                     "subslide", "fragment",
                     "subslide", "subslide",
                     "skip",
                     "slide", "skip", "skip"]


def test_a_summary_cell_holding_the_exercises_is_a_slide_when_it_fits_else_notes():
    short = md("## Summary\n\n- done\n\n## Exercises\n\n1. Do it.")
    long = md("## Summary\n\n" + "- a point that takes one line\n" * 40 + "\n## Exercises\n\n1. Do it.")
    assert rules(md("# T"), short, code("check()", 1)) == ["slide", "slide", "skip"]
    assert rules(md("# T"), long, code("check()", 1)) == ["slide", "notes", "skip"]


def test_a_hidden_heading_passes_its_slide_on():
    """The cell after the setup (in the notes) starts a slide, not a sub-slide of the objectives."""
    assert rules(md("# T"), md("## Setup\n\nx"), code("import x"), md("Why this model?"), code("f()", 1)) == \
        ["slide", "notes", "skip", "slide", "fragment"]


def test_height_estimates_grow_with_content():
    assert slides.cell_height(code("f()", 10)) > slides.cell_height(code("f()", 2)) > slides.cell_height(code("f()"))
    assert slides.markdown_height("para " * 400) > slides.markdown_height("para " * 40) > 0
    assert slides.markdown_height("# A title") > slides.markdown_height("A title")


def test_the_script_runs_on_the_default_notebooks(tmp_path):
    """`python tools/slides.py --check` (no arguments) covers every lesson notebook, and only those."""
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert sorted(line.split(":")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines()) == \
        sorted(p.name for p in LESSONS)
