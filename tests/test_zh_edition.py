"""The Chinese edition (notebooks/zh/) stays in sync with the English notebooks, by construction and by test.

tools/zh_edition.py builds each Chinese notebook from its English notebook (code cells and stored outputs
copied) and a translation file keyed by cell id and by a hash of the English text. These tests fail when an
English Markdown cell has no translation, when a translation is stale (the English text changed after it was
translated), when a Chinese notebook's code or outputs differ from the English ones, and when the translations
break the glossary's terms (notebooks/zh/GLOSSARY.md), the typesetting rule or a link. (Their numbers are checked
with the English ones, in test_notebook_prose.py.)
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import zh_code  # tools/zh_code.py
import zh_edition as zh  # tools/zh_edition.py (tools/ is on pytest's pythonpath, see pyproject.toml)
import zh_rules  # tools/zh_rules.py: the rules for Chinese text

from helpers.paths import PROJECT_ROOT

EDITIONS = zh.editions()
IDS = [edition.stem for edition in EDITIONS]
GLOSSARY = zh_rules.GLOSSARY
LINK = re.compile(r"\]\(([^)\s]+)\)")
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{3,}\b")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def markdown_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "markdown"]


def chinese(edition) -> dict:
    if not edition.chinese.exists():
        pytest.fail(f"{edition.chinese.relative_to(PROJECT_ROOT)} is missing: translate "
                    f"{edition.english.relative_to(PROJECT_ROOT)} (python tools/zh_edition.py todo {edition.stem})")
    return load(edition.chinese)


# ---- In sync with the English notebooks ---------------------------------------------------------------------

def test_every_numbered_notebook_and_its_solutions_have_an_edition():
    lessons = [e for e in EDITIONS if e.is_lesson]
    assert len(lessons) >= 5 and len(EDITIONS) == 2 * len(lessons), IDS


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_the_chinese_notebook_is_built_from_current_translations(edition):
    problems = zh.check_problems(edition)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_code_cells_are_the_english_code_and_outputs(edition):
    """Same code as the English (tools/zh_code.py: comments and display strings may be Chinese); the English
    outputs, except in cells that show Chinese text, whose outputs are the Chinese notebook's own run."""
    english, translated = load(edition.english), chinese(edition)
    assert [c["id"] for c in translated["cells"]] == [c["id"] for c in english["cells"]], "cells differ"
    for mine, theirs in zip(translated["cells"], english["cells"], strict=True):
        if theirs["cell_type"] != "code":
            continue
        ours, yours = zh.cell_text(theirs), zh.cell_text(mine)
        assert not zh_code.differences(ours, yours), f"code cell {theirs['id']}: {zh_code.differences(ours, yours)}"
        if zh_code.displays_differ(ours, yours):
            assert mine["metadata"].get(zh.OWN_OUTPUTS) == zh.own_outputs_key(yours, theirs), theirs["id"]
            assert bool(mine["outputs"]) == bool(theirs["outputs"]), f"cell {theirs['id']} has no outputs yet"
            mine, theirs = {**mine, "outputs": [], "execution_count": None}, {**theirs, "outputs": [],
                                                                            "execution_count": None}
            mine["metadata"] = {k: v for k, v in mine["metadata"].items() if k != zh.OWN_OUTPUTS}
        # the slide types are recomputed for the Chinese text (tools/slides.py), all else is copied
        assert without_slides({**mine, "source": []}) == without_slides({**theirs, "source": []}), (
            f"code cell {theirs['id']}: its outputs or metadata differ from the English notebook's")


def noisy_outputs(notebook: dict) -> list[str]:
    """Cells with outputs of their own that hold an error or anything on stderr (a warning, a missing glyph)."""
    return [f"cell {cell['id']}: {output.get('ename') or ''.join(output.get('text', ''))[:120]!r}"
            for cell in notebook["cells"] if zh.OWN_OUTPUTS in cell.get("metadata", {})
            for output in cell.get("outputs", [])
            if output["output_type"] == "error" or output.get("name") == "stderr"]


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_the_chinese_run_is_clean(edition):
    assert not noisy_outputs(chinese(edition)), noisy_outputs(chinese(edition))


