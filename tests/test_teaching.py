"""The teachers' guide (TEACHING.md) covers every numbered notebook in English and in Chinese, the README links it,
and every number it quotes is one the course measured: printed or set by a cell of the notebook whose
section quotes it, or in ``benchmarks/RESULTS.md`` or, for that notebook's cell times, in
``helpers/measured/course_runtime_cells.csv``. Text outside a notebook's section may quote only the benchmarks.

The Chinese part ("## 教师指南（中文）") has the English part's outline: the same sections in the same order (the
English ``##`` sections are ``###`` sections there, named in ``SECTION_NAMES``), each with the same labelled parts
(``**Prerequisites.**`` is ``**先修知识**：``, see ``PART_NAMES``) and, in each part, as many top-level list items
(discussion prompts, mistakes, checklist steps) and table rows (lesson plans) as the English. Its links lead
somewhere, and to the Chinese edition of a notebook where there is one.

The number check reuses ``quoted_numbers`` and ``supported`` of ``test_notebook_prose.py`` (what counts as a quoted
number, and when a value supports it); its sources are the whole notebook, not one section.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
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
CHINESE_PART = re.compile(r"^## 教师指南（中文）$", re.M)
SECTION_NAMES = {  # the English part's ## sections and their ### sections in the Chinese part
    "Before class: a checklist": "课前检查",
    "Teaching in Chinese": "用中文授课",
    "Presenting as slides": "以幻灯片放映",
    "Exercises and their solutions": "练习与参考答案",
    "The lessons at a glance": "课时一览",
    "Offline classrooms": "离线教室",
    "No GPU? That is the default": "没有 GPU？这是默认情况",
}
PART_NAMES = {  # a notebook section's labelled parts, English and Chinese
    "Prerequisites": "先修知识",
    "Learning goals": "学习目标",
    "Time": "时间",
    "Live or stored": "现场运行还是展示保存的输出",
    "A 90-minute plan": "90 分钟教学安排",
    "What must still run": "必须运行的单元格",
    "Short of time": "时间不够时",
    "Points to stress": "要点",
    "Common mistakes": "常见错误",
    "Discussion prompts": "讨论题",
}
PROMPTS = PART_NAMES["Discussion prompts"]
# A label opens a line: "**Prerequisites.**", "**Discussion prompts, with model answers.**", "*Short of time.*" in
# English; "**先修知识**：", "**讨论题**（附参考答案）：" in Chinese.
ENGLISH_LABEL = re.compile(r"^(\*\*?)(?P<name>[A-Z][^*.,?]*)[^*]*?[.?]\1(?!\*)")
CHINESE_LABEL = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*(?:（[^）]*）)?：")
LIST_ITEM = re.compile(r"^(?:[-*+]|\d+\.)\s")  # top level only: a prompt's indented answer is part of its item
TABLE_ROW = re.compile(r"^\|(?!\s*:?-{3})")  # header and body rows, not the |---| line
LINK = re.compile(r"\]\(([^)\s]+)\)")


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


@dataclass
class Part:
    """A labelled part of a section (the text before the first label has the label ""), and what it lists."""
    label: str
    items: int = 0
    rows: int = 0


def outline(text: str, level: int, label: re.Pattern) -> dict[str, list[Part]]:
    """One language's part of the guide: its sections (headings of ``level``; a notebook's keyed "notebook NN"),
    each as its labelled parts in order. Lines inside ``` blocks count for nothing."""
    found: dict[str, list[Part]] = {}
    current, fenced = None, False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else HEADING.match(line)
        if heading and len(heading.group(1)) <= level:
            current = None
            if len(heading.group(1)) == level:
                title = heading.group(2).strip()
                number = ENGLISH.match(title) or CHINESE.match(title)
                current = found.setdefault(f"notebook {number.group(1)}" if number else title, [Part("")])
        elif current is not None and not fenced:
            if labelled := label.match(line):
                current.append(Part(labelled.group("name").strip()))
            elif LIST_ITEM.match(line):
                current[-1].items += 1
            elif TABLE_ROW.match(line):
                current[-1].rows += 1
    return found


def parts_of_the_guide(markdown: str) -> tuple[str, str]:
    english, chinese = CHINESE_PART.split(markdown, maxsplit=1)
    return english, chinese


def structure_problems(markdown: str) -> list[str]:
    """Where the Chinese part's outline differs from the English part's (sections, their labelled parts, and the
    number of list items and table rows in each part)."""
    english, chinese = parts_of_the_guide(markdown)
    wanted, got = outline(english, 2, ENGLISH_LABEL), outline(chinese, 3, CHINESE_LABEL)
    problems = [f"English section '{key}' has no Chinese name in SECTION_NAMES"
                for key in wanted if not key.startswith("notebook ") and key not in SECTION_NAMES]
    names = {SECTION_NAMES.get(key, key): parts for key, parts in wanted.items()}
    problems += [f"the Chinese part has no section '### {key}'" for key in names if key not in got]
    problems += [f"the Chinese section '### {key}' has no English counterpart" for key in got if key not in names]
    if not problems and list(got) != list(names):
        problems.append(f"the Chinese sections are in another order: {list(got)}, not {list(names)}")
    for key, english_parts in names.items():
        chinese_parts = got.get(key)
        if chinese_parts is None:
            continue
        labels = [PART_NAMES.get(part.label, f"(no Chinese name for '{part.label}')") if part.label else ""
                  for part in english_parts]
        found = [part.label for part in chinese_parts]
        if found != labels:
            problems.append(f"{key}: the parts are {found[1:]}, the English has {labels[1:]}")
            continue
        for label, mine, theirs in zip(labels, chinese_parts, english_parts, strict=True):
            where = f"{key} · {label}" if label else key
            if label == PROMPTS and mine.items != theirs.items:
                problems.append(f"{where}: {mine.items} discussion prompts, the English has {theirs.items}")
            elif mine.items != theirs.items:
                problems.append(f"{where}: {mine.items} list items, the English has {theirs.items}")
            if mine.rows != theirs.rows:
                problems.append(f"{where}: {mine.rows} table rows, the English has {theirs.rows}")
    return problems


def prompt_counts(markdown: str) -> dict[str, tuple[int, int]]:
    """Each notebook's number of discussion prompts, English and Chinese."""
    english, chinese = parts_of_the_guide(markdown)
    count = lambda parts, name: sum(p.items for p in parts if p.label == name)  # noqa: E731
    wanted, got = outline(english, 2, ENGLISH_LABEL), outline(chinese, 3, CHINESE_LABEL)
    return {key: (count(parts, "Discussion prompts"), count(got.get(key, []), PROMPTS))
            for key, parts in wanted.items() if key.startswith("notebook ")}


def test_the_chinese_part_has_the_english_parts_outline():
    guide = GUIDE.read_text()
    problems = structure_problems(guide)
    assert not problems, "TEACHING.md's Chinese part differs from the English: " + "; ".join(problems)
    counts = prompt_counts(guide)
    assert counts.keys() == {f"notebook {number}" for number in NOTEBOOKS}
    assert all(english > 0 for english, _ in counts.values()), counts


def test_the_outline_check_reports_a_missing_prompt_part_or_section():
    """A test of the test: copies of the guide with one prompt, one labelled part or one section taken out."""
    guide = GUIDE.read_text()
    chinese_02 = next(text for notebook, language, text in sections(guide) if (notebook, language) == ("02", "zh"))
    prompts = chinese_02.split("**讨论题**", 1)[1]
    first_prompt = next(line for line in prompts.splitlines() if line.startswith("- "))
    one_prompt_less = guide.replace(chinese_02, chinese_02.replace(first_prompt + "\n", "", 1))
    english, chinese = prompt_counts(guide)["notebook 02"]
    assert structure_problems(one_prompt_less) == [
        f"notebook 02 · 讨论题: {chinese - 1} discussion prompts, the English has {english}"]
    no_mistakes = guide.replace(chinese_02, chinese_02.replace("**常见错误**：", "常见错误：", 1))
    parts_02 = ["先修知识", "学习目标", "时间", "现场运行还是展示保存的输出", "90 分钟教学安排", "必须运行的单元格",
                "时间不够时", "要点", "常见错误", "讨论题"]
    without_mistakes = [part for part in parts_02 if part != "常见错误"]
    assert structure_problems(no_mistakes) == [
        f"notebook 02: the parts are {without_mistakes}, the English has {parts_02}"]
    no_offline = guide.replace("### 离线教室\n", "", 1)
    assert "the Chinese part has no section '### 离线教室'" in structure_problems(no_offline)
    one_row_less = guide.replace("| 87–90 | 总结、练习 | 布置练习 |\n", "", 1)
    assert structure_problems(one_row_less) == ["notebook 02 · 90 分钟教学安排: 8 table rows, the English has 9"]
    # ... and an English prompt without its Chinese translation is reported the same way.
    added = guide.replace("**Discussion prompts.**\n", "**Discussion prompts.**\n- Why?\n", 1)
    assert structure_problems(added) == ["notebook 00 · 讨论题: 2 discussion prompts, the English has 3"]


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives the headings: lower case, punctuation dropped, spaces as hyphens."""
    return {re.sub(r"[^\w\- ]", "", match.group(2).strip().lower()).replace(" ", "-")
            for match in map(HEADING.match, markdown.splitlines()) if match}


def link_problems(markdown: str, root: Path = PROJECT_ROOT) -> list[str]:
    """Relative links that lead nowhere, and links from the Chinese part to an English notebook that has a
    Chinese edition."""
    problems, anchors = [], heading_anchors(markdown)
    for language, text in zip(("en", "zh"), parts_of_the_guide(markdown), strict=True):
        for target in LINK.findall(re.sub(r"`[^`\n]*`", "", text)):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            if not file_part:
                if anchor not in anchors:
                    problems.append(f"({language}) #{anchor}: no such heading")
            elif not (root / file_part).exists():
                problems.append(f"({language}) {target} does not exist")
            elif language == "zh" and re.match(r"notebooks/(?:solutions/)?\d\d_.*\.ipynb$", file_part) and (
                    root / "notebooks" / "zh" / file_part.removeprefix("notebooks/")).exists():
                problems.append(f"(zh) {target}: link the Chinese edition, "
                                f"notebooks/zh/{file_part.removeprefix('notebooks/')}")
    return problems


def test_the_guides_links_lead_somewhere_and_the_chinese_part_to_the_chinese_edition():
    problems = link_problems(GUIDE.read_text())
    assert not problems, "TEACHING.md: " + "; ".join(problems)


def test_the_link_check_can_fail():
    guide = GUIDE.read_text()
    english_notebook = guide.replace("](notebooks/zh/03_fine_tuning_hotdog.ipynb)",
                                     "](notebooks/03_fine_tuning_hotdog.ipynb)", 1)
    assert link_problems(english_notebook) == [
        "(zh) notebooks/03_fine_tuning_hotdog.ipynb: link the Chinese edition, "
        "notebooks/zh/03_fine_tuning_hotdog.ipynb"]
    assert link_problems(guide.replace("](#离线教室)", "](#离线课堂)", 1)) == ["(zh) #离线课堂: no such heading"]
    assert link_problems(guide.replace("](benchmarks/RESULTS.md)", "](benchmarks/RESULT.md)", 1)) == [
        "(en) benchmarks/RESULT.md does not exist"]


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
    chinese = guide.replace("**讨论题**：", "**讨论题**：准确率0.937。", 1)
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
