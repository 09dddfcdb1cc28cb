"""The web book's pure-Python parts (tools/book.py): its pages and their twins, the table of contents, the link
check, the page bar, alt text, and the check that no page loads from another host. Each check is shown failing on
a planted fault. The Sphinx build itself (which fails on any warning) is tested on a small planted book in
tests/browser/test_book_site.py, which runs after ``python course.py book`` has made the book's venv."""

from __future__ import annotations

import json

import book
import pytest

from helpers.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


def test_every_page_has_a_twin_in_the_other_language():
    pages = book.pages()
    by_path = {page.path: page for page in pages}
    assert len(by_path) == len(pages), "a page listed twice"
    for page in pages:
        twin = by_path[page.twin]
        assert twin.twin == page.path and twin.lang != page.lang, (page, twin)
    lessons = book.lessons()
    assert len(pages) == 2 * (1 + 2 * len(lessons) + 2)  # per language: home, lessons, solutions, guide, glossary
    assert by_path["notebooks/01_image_augmentation.ipynb"].twin == "notebooks/zh/01_image_augmentation.ipynb"
    assert by_path["notebooks/zh/solutions/03_fine_tuning_hotdog_solutions.ipynb"].twin == \
        "notebooks/solutions/03_fine_tuning_hotdog_solutions.ipynb"


def test_every_notebook_of_the_course_is_a_page_of_the_book():
    notebooks = {p.relative_to(ROOT).as_posix() for p in (ROOT / "notebooks").rglob("*.ipynb")
                 if ".ipynb_checkpoints" not in p.parts}
    pages = {page.source for page in book.pages() if page.notebook}
    assert notebooks == pages  # a notebook in a folder the book does not know fails here


def test_a_lesson_without_its_twin_or_solutions_is_an_error(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "07_new.ipynb").write_text("{}")
    (tmp_path / "TEACHING.md").write_text("# x\n")
    with pytest.raises(book.BookError) as caught:
        book.pages(tmp_path)
    message = str(caught.value)
    for missing in ("notebooks/zh/07_new.ipynb", "notebooks/solutions/07_new_solutions.ipynb",
                    "notebooks/zh/solutions/07_new_solutions.ipynb", "notebooks/zh/GLOSSARY.md"):
        assert missing in message


def toc_files(toc: str) -> list[str]:
    return [line.split("file:", 1)[1].strip() for line in toc.splitlines() if "file:" in line]


def test_the_table_of_contents_lists_every_page_once_with_solutions_under_their_lesson():
    pages = book.pages()
    toc = book.toc_yaml(pages)
    listed = ["index"] + toc_files(toc)
    assert sorted(listed) == sorted(book.docname(page.path) for page in pages)
    lines = toc.splitlines()
    lesson = lines.index("      - file: notebooks/zh/02_image_data_generator")
    solutions = "          - file: notebooks/zh/solutions/02_image_data_generator_solutions"
    assert lines[lesson + 1:lesson + 3] == ["        sections:", solutions]
    # Test of the test: the same comparison sees a page the toc leaves out.
    assert sorted(listed[:-1]) != sorted(book.docname(page.path) for page in pages)


NOTEBOOK = "notebooks/01_x.ipynb"
SOLUTIONS = "notebooks/solutions/01_x_solutions.ipynb"
BOOK = {
    NOTEBOOK: [{"cell_type": "markdown", "id": "a1", "source": "# One\n"}],
    SOLUTIONS: [{"cell_type": "markdown", "id": "top", "source": "# Solutions\n"},
                {"cell_type": "markdown", "id": "ex1cell", "source": "## Exercise 1\n\nText"}],
    "TEACHING.md": None,
}
FILES = {"benchmarks/RESULTS.md", "notebooks/zh/x.ipynb", "README.md"}


def resolve(markdown: str, page: str = NOTEBOOK):
    labels, problems, downloads = {}, [], set()
    out = book.resolve_links(markdown, page, BOOK, FILES, labels, problems, downloads)
    return out, labels, problems, downloads


def test_links_to_cells_and_headings_point_at_labels_in_that_cell():
    label = book.cell_label(SOLUTIONS, "ex1cell")
    for anchor in ("cell-id=ex1cell", "Exercise-1"):
        out, labels, problems, _ = resolve(f"see [exercise 1](solutions/01_x_solutions.ipynb#{anchor}).")
        assert out == f"see [exercise 1](#{label})." and labels == {SOLUTIONS: {"ex1cell"}} and not problems
    out, labels, problems, _ = resolve("[guide](../TEACHING.md#before-class) and [web](https://keras.io/x#y)")
    assert out == "[guide](../TEACHING.md#before-class) and [web](https://keras.io/x#y)" and not problems


def test_links_to_repository_files_become_downloads_and_folders_keep_their_words():
    out, _, problems, downloads = resolve("[results](../benchmarks/RESULTS.md), [the benchmarks](../benchmarks/)")
    assert out == "[results](path:../_files/benchmarks/RESULTS.md), the benchmarks" and not problems
    assert downloads == {"benchmarks/RESULTS.md"}