def test_a_noisy_chinese_run_is_reported():
    cell = {"id": "c", "metadata": {zh.OWN_OUTPUTS: "x"}, "outputs": [
        {"output_type": "stream", "name": "stderr", "text": "UserWarning: Glyph 36718 missing from font(s)"}]}
    assert "Glyph" in noisy_outputs({"cells": [cell]})[0]
    assert not noisy_outputs({"cells": [{**cell, "metadata": {}}]}), "English outputs are the English tests' job"


def without_slides(cell: dict) -> dict:
    metadata = {key: value for key, value in cell.get("metadata", {}).items() if key != "slideshow"}
    return {**cell, "metadata": metadata}


def test_nothing_in_the_chinese_edition_lacks_an_english_original():
    zh_dir = PROJECT_ROOT / "notebooks" / "zh"
    expected = {e.chinese for e in EDITIONS} | {e.translation for e in EDITIONS}
    found = set(zh_dir.glob("*.ipynb")) | set((zh_dir / "solutions").glob("*.ipynb")) | set(
        (zh_dir / "translations").glob("*.md"))
    assert not found - expected, f"no English notebook for: {sorted(str(p) for p in found - expected)}"


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_every_markdown_cell_is_in_chinese(edition):
    """Prose (code spans, links and HTML left out) has more Han characters than English words in every cell."""
    problems = []
    for cell in markdown_cells(chinese(edition)):
        prose = zh_rules.mask(zh.cell_text(cell))
        han, words = len(HAN.findall(prose)), len(ENGLISH_WORD.findall(prose))
        if han < words:
            problems.append(f"cell {cell['id']}: {han} Han characters, {words} English words")
    assert not problems, f"{edition.chinese.name}: cells still mostly in English: " + "; ".join(problems)


# ---- The shape of a lesson, and its links ---------------------------------------------------------------------

def headings(notebook: dict) -> list[tuple[int, str, str]]:
    found = []
    for cell in markdown_cells(notebook):
        in_code = False
        for line in zh.cell_text(cell).splitlines():
            in_code ^= line.startswith("```")
            if not in_code and (match := re.match(r"(#{1,6})\s+(.*)", line)):
                found.append((len(match[1]), match[2].strip(), cell["id"]))
    return found


@pytest.mark.parametrize("edition", [e for e in EDITIONS if e.is_lesson], ids=[e.stem for e in EDITIONS if e.is_lesson])
def test_a_chinese_lesson_has_the_course_shape(edition):
    found = headings(chinese(edition))
    assert [level for level, _, _ in found].count(1) == 1 and found[0][0] == 1, "one H1, first"
    titles = [title for level, title, _ in found if level == 2]
    for required in ("学习目标", "准备工作", "总结", "练习"):
        assert any(title.startswith(required) for title in titles), f"no '## {required}' heading"
    assert titles[0].startswith("学习目标"), "learning objectives come first"


@pytest.mark.parametrize("edition", [e for e in EDITIONS if not e.is_lesson],
                         ids=[e.stem for e in EDITIONS if not e.is_lesson])
def test_chinese_solutions_head_each_exercise_as_lianxi_n(edition):
    english = {cell_id: title for level, title, cell_id in headings(load(edition.english)) if level == 2}
    translated = {cell_id: title for level, title, cell_id in headings(chinese(edition)) if level == 2}
    for cell_id, title in english.items():
        if match := re.match(r"Exercise (\d+)", title):
            got = translated.get(cell_id, "")
            assert re.match(rf"练习 {match[1]}\b", got), f"cell {cell_id}: '## {title}' became '## {got}'"


def link_problems(path: Path, notebook: dict) -> list[str]:
    """Relative links that lead nowhere, and links into a notebook by anything but ``#cell-id=``."""
    problems = []
    for cell in markdown_cells(notebook):
        for target in LINK.findall(zh.cell_text(cell)):
            if re.match(r"[a-z]+:", target):
                continue
            file_part, _, fragment = target.partition("#")
            destination = (path.parent / file_part).resolve() if file_part else path
            if not destination.exists():
                problems.append(f"cell {cell['id']}: {target} does not exist")
                continue
            if fragment and destination.suffix == ".ipynb":
                if not fragment.startswith("cell-id="):
                    problems.append(f"cell {cell['id']}: {target}: link a notebook's cell as #cell-id=ID "
                                    "(JupyterLab does not resolve anchors made of Chinese headings)")
                elif fragment[len("cell-id="):] not in [c["id"] for c in load(destination)["cells"]]:
                    problems.append(f"cell {cell['id']}: {target}: no such cell in {destination.name}")
    return problems


