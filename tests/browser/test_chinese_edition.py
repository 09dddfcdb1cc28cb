"""The Chinese edition as ``python course.py start --lang zh`` shows it: JupyterLab's interface in Chinese, a Chinese
notebook's heading drawn with Chinese glyphs (not tofu boxes), and the lessons' links to worked solutions.

Opt-in, like test_jupyterlab.py (``python -m pytest -m browser tests/browser``). The server (fixture ``lab_zh``)
is started with the --LabApp.app_settings_dir that course.py gives JupyterLab for --lang zh. One Chromium run
(drive_zh.mjs) checks, in order:

- the main menu bar reads 文件 编辑 查看 运行 内核 ..., and no English label;
- the H1 of a Chinese notebook (notebooks/zh/01_image_augmentation.ipynb, else notebooks/zh/00_setup_check.ipynb)
  is drawn with glyphs: each Han character, drawn on a canvas in the heading's computed font, differs from the
  .notdef box (U+E000, which no font has) and advances about 1 em. Test of the test, in the same run: the same
  function calls private-use characters tofu, and (where this machine has a font without Chinese) a Chromium that
  sees only that font draws the heading's characters as tofu;
- screenshots/zh_lab-1-notebook.png shows the Chinese interface and notebook;
- the notebook's first figure with Chinese text (a code cell with outputs of its own, tools/zh_edition.py) is
  shown, and is the stored figure (the SHA-256 of its base64 text); screenshots/zh_lab-3-figure.png shows it.
  That the figure has no tofu is checked where it is drawn: nbval runs the Chinese notebook, and a missing glyph
  is a warning on stderr, which its stored outputs may not hold (tests/test_zh_edition.py);
- a link ``solutions/<stem>_solutions.ipynb#cell-id=<id>`` (how the Chinese lessons link each exercise to its
  worked solution) opens the solutions notebook scrolled to that cell: in the fixture pair
  fixtures/zh_links/ (``## 练习 1`` far down, so this does not depend on the translations), and, once a real
  Chinese lesson and its solutions exist, that lesson's first and last exercise links (the last lands far down);
  screenshots/zh_lab-2-solution.png shows the first. Test of the test: a link to a cell id that does not exist
  leaves the solutions at the top, and the same check calls that a failure.

A second test of the test points the same check at the English server (``lab``, no Chinese app settings): it must
fail at the menu, naming the English labels.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
import zh_edition as zh  # tools/zh_edition.py (tools/ is on pytest's pythonpath)

from helpers.paths import PROJECT_ROOT

from .jupyterlab_driver import LabCheckFailed, LabServer, fontconfig_without_chinese

pytestmark = pytest.mark.browser

ZH = PROJECT_ROOT / "notebooks" / "zh"
PREFERRED = ["01_image_augmentation.ipynb", "00_setup_check.ipynb"]
# File, Edit, View, Run, Kernel as the pinned language pack (jupyterlab-language-pack-zh-cn 4.5.post3) says them.
MENU_ZH = ["文件", "编辑", "查看", "运行", "内核"]
MENU_EN = ["File", "Edit", "View", "Run", "Kernel", "Tabs", "Settings", "Help"]
LINK = re.compile(r"\]\((solutions/(\d\d_\w+_solutions\.ipynb)#cell-id=([A-Za-z0-9_-]+))\)")
FIXTURE_LESSON = "fixtures/zh_links/90_links.ipynb"


def chinese_notebook() -> str:
    """The Chinese notebook to open, relative to the server root."""
    for name in PREFERRED:
        if (ZH / name).is_file():
            return f"notebooks/zh/{name}"
    lessons = sorted(ZH.glob("[0-9][0-9]_*.ipynb"))
    if not lessons:
        pytest.fail(f"notebooks/zh/ has no Chinese notebook (none of {PREFERRED}, no NN_*.ipynb): build them with "
                    "tools/zh_edition.py build", pytrace=False)
    return f"notebooks/zh/{lessons[0].name}"


def chinese_figure(notebook: str) -> dict | None:
    """{cell, sha256} of the first cell of ``notebook`` that draws a figure (PNG or JPEG) with Chinese text."""
    cells = json.loads((PROJECT_ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    for index, cell in enumerate(cells):
        image = next((data[kind] for o in cell.get("outputs", []) for kind in ("image/png", "image/jpeg")
                      if kind in (data := o.get("data", {}))), None)
        if image and zh.OWN_OUTPUTS in cell.get("metadata", {}) and zh.CJK.search("".join(cell["source"])):
            text = "".join(image) if isinstance(image, list) else image
            return {"cell": index, "sha256": hashlib.sha256(text.replace("\n", "").encode()).hexdigest()}
    return None


def markdown(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def link_to(lesson: Path, lesson_path: str, href: str, stem: str, cell_id: str) -> dict:
    """The driver's description of the link ``href`` from ``lesson`` to cell ``cell_id`` of ``solutions/<stem>``."""
    target = lesson.parent / "solutions" / stem
    cells = json.loads(target.read_text())["cells"]
    index = next((i for i, c in enumerate(cells) if c.get("id") == cell_id), None)
    assert index is not None, f"{lesson_path} links to {href}, but {target} has no cell with id {cell_id}"
    heading = "".join(cells[index]["source"]).strip().splitlines()[0].lstrip("#").strip()
    folder = lesson_path.rsplit("/", 1)[0]
    return {"lesson": lesson_path, "href": href, "target": f"{folder}/solutions/{stem}", "cell": index,
            "heading": heading, "expect": True}


