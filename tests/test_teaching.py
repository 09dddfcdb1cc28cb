"""The teachers' guide (TEACHING.md) covers every numbered notebook in English and in Chinese, the README links it,
and every number it quotes is one the course measured: printed or set by a cell of the notebook whose
section quotes it, or in ``benchmarks/RESULTS.md`` or, for that notebook's cell times, in
``helpers/measured/course_runtime_cells.csv``. Text outside a notebook's section may quote only the benchmarks.

The number check reuses ``quoted_numbers`` and ``supported`` of ``test_notebook_prose.py`` (what counts as a quoted
number, and when a value supports it); its sources are the whole notebook, not one section.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from test_notebook_prose import Values, cell_values, quoted_numbers, supported, values_of

from helpers.paths import PROJECT_ROOT

GUIDE = PROJECT_ROOT / "TEACHING.md"
NOTEBOOKS = {path.name[:2]: path for path in sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
RESULTS = PROJECT_ROOT / "benchmarks" / "RESULTS.md"
CELL_TIMES = PROJECT_ROOT / "helpers" / "measured" / "course_runtime_cells.csv"
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
ENGLISH = re.compile(r"^Notebook (\d\d)\b")  # "## Notebook 03 · Fine-tuning ..."
CHINESE = re.compile(r"^笔记本 ?(\d\d)\b")  # "### 笔记本 03 · 热狗识别 ..."


def sections(markdown: str) -> list[tuple[str | None, str, str]]:
    """Split the guide into (notebook number or None, language "en"/"zh"/None, text) pieces.

    A heading "Notebook NN ..." or "笔记本 NN ..." opens notebook NN's section; the next heading of the same or a
    higher level closes it. Lines inside ``` blocks are never headings.
    """
    pieces, current, language, level, lines, fenced = [], None, None, 0, [], False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        match = None if fenced else HEADING.match(line)
        if match and (current is None or len(match.group(1)) <= level):
            pieces.append((current, language, "\n".join(lines)))
            current, language, lines = None, None, []
            title = match.group(2).strip()
            for lang, pattern in (("en", ENGLISH), ("zh", CHINESE)):
                found = pattern.match(title)
                if found:
                    current, language, level = found.group(1), lang, len(match.group(1))
        lines.append(line)
    pieces.append((current, language, "\n".join(lines)))
    return [piece for piece in pieces if piece[2].strip()]


def cell_times(notebook: str | None = None) -> Values:
    """The measured cell times of one notebook (of all, for ``None``)."""
    with open(CELL_TIMES, newline="") as f:
        rows = [row for row in csv.DictReader(f) if notebook is None or row["notebook"][:2] == notebook]
    return Values(values_of("\n".join(value for row in rows for column, value in row.items()
                                      if column.startswith("seconds"))))


def notebook_values(path: Path) -> Values:
    """Every number a notebook's code cells write or print (Keras's per-epoch lines left out, as in a lesson), and
    every number its Markdown quotes (which test_notebook_prose ties to their sources, training logs included)."""
    values, quoted = Values(), []
    for cell in json.loads(path.read_text()).get("cells", []):
        if cell["cell_type"] == "code":
            values |= cell_values(cell)
        else:
            quoted += [quote.number for quote in quoted_numbers("".join(cell["source"]))]
    return values | Values(values_of(" ".join(quoted)))


def unsupported(text: str, values: Values) -> list[str]:
    return [quote.text for quote in quoted_numbers(text) if not supported(quote, values)]


def unsupported_numbers(markdown: str) -> list[str]:
    """What the guide quotes that no notebook output, code or benchmark result supports, section by section."""
    problems = []
    results = Values(values_of(RESULTS.read_text()))
    for notebook, language, text in sections(markdown):
        if notebook is not None and notebook not in NOTEBOOKS:
            problems.append(f"section for notebook {notebook}, which does not exist")
            continue
        values = results | cell_times(notebook)
        if notebook is not None:
            values |= notebook_values(NOTEBOOKS[notebook])
        missing = unsupported(text, values)
        if missing:
            where = f"notebook {notebook} ({language})" if notebook else "general text"
            problems.append(f"{where}: {', '.join(missing)}")
    return problems


def test_the_guide_has_a_section_for_every_notebook_in_both_languages():
    covered = {(notebook, language) for notebook, language, _ in sections(GUIDE.read_text()) if notebook}
    missing = [f"{number} ({language})" for number in NOTEBOOKS for language in ("en", "zh")
               if (number, language) not in covered]
    assert NOTEBOOKS and not missing, f"TEACHING.md has no section for notebook(s) {', '.join(missing)}"


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_each_english_section_covers_what_a_teacher_needs(number: str):
    text = next(text for notebook, language, text in sections(GUIDE.read_text())
                if notebook == number and language == "en")
    parts = ["Prerequisites", "Learning goals", "Time", "Live or stored", "Points to stress", "Common mistakes",
             "Discussion prompts"]
    missing = [part for part in parts if f"**{part}" not in text]
    assert not missing, f"notebook {number}'s section lacks: {', '.join(missing)}"


@pytest.mark.parametrize("number", sorted(NOTEBOOKS))
def test_each_chinese_section_covers_goals_time_cells_points_and_prompts(number: str):
    text = next(text for notebook, language, text in sections(GUIDE.read_text())
                if notebook == number and language == "zh")
    missing = [part for part in ("目标", "时间", "现场", "要点", "讨论题") if f"**{part}" not in text]
    assert not missing, f"notebook {number}'s Chinese section lacks: {', '.join(missing)}"


def test_the_readme_links_the_guide_in_both_languages():
    readme = PROJECT_ROOT / "README.md"
    english, chinese = readme.read_text().split("## 快速开始（中文）", 1)
    assert "](TEACHING.md" in english, "README's English part does not link TEACHING.md"
    assert "](TEACHING.md" in chinese, "README's Chinese part does not link TEACHING.md"


def test_every_decimal_in_the_guide_was_measured():
    problems = unsupported_numbers(GUIDE.read_text())
    assert not problems, "TEACHING.md quotes numbers that no output of its notebook prints: " + "; ".join(problems)


def test_the_check_reports_a_made_up_number():
    """A test of the test: the real guide with one invented number, in each kind of section."""
    guide = GUIDE.read_text()
    assert sections(guide)[0][0] is None
    assert unsupported_numbers(guide) == []  # the guide as it is passes ...
    english = guide.replace("**Discussion prompts.**", "**Discussion prompts.** It scored 0.937 once.", 1)
    assert unsupported_numbers(english) == ["notebook 00 (en): 0.937"]
    chinese = guide.replace("- **讨论题**：", "- **讨论题**：准确率0.937。", 1)
    assert unsupported_numbers(chinese) == ["notebook 00 (zh): 0.937"]
    general = guide.replace("## Before class: a checklist", "## Before class: a checklist\n\nIt takes 12.34 s.", 1)
    assert unsupported_numbers(general) == ["general text: 12.34 s"]
    # A number from another notebook's output does not count: 0.950 is notebook 03's test accuracy, not 00's.
    assert "0.950" not in json.dumps(json.loads(NOTEBOOKS["00"].read_text()))
    borrowed = guide.replace("**Discussion prompts.**", "**Discussion prompts.** Compare 0.950.", 1)
    assert unsupported_numbers(borrowed) == ["notebook 00 (en): 0.950"]
    # ... and a heading inside a code block opens no section.
    fenced = "```bash\n# Notebook 03 · not a heading\n```\nNothing at 0.950 here.\n"
    assert sections(fenced) == [(None, None, fenced.rstrip("\n"))]
    assert unsupported_numbers(fenced) == ["general text: 0.950"]


def test_sections_split_where_expected():
    text = "# Guide\n\nintro\n\n## Notebook 01 · x\n\na\n\n### sub\n\nb\n\n## Other\n\nc\n\n### 笔记本 02 · y\n\nd\n"
    found = [(notebook, language) for notebook, language, _ in sections(text)]
    assert found == [(None, None), ("01", "en"), (None, None), ("02", "zh")]
    assert "### sub" in sections(text)[1][2]  # a sub-heading stays in its notebook's section
    assert Path(GUIDE).name == "TEACHING.md"