@pytest.mark.parametrize("edition", EDITIONS, ids=IDS)
def test_links_in_the_chinese_edition_lead_somewhere(edition):
    problems = link_problems(edition.chinese, chinese(edition))
    assert not problems, f"{edition.chinese.name}: " + "; ".join(problems)


@pytest.mark.parametrize("edition", [e for e in EDITIONS if e.is_lesson], ids=[e.stem for e in EDITIONS if e.is_lesson])
def test_each_exercise_links_to_its_chinese_solution(edition):
    notebook = chinese(edition)
    exercises = next(zh.cell_text(c) for c in markdown_cells(notebook)
                     if re.match(r"##\s*练习", zh.cell_text(c).lstrip()))
    solutions = edition.chinese.parent / "solutions" / f"{edition.stem}_solutions.ipynb"
    cells = {c["id"]: zh.cell_text(c) for c in load(solutions)["cells"]} if solutions.exists() else {}
    items = re.findall(r"^(\d+)\.\s(.*?)(?=^\d+\.\s|\Z)", exercises, re.M | re.S)
    assert items, "the exercises are a numbered list"
    for number, item in items:
        target = f"solutions/{solutions.name}#cell-id="
        ids = re.findall(re.escape(target) + r"([A-Za-z0-9_-]+)", item)
        assert ids, f"exercise {number} does not link {target}ID"
        assert cells.get(ids[0], "").lstrip().startswith(f"## 练习 {number}"), (
            f"exercise {number} links cell {ids[0]}, which does not open with '## 练习 {number}'")


# ---- One glossary, used consistently --------------------------------------------------------------------------

def chinese_texts() -> dict[str, str]:
    """Every Chinese text of the course: the notebooks' Markdown cells (translations), the Chinese comments and
    strings of their code cells, the Chinese parts of README/TEACHING and the glossary's prose."""
    texts = {e.translation.name: e.translation.read_text(encoding="utf-8")
             for e in EDITIONS if e.translation.exists()}
    for e in EDITIONS:
        if e.chinese.exists():
            texts[f"{e.chinese.name} (代码)"] = "\n".join(
                zh_rules.code_prose(zh.cell_text(c)) for c in load(e.chinese)["cells"] if c["cell_type"] == "code")
    texts.update(guides_in_chinese())
    texts["GLOSSARY.md"] = zh_rules.glossary_prose()
    for e in EDITIONS:  # Chinese words left in the English notebooks (e.g. headings' glosses)
        texts[e.english.name] = "\n\n".join(zh.cell_text(c) for c in markdown_cells(load(e.english)))
    return texts


def guides_in_chinese() -> dict[str, str]:
    """The Chinese parts of README.md and TEACHING.md."""
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    teaching = (PROJECT_ROOT / "TEACHING.md").read_text(encoding="utf-8")
    return {"README.md (中文)": re.split(r"^## 快速开始（中文）$", readme, maxsplit=1, flags=re.M)[-1].split(
                "## For contributors", 1)[0],
            "TEACHING.md (中文)": re.split(r"^## 教师指南（中文）$", teaching, maxsplit=1, flags=re.M)[-1]}


def test_the_glossary_names_the_courses_terms():
    rows = zh_rules.glossary()
    preferred = {term for row in rows for term in row.preferred}
    for term in ("图像增广", "讲义", "微调", "迁移学习", "特征提取", "冻结", "批量归一化", "零样本", "预取", "算子",
                 "调整尺寸", "缩放", "像素值重缩放", "轮"):
        assert term in preferred, f"the glossary has no row preferring {term}"
    image_augmentation = next(row for row in rows if row.english == "image augmentation")
    assert image_augmentation.synonyms == ("图像增强",)
    assert "教材" in [term for term, _ in next(row for row in rows if "讲义" in row.preferred).avoid]


def test_the_glossary_names_d2l_zhs_terms_where_they_differ():
    notes = {row.english: row.note for row in zh_rules.glossary()}
    for english, d2l in (("batch normalization", "批量规范化"), ("epoch", "迭代周期"), ("accuracy", "精度"),
                         ("pooling", "汇聚"), ("dropout", "暂退法")):
        assert "d2l-zh" in notes[english] and d2l in notes[english], f"{english}: {notes[english]!r}"


