"""Every lesson deck (English and Chinese) carries the slide metadata that tools/slides.py's rules give (RISE's
"Render as slides"), every `##` heading opens its cell (so starts a slide), and no lesson cell is left out.

After editing a lesson notebook, re-apply the rules with ``python tools/slides.py``; tests/browser presents every
deck at 1280x720 and measures that each slide fits (or, for a single cell taller than the screen, scrolls).
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
DECKS = LESSONS + sorted((PROJECT_ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb"))


def load(path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def deck_id(path) -> str:
    return ("zh/" if path.parent.name == "zh" else "") + path.name


def check(*paths) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), "--check", *map(str, paths)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120)


def test_there_are_lesson_notebooks():
    assert len(LESSONS) >= 5 and len(DECKS) == 2 * len(LESSONS), DECKS


@pytest.mark.parametrize("path", DECKS, ids=deck_id)
def test_every_cell_has_the_rules_slide_metadata(path):
    notebook = load(path)
    missing = [i for i, cell in enumerate(notebook["cells"])
               if "slide_type" not in cell["metadata"].get("slideshow", {})]
    assert not missing, f"{path.name}: cells without slideshow metadata: {missing}; run  python tools/slides.py"
    assert slides.differences(notebook) == [], f"{path.name}: run  python tools/slides.py"
    types = [cell["metadata"]["slideshow"]["slide_type"] for cell in notebook["cells"]]
    assert types[0] == "slide" and notebook["cells"][0]["source"][0].startswith("# "), "the title is the first slide"
    assert notebook["metadata"]["rise"]["scroll"] is True  # a single cell taller than the screen scrolls


@pytest.mark.parametrize("path", DECKS, ids=deck_id)
def test_every_section_heading_opens_its_cell(path):
    """Each `##` heading is the first line of its cell, so that the rules can start a slide there."""
    assert slides.misplaced_headings(load(path)) == [], f"{deck_id(path)}: split these cells at the heading"


@pytest.mark.parametrize("path", DECKS, ids=deck_id)
def test_no_lesson_cell_is_left_out_of_the_deck(path):
    """Every cell up to the exercises is on a slide, however tall: none skipped, none only in the speaker notes."""
    assert slides.left_out(load(path)) == [], f"{deck_id(path)}: cells missing from the deck"


def test_a_cell_skipped_for_its_height_is_caught(tmp_path):
    """Test of the test: the tallest lesson cell of notebook 04, skipped as the old rules skipped a cell taller than
    the screen, is named by left_out and by --check; the self-check cells after the exercises are not named."""
    notebook = load(PROJECT_ROOT / "notebooks" / "04_input_pipeline_speed.ipynb")
    exercises = next(i for i, c in enumerate(notebook["cells"]) if "".join(c["source"]).startswith("## Exercises"))
    tallest = max(range(exercises), key=lambda i: slides.cell_height(notebook["cells"][i]))
    assert slides.cell_height(notebook["cells"][tallest]) > slides.SCREEN_HEIGHT
    notebook["cells"][tallest]["metadata"]["slideshow"] = {"slide_type": "skip"}
    assert slides.left_out(notebook) == [tallest]
    copy = tmp_path / "04_input_pipeline_speed.ipynb"
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    result = check(copy)
    assert result.returncode == 1 and f"cell {tallest} (code" in result.stdout and "'skip'" in result.stdout


def test_a_heading_in_the_middle_of_a_cell_is_caught():
    """Test of the test: a `##` heading after a paragraph is named (not one in fenced code, nor a `###`)."""
    notebook = {"cells": [md("## 1. First\n\nText."), md("Text.\n\n## 2. Second\n\nMore."),
                          md("Text.\n\n```\n## a comment\n```\n\n### A sub-section")]}
    found = slides.misplaced_headings(notebook)
    assert len(found) == 1 and found[0].startswith("cell 1 (") and "'2. Second' is on line 3" in found[0], found


def test_check_passes_on_the_committed_notebooks():
    result = check(*DECKS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(": ok (") == len(DECKS)


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
        md("### A sub-section"), code("f()", 32),  # 32 lines of output: too tall to join the heading
        code("g()", 60),  # 60 lines of output: taller than the screen, a sub-slide of its own (it scrolls)
        code("h()", 1),  # does not join the tall cell
        md("## Summary\n\n- done"), md("## Exercises\n\n1. Do it."), md("Self-check:"), code("check()", 1),
    )
    assert types == ["slide", "slide", "slide", "fragment",
                     "slide", "fragment", "fragment",
                     "subslide", "fragment",
                     "subslide", "subslide",
                     "subslide",
                     "subslide",
                     "slide", "slide", "skip", "skip"]
    assert slides.cell_height(code("g()", 60)) > slides.SCREEN_HEIGHT > slides.cell_height(code("f()", 32))


def test_a_summary_cell_holding_the_exercises_is_a_slide_however_long():
    short = md("## Summary\n\n- done\n\n## Exercises\n\n1. Do it.")
    long = md("## Summary\n\n" + "- a point that takes one line\n" * 40 + "\n## Exercises\n\n1. Do it.")
    assert slides.markdown_height("".join(long["source"])) > slides.SCREEN_HEIGHT
    assert rules(md("# T"), short, code("check()", 1)) == ["slide", "slide", "skip"]
    assert rules(md("# T"), long, code("check()", 1)) == ["slide", "slide", "skip"]


def test_height_estimates_grow_with_content():
    assert slides.cell_height(code("f()", 10)) > slides.cell_height(code("f()", 2)) > slides.cell_height(code("f()"))
    assert slides.markdown_height("para " * 400) > slides.markdown_height("para " * 40) > 0
    assert slides.markdown_height("# Title") > slides.markdown_height("## Title") > slides.markdown_height("Title")
    assert slides.markdown_height("汉" * 100) > slides.markdown_height("a" * 100)  # CJK characters are twice as wide
    assert slides.markdown_height("[a](" + "x" * 400 + ")") == slides.markdown_height("a")  # a link's target is unseen


def test_an_image_is_as_tall_as_it_is_shown():
    """The image's size is read from its PNG data; a wider image than the slide is scaled down to its width."""
    import base64
    import io

    from PIL import Image

    def image(width, height):
        buffer = io.BytesIO()
        Image.new("RGB", (width, height)).save(buffer, format="PNG")
        return {"output_type": "display_data", "metadata": {},
                "data": {"image/png": base64.b64encode(buffer.getvalue()).decode()}}

    assert slides.output_height(image(400, 300)) == slides.IMAGE_MARGIN + 300
    assert slides.output_height(image(2 * slides.IMAGE_WIDTH, 1000)) == slides.IMAGE_MARGIN + 500
    broken = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "bm90IGFuIGltYWdl"}}
    assert slides.output_height(broken) == slides.UNKNOWN_OUTPUT


def test_the_script_runs_on_the_default_notebooks(tmp_path):
    """`python tools/slides.py --check` (no arguments) covers every English lesson notebook, and only those."""
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout
    assert sorted(line.split(":")[0].rsplit("/", 1)[-1] for line in result.stdout.splitlines()) == \
        sorted(p.name for p in LESSONS)
