"""tools/cjk_font.py: the bundled Chinese font subset has every character the Chinese edition's code cells draw."""

from __future__ import annotations

import json
import subprocess
import sys

import cjk_font  # tools/cjk_font.py, on pytest's pythonpath

TOOL = [sys.executable, str(cjk_font.ROOT / "tools" / "cjk_font.py"), "--check"]


def write_notebook(path, *cells: tuple[str, str]) -> None:
    cells = [{"cell_type": kind, "source": [source]} for kind, source in cells]
    path.write_text(json.dumps({"cells": cells}, ensure_ascii=False), encoding="utf-8")


def uncovered(count: int) -> list[str]:
    """Han characters the committed subset lacks."""
    present = cjk_font.subset_characters()
    return [chr(code) for code in range(0x4E00, 0xA000) if chr(code) not in present][:count]


def test_the_committed_subset_covers_the_chinese_edition(tmp_path):
    """The check reads only the committed subset: it runs without the source font (fonts-noto-cjk)."""
    result = subprocess.run([*TOOL, "--source", str(tmp_path / "absent.ttc")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    assert "has all" in result.stdout


def test_the_check_names_each_uncovered_character_of_a_code_cells_string(tmp_path):
    in_title, in_fstring, in_comment, in_markdown = uncovered(4)
    (tmp_path / "solutions").mkdir()
    write_notebook(tmp_path / "01_lesson.ipynb", ("markdown", f"# {in_markdown}"),
                   ("code", f"%matplotlib inline\nimport matplotlib.pyplot as plt  # {in_comment}\n"
                            f"plt.title('准确率{in_title}')"))
    write_notebook(tmp_path / "solutions" / "01_lesson_solutions.ipynb",
                   ("code", f"epoch = 1\nprint(f'{{epoch}} 轮{in_fstring}')"))
    result = subprocess.run([*TOOL, "--notebooks", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 1, result.stdout
    for char in (in_title, in_fstring):
        assert f"{char} (U+{ord(char):04X})" in result.stdout, result.stdout
    assert in_comment not in result.stdout and in_markdown not in result.stdout


def test_characters_dejavu_sans_draws_are_not_needed_from_the_subset(tmp_path):
    write_notebook(tmp_path / "00.ipynb", ("code", "print('mean ± 2 × 3°, → é')"))
    assert cjk_font.needed_characters(tmp_path) == cjk_font.needed_characters(tmp_path / "absent")


def test_the_glossary_gives_its_preferred_terms_only(tmp_path):
    glossary = tmp_path / "GLOSSARY.md"
    table = "| English | 首选译法 | 不用 |\n|---|---|---|\n| augmentation | 图像增广 | 增强 |\n"
    glossary.write_text(f"说明文字\n\n{table}\n不是表格\n", encoding="utf-8")
    assert cjk_font.HAN.findall(cjk_font.glossary_terms(glossary)) == list("图像增广")