@pytest.mark.parametrize("name", sorted(chinese_texts()))
def test_chinese_texts_use_the_glossarys_terms(name):
    problems = zh_rules.term_problems(chinese_texts()[name], zh_rules.glossary())
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.parametrize("name", ["README.md (中文)", "TEACHING.md (中文)", "GLOSSARY.md"])
def test_chinese_prose_outside_the_notebooks_is_typeset_too(name):
    text = GLOSSARY.read_text(encoding="utf-8") if name == "GLOSSARY.md" else guides_in_chinese()[name]
    problems = zh_rules.typesetting_problems(text)
    assert not problems, f"{name}: " + "; ".join(problems[:8]) + f" ({len(problems)} in all)"


def test_the_note_the_build_writes_is_typeset_too():
    assert not zh_rules.typesetting_problems(zh.GENERATED_NOTE)


EPOCH_TEXTS = {**{e.chinese.name: e for e in EDITIONS if e.is_lesson}, **dict.fromkeys(guides_in_chinese())}


@pytest.mark.parametrize("name", sorted(EPOCH_TEXTS))
def test_the_first_epoch_is_glossed(name):
    edition = EPOCH_TEXTS[name]
    text = (guides_in_chinese()[name] if edition is None
            else "\n\n".join(zh.cell_text(c) for c in markdown_cells(chinese(edition))))
    problems = zh_rules.epoch_gloss_problems(text)
    assert not problems, f"{name}: {problems}"


def test_the_term_check_can_fail():
    rows = zh_rules.glossary()
    problems = lambda text: zh_rules.term_problems(text, rows)  # noqa: E731
    assert problems("本节按照教材的顺序讲。"), "教材 must be reported"
    assert problems("图像增强是常用的方法。"), "a synonym alone must be reported"
    assert not problems("图像增广（也叫图像增强）是常用的方法。")
    assert not problems("本节按照讲义的顺序讲。")
    # per sentence, table cells included: the preferred term in another sentence or cell does not excuse it
    assert problems("图像增广很常用。图像增强也很常用。")
    assert problems("| 图像增广 | 图像增强 |")
    assert problems("- 图像增广\n- 图像增强")
    # a term inside a code name is no use of it; the word itself still is
    assert not problems("提示：比较 epoch_1、epoch2 和 epochs_differ。") and problems("提示：比较两个 epoch。")
    # words that are wrong only in a context, longer terms and quoted mentions
    assert problems("`tf.image.resize` 把照片缩放到 224×224。") and problems("用 `rescale=1./255` 缩放像素。")
    assert not problems("`zoom_range` 随机缩放图像。") and not problems("随机缩放裁剪来自 `tf.image.resize` 的图像。")
    assert problems("`tf.image` 的每个操作都有三种形式。") and problems("几个算术运算。")
    assert not problems("放映时让学生来操作。") and not problems("不说“精度”。")
    assert problems("每个 epoch 重新增广。") and not problems("训练 5 轮（epoch；《动手学深度学习》称迭代周期）。")
    assert problems("BatchNorm 层保持推理模式。") and problems("调用基础模型。") and problems("数据管道很慢。")
    # Chinese in code cells: comments and strings, found by tokenize
    code = zh_rules.code_prose('x = 1  # 图像增强\nprint(f"用了 {x} 个 epoch")\n%time y = "ok"\n')
    assert problems(code) and len(problems(code)) == 2 and "ok" not in code


def test_the_typesetting_checks_can_fail():
    def found(text: str, what: str) -> bool:
        return any(what in problem for problem in zh_rules.typesetting_problems(text))
    assert found("需要 macOS,Python 3.11。", "half-width ','") and found("见 README(英文)。", "half-width '('")
    assert found("生成,不要直接编辑:请改翻译文件", "half-width ':'")
    assert not zh_rules.typesetting_problems("用 f(x) 和 P(hot dog)，共 1,000 张，比例 3:2，提示“run again; ok”。")
    assert not zh_rules.typesetting_problems("约占 200·200 / (300·451)，因子取自 [1 − z, 1 + z]，即 = (−z, z)。")
    assert found("需要 Python (3.11)。", "half-width '('")
    assert found("这是*重点*。", "italics") and found("这是_重点_。", "italics")
    assert not zh_rules.typesetting_problems("打开 *Settings > Language*，这是**重点**。")
    for wrong in ("面积 10%~100%。", "取 0.5-1.5 之间。", "取 0.5 到 1.5 之间。", "取 0.5 – 1.5。"):
        assert found(wrong, "range"), wrong
    assert found("面积 25–100% 的窗口。", "percent range") and found("占 29 % 的时间。", "space before %")
    assert not zh_rules.typesetting_problems("从 1 到 5 都可以，取 0.5–1.5 或 25%–100%，占 29%。")