def real_lesson_links(opened: str) -> list[dict]:
    """The first and the last exercise link of a real Chinese lesson (the opened one first) whose solutions
    notebook exists: the first is what a student clicks first, the last lands far down the solutions (so the check
    fails if the link does not scroll). Empty while no Chinese lesson with solutions exists."""
    lessons = sorted(ZH.glob("[0-9][0-9]_*.ipynb"), key=lambda p: (f"notebooks/zh/{p.name}" != opened, p.name))
    for lesson in lessons:
        found = [f for f in LINK.findall(markdown(lesson)) if (ZH / "solutions" / f[1]).is_file()]
        if found:
            chosen = [found[0]] + ([found[-1]] if len(found) > 1 else [])
            path = f"notebooks/zh/{lesson.name}"
            return [link_to(lesson, path, href, stem, cell_id) for href, stem, cell_id in chosen]
    return []


def fixture_links(server: LabServer) -> list[dict]:
    """The fixture lesson's link to exercise 1 of its solutions, then the control: its link to a cell id that does
    not exist, checked against the same cell (it must leave the solutions at the top, far from exercise 1)."""
    lesson = server.root / FIXTURE_LESSON
    found = LINK.findall(markdown(lesson))
    assert [cell_id for _, _, cell_id in found] == ["zh-solution-ex1", "no-such-cell"], found
    (good, stem, good_id), (bad, _, _) = found
    link = link_to(lesson, FIXTURE_LESSON, good, stem, good_id)
    assert link["heading"] == "练习 1" and link["cell"] >= 30, link
    return [link, {**link, "href": bad, "expect": False}]


def test_chinese_edition_in_jupyterlab(lab_zh, screenshots, tmp_path):
    notebook = chinese_notebook()
    real = real_lesson_links(notebook)
    links = real + fixture_links(lab_zh)
    no_cjk = fontconfig_without_chinese(tmp_path / "no-cjk-fonts")
    figure = chinese_figure(notebook)
    assert figure, f"{notebook} has no figure with Chinese text (a cell with outputs of its own that draws one)"
    report = lab_zh.check_chinese(notebook, name="zh_lab", shots=screenshots, links=links, menu_zh=MENU_ZH,
                                  menu_en=MENU_EN, no_cjk_fontconfig=no_cjk, figure=figure)
    details = report["details"]

    # 1. The interface is Chinese (the driver checked it; say what it saw).
    assert set(MENU_ZH) <= set(details["menu"]) and not set(MENU_EN) & set(details["menu"]), details["menu"]

    # 2. The heading's Han characters are glyphs, about 1 em wide; the same function calls private-use
    #    characters tofu (test of the test), and so it does the heading's characters without a Chinese font.
    glyphs = details["glyphs"]["glyphs"]
    assert glyphs and not [g for g in glyphs if g["tofu"]]
    assert all(0.85 <= g["width_em"] <= 1.15 for g in glyphs)
    assert details["pua"] and all(g["tofu"] for g in details["pua"]), details["pua"]
    if no_cjk is not None:
        without = details["no_cjk_font"]
        assert without and all(g["tofu"] for g in without), (
            f"with no Chinese font the glyph check should call every character tofu: {without}")

    # 3. Links to worked solutions: the expected ones scrolled to their cell (else the driver failed); the control
    #    (a cell id that does not exist) left the solutions at the top, and the same check calls that a failure.
    followed = details["links"]
    assert [link["expect"] for link in followed] == [link["expect"] for link in links]
    assert all(link["failure"] is None for link in followed if link["expect"])
    control = followed[-1]
    assert control["failure"] and re.search("did not scroll|not rendered", control["failure"]), control
    assert any(p.endswith("zh_lab-1-notebook.png") for p in report["screenshots"])
    assert any(p.endswith("zh_lab-2-solution.png") for p in report["screenshots"])
    # 4. The figure with Chinese text is shown, and it is the stored one (the driver compared the hashes).
    assert details["figure"]["sha256"] == figure["sha256"] and details["figure"]["width"] > 0, details["figure"]
    assert any(p.endswith("zh_lab-3-figure.png") for p in report["screenshots"])

    widths = sorted({g["width_em"] for g in glyphs})
    tofu_without = ("not tried" if no_cjk is None
                    else f"{sum(g['tofu'] for g in details['no_cjk_font'])} of {len(glyphs)} tofu")
    print(f"\nChinese edition in JupyterLab ({notebook}): menu {details['menu']}; H1 {details['heading']['text']!r}, "
          f"{len(glyphs)} Han characters, advances {widths} em, none tofu; fonts used "
          f"{details.get('platform_fonts')}; private-use characters called tofu: "
          f"{sum(g['tofu'] for g in details['pua'])} of {len(details['pua'])}; without a Chinese font: "
          f"{tofu_without}; "
          f"links: {[(link['href'], link['view']['scrollTop'], link['failure']) for link in followed]}; "
          f"real lesson links: {[link['href'] for link in real] or 'none yet'}; timings (s) {report['timings']}")


def test_the_check_fails_on_the_english_interface(lab, screenshots):
    """Test of the test: the same check, on the course's usual server (started without the Chinese app settings),
    fails at the main menu, which is English there."""
    with pytest.raises(LabCheckFailed) as caught:
        lab.check_chinese(chinese_notebook(), name="zh_on_english_lab", shots=screenshots / "test-of-the-test",
                          links=[], menu_zh=MENU_ZH, menu_en=MENU_EN)
    failure = caught.value
    assert failure.stage == "menu", failure
    assert "not in Chinese" in failure.message and '"File"' in failure.message, failure.message
    assert any(p.endswith("-failure.png") for p in failure.report["screenshots"])