@pytest.mark.parametrize("link, why", [
    ("solutions/01_x_solutions.ipynb#cell-id=nope", "has no cell with that id or heading"),
    ("solutions/01_x_solutions.ipynb#Exercise-9", "has no cell with that id or heading"),
    ("solutions/02_missing.ipynb", "no such page or file"),
    ("#No-such-heading", "has no cell with that id or heading"),
    ("../images/missing.png", "no such page or file"),
])
def test_a_link_that_leads_nowhere_is_a_problem_naming_it(link, why):
    _, _, problems, _ = resolve(f"[x]({link}) and ![figure]({link})")
    assert problems and all(p == f"{NOTEBOOK}: {link}: " + (p.split(": ", 2)[2]) for p in problems)
    assert why in problems[0]


def test_the_page_bar_links_the_twin_and_downloads_the_untouched_notebook():
    page = book.Page("notebooks/zh/solutions/01_x_solutions.ipynb", "zh", "notebooks/solutions/01_x_solutions.ipynb",
                     "notebooks/zh/solutions/01_x_solutions.ipynb")
    bar = book.page_bar(page)
    assert "[English](../../solutions/01_x_solutions.ipynb)" in bar
    assert "[下载此笔记本](path:../../../_files/notebooks/zh/solutions/01_x_solutions.ipynb)" in bar
    assert "下载" not in book.page_bar(book.Page("zh.md", "zh", "index.md", "README.md"))
    assert "[中文](zh.md)" in book.page_bar(book.Page("index.md", "en", "zh.md", "README.md"))


def test_figures_get_alt_text_from_the_prose_before_them():
    cells = [{"cell_type": "markdown", "source": "## 2. Flips\n\nMirroring is the `oldest` trick: it keeps labels. "
                                                 "More text."},
             {"cell_type": "code", "source": "plot()", "outputs": []}]
    assert book.alt_text(cells, 1, "en") == "Figure: 2. Flips — Mirroring is the oldest trick:"
    cells[0]["source"] = "## 2. 翻转\n\n左右翻转是最常用的增广：它保持标签。"
    assert book.alt_text(cells, 1, "zh") == "图: 2. 翻转 — 左右翻转是最常用的增广："


def test_every_figure_of_a_notebook_page_has_alt_text_and_the_bar_follows_the_title():
    page = next(p for p in book.pages() if p.path == "notebooks/zh/01_image_augmentation.ipynb")
    notebook = json.loads((ROOT / page.source).read_text(encoding="utf-8"))
    shown = book.notebook_page(notebook, page, set())
    figures = [c for c in shown["cells"] if c["cell_type"] == "code" and any(
        m.startswith("image/") for o in c.get("outputs", []) for m in o.get("data", {}))]
    assert figures and all(c["metadata"]["mystnb"]["image"]["alt"].startswith("图: ") for c in figures)
    assert shown["cells"][1]["id"] == "book-bar" and len(shown["cells"]) == len(notebook["cells"]) + 1
    assert notebook["cells"][0] == shown["cells"][0]  # the course's notebook itself is not changed


def test_a_widget_output_becomes_a_line_that_says_where_to_use_it():
    page = book.Page("notebooks/zh/01_x.ipynb", "zh", "notebooks/01_x.ipynb", "notebooks/zh/01_x.ipynb")
    widget = {"output_type": "display_data", "metadata": {},
              "data": {book.WIDGET: {"model_id": "m"}, "text/plain": "interactive(children=...)"}}
    notebook = {"cells": [{"cell_type": "markdown", "id": "t", "source": "# 标题"},
                          {"cell_type": "code", "id": "c", "source": "explorer", "outputs": [widget]}]}
    shown = book.notebook_page(notebook, page, set())
    assert shown["cells"][2]["outputs"][0]["data"] == {"text/markdown": book.WORDS["zh"]["widget"]}
    assert notebook["cells"][1]["outputs"][0] is widget and book.WIDGET in widget["data"]


def test_the_home_pages_are_the_readmes_course_maps_with_links_to_the_lessons():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    english = book.home_page(readme, "en", book.lessons())
    assert "[`01_image_augmentation`](notebooks/01_image_augmentation.ipynb)" in english
    assert "notebooks/zh/01_image_augmentation.ipynb" in book.home_page(readme, "zh", book.lessons())
    with pytest.raises(book.BookError, match="has no heading"):
        book.home_page("# nothing\n", "en", [])


def test_the_teachers_guide_splits_into_its_english_and_chinese_pages():
    text = (ROOT / "TEACHING.md").read_text(encoding="utf-8")
    english, chinese = book.teaching_part(text, "en"), book.teaching_part(text, "zh")
    assert "教师指南" not in english.splitlines()[-1] and book.TEACHING_ZH_ANCHOR not in english
    assert chinese.startswith("# 教师指南（中文）\n") and "\n## " in chinese and "\n### " not in chinese


def test_external_loads_finds_what_loads_from_another_host_and_not_plain_links(tmp_path):
    (tmp_path / "page.html").write_text(
        '<a href="https://keras.io">Keras</a><link rel="canonical" href="https://example.org/x">'
        '<script src="_static/local.js"></script><img src="../_images/a.png">'
        '<script src="https://cdn.example.com/require.js"></script><link rel="stylesheet" href="//fonts.example/x.css">'
        '<img alt="x" src="http://example.com/a.png">')
    (tmp_path / "style.css").write_text("body { background: url('https://example.com/bg.png') }")
    found = book.external_loads(tmp_path)
    assert len(found) == 4 and not any("keras.io" in f or "canonical" in f for f in found), found
    (tmp_path / "page.html").write_text('<a href="https://keras.io">Keras</a><script src="x.js"></script>')
    (tmp_path / "style.css").write_text("body { background: url(local.png) }")
    assert book.external_loads(tmp_path) == []