def test_tidy_fixes_what_it_can():
    assert zh_rules.tidy("这是*重点*，面积 10%~100%，亮度 0.5 到 1.5，占 29 %，宽 25–100 %。需要 macOS,Python。") == (
        "这是**重点**，面积 10%–100%，亮度 0.5–1.5，占 29%，宽 25%–100%。需要 macOS，Python。")
    assert zh_rules.tidy("答案如下。\n\n*练习原文。第二句：`x`。*\n") == "答案如下。\n\n> 练习原文。第二句：`x`。\n"


def test_the_epoch_gloss_check_can_fail():
    assert zh_rules.epoch_gloss_problems("# 一轮\n\n在色轮上，每一轮都不同。")
    assert not zh_rules.epoch_gloss_problems(f"# 一轮\n\n在色轮上，每一{zh_rules.EPOCH_GLOSS}都不同。")
    assert not zh_rules.epoch_gloss_problems("没有训练。")


# ---- Tests of the sync tests: a tiny course in a temporary folder ----------------------------------------------

@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A course with one English lesson (a heading cell, a code cell) and a complete translation of it."""
    notebooks = tmp_path / "notebooks"
    monkeypatch.setattr(zh, "ROOT", tmp_path)
    monkeypatch.setattr(zh, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(zh, "ZH", notebooks / "zh")
    monkeypatch.setattr(zh, "TRANSLATIONS", notebooks / "zh" / "translations")
    english = {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": ["# 07 · A tiny lesson\n", "\n",
                                                                                "It flips a cat."]},
            {"cell_type": "code", "id": "flip", "metadata": {}, "execution_count": 1, "source": ["print(0.5)"],
             "outputs": [{"name": "stdout", "output_type": "stream", "text": ["0.5\n"]}]},
        ],
        "metadata": {"kernelspec": {"name": "augment-course"}}, "nbformat": 4, "nbformat_minor": 5,
    }
    (notebooks / "zh" / "translations").mkdir(parents=True)
    (notebooks / "solutions").mkdir()
    path = notebooks / "07_tiny.ipynb"
    path.write_text(zh.dump(english))
    translation = notebooks / "zh" / "translations" / "07_tiny.md"
    header = f"<!-- cell title · en {zh.source_hash(zh.cell_text(english['cells'][0]))} -->"
    translation.write_text(f"<!-- 07_tiny 的中文译文 -->\n{header}\n# 07 · 一个小课\n\n它把猫翻转过来，概率 0.5。\n")
    [edition] = zh.editions()
    assert zh.main(["build", "07"]) == 0
    return edition, english, translation


def test_a_built_edition_passes_the_check(tiny_course):
    edition, _, _ = tiny_course
    assert zh.check_problems(edition) == []
    built = load(edition.chinese)
    assert zh.cell_text(built["cells"][0]) == "# 07 · 一个小课\n\n它把猫翻转过来，概率 0.5。"
    assert built["cells"][1]["outputs"][0]["text"] == ["0.5\n"]


def test_a_changed_english_text_makes_its_translation_stale(tiny_course):
    edition, english, _ = tiny_course
    english["cells"][0]["source"][-1] = "It flips a dog."
    edition.english.write_text(zh.dump(english))
    problems = zh.check_problems(edition)
    assert any("cell title" in p and "stale" in p for p in problems), problems
    assert zh.main(["build", "07"]) == 1, "build refuses a stale translation"


def test_a_new_english_cell_without_a_translation_is_reported(tiny_course):
    edition, english, _ = tiny_course
    english["cells"].append({"cell_type": "markdown", "id": "more", "metadata": {}, "source": ["## Summary"]})
    edition.english.write_text(zh.dump(english))
    assert any("no translation of cell more" in p for p in zh.check_problems(edition))
    assert "<!-- cell more · en " in zh.todo(edition) and "## Summary" in zh.todo(edition)


def test_a_hand_edited_code_cell_in_the_chinese_notebook_is_reported(tiny_course):
    edition, _, _ = tiny_course
    built = load(edition.chinese)
    built["cells"][1]["source"] = ["print(0.9)"]
    edition.chinese.write_text(zh.dump(built))
    problems = zh.check_problems(edition)
    assert any("cell 1 (code" in p and "differ from the English" in p for p in problems), problems


def test_untranslated_orphaned_and_unspaced_entries_are_reported(tiny_course):
    edition, english, translation = tiny_course
    header = f"<!-- cell title · en {zh.source_hash(zh.cell_text(english['cells'][0]))} -->"
    translation.write_text(f"{header}\n# 07 · A tiny lesson\n<!-- cell gone · en 000000000000 -->\n旧的\n")
    problems = zh.translation_problems(edition)
    assert any("not translated" in p for p in problems) and any("cell gone" in p for p in problems), problems
    translation.write_text(f"{header}\n# 07 · 一个小课\n\n概率为0.5。\n")
    assert any("space between Chinese" in p for p in zh.translation_problems(edition))
    translation.write_text("<!-- cell title en 1234 -->\n# 07 · 一个小课\n")
    assert any("malformed entry header" in p for p in zh.translation_problems(edition))
    translation.write_text(f"{header}\n# 07 · 一个小课\n\n它把猫翻转过来,概率\n是一半(对吗)?\n")
    problems = zh.translation_problems(edition)
    assert sum("half-width" in p for p in problems) == 4 and any("line break" in p for p in problems), problems
    assert zh.main(["tidy", "07"]) == 0 and zh.translation_problems(edition) == []
    assert translation.read_text().endswith("它把猫翻转过来，概率是一半（对吗）？\n")


def test_emphasis_that_markdown_would_show_as_asterisks_is_reported():
    assert zh_rules.emphasis_problems("**测到了什么。**在这里")  # closes after punctuation, before a Han character
    assert zh_rules.emphasis_problems("在**“引号”** 里")  # opens after a Han character, before punctuation
    assert not zh_rules.emphasis_problems("**测到了什么。** 在这里 *图像增广*（也叫图像增强）\n* 列表项 *斜体*")


def test_tidy_leaves_code_formulas_links_and_tables_alone():
    text = ("用 `fit(x, y)`,见 [第 03 课](03_x.ipynb#cell-id=ab) 和 P(hot dog)、sin(x);1,281,167 张\n\n"
            "| 列 | 值 |\n|---|---|\n| 比例 | (−z, z) |\n\n- 第一项\n- 第二项")
    assert zh_rules.tidy(text) == text.replace("`,见", "`，见").replace("sin(x);", "sin(x)；")


def test_the_link_check_can_fail(tmp_path):
    lesson = tmp_path / "01_x.ipynb"
    (tmp_path / "solutions").mkdir()
    (tmp_path / "solutions" / "01_x_solutions.ipynb").write_text(json.dumps(
        {"cells": [{"cell_type": "markdown", "id": "ex1", "source": "## 练习 1"}]}))
    cell = {"cell_type": "markdown", "id": "c", "source": (
        "[好](solutions/01_x_solutions.ipynb#cell-id=ex1) [坏](solutions/01_x_solutions.ipynb#练习-1) "
        "[无](solutions/01_x_solutions.ipynb#cell-id=nope) [丢](../README.md)")}
    problems = link_problems(lesson, {"cells": [cell]})
    assert len(problems) == 3 and "#cell-id=ID" in problems[0] and "no such cell" in problems[1], problems


def code_entry(cell_id: str, english: str, chinese: str) -> str:
    return f"<!-- code {cell_id} · en {zh.source_hash(english)} -->\n```python\n{chinese}\n```\n"


def test_chinese_comments_keep_the_english_outputs(tiny_course):
    edition, english, translation = tiny_course
    translation.write_text(translation.read_text() + code_entry("flip", "print(0.5)", "print(0.5)  # 一半"))
    assert zh.main(["build", "07"]) == 0 and zh.check_problems(edition) == []
    cell = load(edition.chinese)["cells"][1]
    assert zh.cell_text(cell) == "print(0.5)  # 一半" and cell["outputs"] == english["cells"][1]["outputs"]
    assert not load(edition.chinese)["metadata"]["zh_edition"]["own_outputs"]


def test_a_cell_that_prints_chinese_needs_a_run_of_its_own(tiny_course):
    edition, english, translation = tiny_course
    english["cells"][1]["source"] = ['print("half:", 0.5)']
    edition.english.write_text(zh.dump(english))
    translation.write_text(translation.read_text() + code_entry("flip", 'print("half:", 0.5)', 'print("一半：", 0.5)'))
    assert zh.main(["build", "07"]) == 0
    built = load(edition.chinese)
    assert built["cells"][1]["outputs"] == [] and built["metadata"]["zh_edition"]["own_outputs"]
    assert any("no outputs of their own yet" in p for p in zh.check_problems(edition))
    assert zh.to_run() == [edition]
    built["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["一半： 0.5\n"]}]
    edition.chinese.write_text(zh.dump(built))  # what running the Chinese notebook stores
    assert zh.main(["build", "07"]) == 0 and zh.check_problems(edition) == [] and zh.to_run() == []
    assert load(edition.chinese)["cells"][1]["outputs"][0]["text"] == ["一半： 0.5\n"], "the run's outputs are kept"
    translation.write_text(translation.read_text().replace('print("一半：", 0.5)', 'print("一半：", 0.5)  # 注释'))
    assert zh.main(["build", "07"]) == 0 and load(edition.chinese)["cells"][1]["outputs"], "a comment needs no run"
    english["cells"][1]["outputs"][0]["text"] = ["half: 0.6\n"]  # the English output changed: run again
    edition.english.write_text(zh.dump(english))
    assert zh.main(["build", "07"]) == 0 and load(edition.chinese)["cells"][1]["outputs"] == []


def test_a_chinese_code_cell_that_computes_something_else_is_refused(tiny_course):
    edition, _, translation = tiny_course
    before = translation.read_text()
    translation.write_text(before + code_entry("flip", "print(0.5)", "print(0.9)  # 一半"))
    assert any("'0.9' where the English cell has '0.5'" in p for p in zh.translation_problems(edition))
    assert zh.main(["build", "07"]) == 1
    translation.write_text(before + code_entry("flip", "print(0.4)", "print(0.5)  # 一半"))
    assert any("code cell flip: stale" in p for p in zh.translation_problems(edition))
    translation.write_text(before + code_entry("title", "x", "print(0.5)  # 一半"))
    assert any("cell title is a Markdown cell" in p for p in zh.translation_problems(edition))


@pytest.mark.parametrize("english, chinese", [
    ('hint = "Not quite."\nprint("Fill in x." if x is None else hint)',
     'hint = "不太对。"\nprint("请填写 x。" if x is None else hint)'),
    ('ax.set(xlabel="epochs", title=f"fold {k}")', 'ax.set(xlabel="轮", title=f"第 {k} 折")'),
    ('ax.plot(row, label="one fold" if k == 0 else None)', 'ax.plot(row, label="一折" if k == 0 else None)'),
    ('show(images, titles=["a", f"{n:.1%} of it"])', 'show(images, titles=["甲", f"占 {n:.1%}"])'),
    ('def f():\n    """Doc."""\n    return 1', 'def f():\n    """文档。"""\n    return 1'),
    ('x = 1  # why', '# 原因\nx = 1'),
    ('show(titles=[f"seed {i}" for i in range(4)])', 'show(titles=[f"种子 {i}" for i in range(4)])'),
    ('print(f"{name} epochs: " + ", ".join(x))', 'print(f"{name} 各轮：" + ", ".join(x))'),
])
def test_comments_and_display_strings_may_differ(english, chinese):
    assert zh_code.differences(english, chinese) == []


@pytest.mark.parametrize("english, chinese, where", [
    ('r = results["model alone"]', 'r = results["模型"]', "'\"模型\"'"),
    ('print(f"fold {k}")', 'print(f"第 {k + 1} 折")', "{fields}"),
    ('print(f"{n:.1%}")', 'print(f"{n:.2%}")', "{fields}"),
    ('hint = "no"', 'hin = "不"', "'hin'"),
    ('open("data.txt")', 'open("数据.txt")', "数据"),
    ('plot({"no augmentation": h})', 'plot({"不增广": h})', "不增广"),
    ('print("found:", "photo.gif" in names)', 'print("找到：", "照片.gif" in names)', "照片.gif"),
    ('print("{} photos".format(n))', 'print("{} 张照片".format(n))', "张照片"),
    ('print("x", "photo" + ext in names)', 'print("x", "照片" + ext in names)', "照片"),
    ('x = 1', 'x = 1\ny = 2', "the English cell has ''"),
])
def test_anything_else_that_differs_is_named(english, chinese, where):
    problems = zh_code.differences(english, chinese)
    assert len(problems) == 1 and where in problems[0], problems
