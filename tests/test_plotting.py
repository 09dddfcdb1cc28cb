"""Figures: the right number of panels, titles, and clear errors; Chinese text drawn without missing glyphs."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from helpers import plotting  # noqa: E402
from helpers.paths import PROJECT_ROOT  # noqa: E402

NOTEBOOKS = [path for folder in ("notebooks", "notebooks/solutions", "notebooks/zh", "notebooks/zh/solutions")
             for path in sorted((PROJECT_ROOT / folder).glob("*.ipynb"))]


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_show_images_draws_one_titled_panel_per_image():
    images = [np.zeros((10, 20, 3), np.uint8), np.ones((10, 20, 1), np.float32), np.full((10, 20), 200.0)]
    fig = plotting.show_images(images, titles=["a", "b", "c"], ncols=2)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["a", "b", "c"]
    assert all(not ax.axison for ax in fig.axes)


def test_show_images_rescales_0_255_floats_and_keeps_uint8():
    fig = plotting.show_images([np.full((4, 4, 3), 255.0)])
    assert fig.axes[0].images[0].get_array().max() == pytest.approx(1.0)
    fig = plotting.show_images([np.full((4, 4, 3), 7, np.uint8)])
    assert fig.axes[0].images[0].get_array().max() == 7


@pytest.mark.parametrize("bad, message", [
    ([], "at least one image"), ([np.zeros((4, 4, 2))], "expected an image of shape"),
])
def test_show_images_rejects_bad_input(bad, message):
    with pytest.raises(ValueError, match=message):
        plotting.show_images(bad)
    with pytest.raises(ValueError, match="2 titles for 1 images"):
        plotting.show_images([np.zeros((4, 4))], titles=["x", "y"])


def test_plot_history_draws_train_and_validation_per_run():
    fig = plotting.plot_history({"a": {"accuracy": [0.1, 0.2], "val_accuracy": [0.1, 0.3]}, "b": {"accuracy": [0.5]}})
    assert len(fig.axes[0].lines) == 3
    with pytest.raises(ValueError, match="has no 'loss'"):
        plotting.plot_history({"a": {"accuracy": [1]}}, metric="loss")


def test_confusion_matrix_writes_every_count():
    fig = plotting.plot_confusion_matrix(np.array([[5, 1], [2, 7]]), ["hotdog", "not-hotdog"])
    assert sorted(t.get_text() for t in fig.axes[0].texts) == ["1", "2", "5", "7"]
    with pytest.raises(ValueError, match="does not fit"):
        plotting.plot_confusion_matrix(np.zeros((3, 3)), ["a", "b"])


def test_bar_chart_labels_each_bar_with_its_value():
    fig = plotting.bar_chart({"fast": 900.4, "slow": 120.0}, "images/s", "speed", highlight="fast")
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert labels == ["120", "900"]
    with pytest.raises(ValueError):
        plotting.bar_chart({}, "x", "t")


# ---- Chinese text (the module docstring says how and why) -------------------------------------------------------

def bundled_characters() -> set[str]:
    return {chr(code) for code in TTFont(plotting.BUNDLED_CJK_FONT).getBestCmap()}


def missing_glyph_warnings(text: str) -> list[str]:
    """Matplotlib's "Glyph ... missing from font(s)" warnings for ``text`` as a title, axis labels and a legend,
    drawn with DejaVu Sans and the bundled subset only: no system font can make up for the subset."""
    with matplotlib.rc_context({"font.family": plotting.font_families(candidates=())}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.plot([0, 1], label=text)
        ax.set(title=text, xlabel=text, ylabel=text)
        ax.legend()
        fig.canvas.draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_titles_labels_and_legends_draw_with_the_bundled_subset_alone():
    title = "训练集和验证集的准确率（一轮）：图像增广、随机裁剪"
    assert set(title) <= bundled_characters()
    assert missing_glyph_warnings(title) == []
    assert missing_glyph_warnings("".join(sorted(bundled_characters()))) == []


def test_a_character_outside_the_subset_is_reported_missing():
    outside = next(chr(code) for code in range(0x4E00, 0xA000) if chr(code) not in bundled_characters())
    found = missing_glyph_warnings(f"准确率 {outside}")
    assert found and all(f"Glyph {ord(outside)} " in message and "Noto Sans CJK SC Subset" in message
                         for message in found), found


def test_only_installed_families_are_listed_dejavu_sans_first():
    installed = {font.name for font in font_manager.fontManager.ttflist}
    assert set(matplotlib.rcParams["font.family"]) <= installed
    assert plotting.font_families(["No Such Font", "DejaVu Serif", "DejaVu Sans Mono"]) == [
        "DejaVu Sans", "Noto Sans CJK SC Subset", "DejaVu Serif"]


IMPORT_AND_DRAW = """
import logging, sys
import matplotlib
logging.basicConfig(stream=sys.stderr)
matplotlib.use("Agg")
from helpers import plotting
from matplotlib import font_manager, pyplot as plt
matplotlib.rcParams["font.family"] += sys.argv[1:]
fig, ax = plt.subplots()
ax.set_title("accuracy 准确率")
fig.canvas.draw()
print(font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"])))
"""


@pytest.mark.parametrize("extra_family, logged", [([], False), (["No Such Font"], True)])
def test_importing_plotting_logs_nothing_and_keeps_dejavu_sans_for_latin(extra_family, logged):
    """The second case is the test of the test: a family that is not installed is logged."""
    result = subprocess.run([sys.executable, "-c", IMPORT_AND_DRAW, *extra_family], cwd=PROJECT_ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("DejaVuSans.ttf")
    assert ("findfont: Font family 'No Such Font' not found" in result.stderr) == logged, result.stderr
    assert bool(result.stderr) == logged, result.stderr


def test_latin_figures_are_drawn_as_with_matplotlibs_default_font():
    def pixels(family=None):
        with matplotlib.rc_context({"font.family": family} if family else {}):
            fig = plotting.plot_history({"baseline": {"accuracy": [0.5, 0.7], "val_accuracy": [0.4, 0.6]}},
                                        title="accuracy (dashed: validation)")
            fig.canvas.draw()
            return np.asarray(fig.canvas.buffer_rgba()).copy()

    ours = pixels()
    assert np.array_equal(ours, pixels(["sans-serif"]))  # matplotlib's default: DejaVu Sans alone
    assert not np.array_equal(ours, pixels(["DejaVu Serif"]))  # the comparison sees a change of font


def imported_modules(source: str) -> set[str]:
    """Modules a cell imports, "from helpers import plotting" as helpers.plotting; IPython's % and ! lines skipped."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    modules = set()
    for node in ast.walk(ast.parse("\n".join(lines))):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return modules


def setup_cell_problem(code_cells: list[str]) -> str | None:
    """Why a notebook that uses matplotlib may draw before helpers.plotting sets the fonts, or None: its setup cell
    (the first code cell that imports) must import helpers.plotting."""
    imports = [imported_modules(source) for source in code_cells]
    draws = any(module.split(".")[0] == "matplotlib" or module in ("helpers.plotting", "helpers.widgets")
                for modules in imports for module in modules)
    setup = next((index for index, modules in enumerate(imports) if modules), None)
    if draws and "helpers.plotting" not in imports[setup]:
        return f"code cell {setup}, the setup cell, does not import helpers.plotting"
    return None


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.relative_to(PROJECT_ROOT).as_posix())
def test_every_notebook_that_draws_imports_plotting_in_its_setup_cell(notebook):
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert setup_cell_problem(["".join(c["source"]) for c in cells if c["cell_type"] == "code"]) is None


def test_the_setup_cell_check_finds_a_notebook_that_draws_first():
    assert setup_cell_problem(["import matplotlib.pyplot as plt\nplt.plot([1])", "from helpers import plotting"]) \
        == "code cell 0, the setup cell, does not import helpers.plotting"
    assert setup_cell_problem(["%matplotlib inline\nimport numpy as np", "import matplotlib.pyplot as plt"]) \
        == "code cell 0, the setup cell, does not import helpers.plotting"
    assert setup_cell_problem(["x = 1", "from helpers import data, plotting\nimport matplotlib.pyplot as plt"]) is None
    assert setup_cell_problem(["import json"]) is None  # draws nothing
