"""The course as a student meets it: JupyterLab in headless Chromium, notebook 01's explorer moved by hand.

Opt-in (needs Chromium and playwright-core, see tests/browser/install.sh):

    python -m pytest -m browser tests/browser

Screenshots of notebook 01 (before and after the slider moves) go to screenshots/ at the repository root;
those of the fixture notebooks to screenshots/test-of-the-test/.
"""

from __future__ import annotations

import json
import re

import pytest

from helpers.paths import PROJECT_ROOT

from .jupyterlab_driver import LabCheckFailed

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/01_image_augmentation.ipynb"
# The explorer's seed slider (helpers.widgets.augmentation_explorer, description "seed"), found by its label
# as a student sees it; the images checked are those in the same cell output (the explorer's picture).
SEED_SLIDER = r"^seed$"


def assert_screenshots(report: dict) -> None:
    """Both screenshots were written, are PNG files, and differ (the image on screen changed)."""
    before, after = (p for p in report["screenshots"] if p.endswith(("-1-before.png", "-2-after.png")))
    with open(before, "rb") as b, open(after, "rb") as a:
        first, second = b.read(), a.read()
    assert first[:8] == second[:8] == b"\x89PNG\r\n\x1a\n"
    assert first != second, "the screenshots before and after the slider moved are identical"


def test_notebook_01_explorer_works_in_jupyterlab(lab, screenshots):
    assert (PROJECT_ROOT / NOTEBOOK).is_file(), f"{NOTEBOOK} is missing"
    report = lab.check_notebook(NOTEBOOK, name="01_image_augmentation", shots=screenshots, slider=SEED_SLIDER)
    details = report["details"]
    assert details["kernel"] == "Python 3 (augment course)"
    assert details["executed_cells"] >= 1
    assert details["slider_before"] != details["slider_after"]
    assert details["changed_images"] >= 1
    assert_screenshots(report)
    print(f"\nnotebook 01 in JupyterLab: timings (s) {report['timings']}, details {details}")


def test_a_working_widget_passes(lab, screenshots):
    """The control for the test of the test: a minimal slider + image notebook passes every check."""
    report = lab.check_notebook("fixtures/widget_ok.ipynb", name="widget_ok", shots=screenshots / "test-of-the-test",
                                slider="seed", widget_timeout_s=15, change_timeout_s=15)
    assert report["details"]["changed_images"] == 1
    assert_screenshots(report)


@pytest.mark.parametrize(("fixture", "stage", "says"), [
    ("broken_raises", "run-all", r"ValueError"),  # the explorer cell raises
    ("broken_not_shown", "widget", r"no slider labelled"),  # the widget never renders
    ("broken_no_response", "slider", r"image to change"),  # the slider does not update the image
])
def test_the_check_fails_on_a_broken_explorer(lab, screenshots, fixture, stage, says):
    """Test of the test: the same check, pointed at a broken explorer, fails at the right step, for the right
    reason (not because the browser or server broke)."""
    with pytest.raises(LabCheckFailed) as caught:  # the control above renders and updates in about 1 s
        lab.check_notebook(f"fixtures/{fixture}.ipynb", name=fixture, shots=screenshots / "test-of-the-test",
                           slider="seed", widget_timeout_s=8, change_timeout_s=8)
    failure = caught.value  # a LabDriverError (browser or server broke) is not caught: the test errors
    assert failure.stage == stage, failure
    assert re.search(says, failure.message), failure.message
    assert any(p.endswith("-failure.png") for p in failure.report["screenshots"])


def test_the_check_fails_when_notebook_01_explorer_cell_is_broken(lab, screenshots):
    """Test of the test on the real notebook: a copy of notebook 01 whose explorer cell passes a batch instead
    of one image (the explorer raises ValueError) must fail the check at Run All."""
    nb = json.loads((lab.root / NOTEBOOK).read_text())
    cells = [c for c in nb["cells"] if c["cell_type"] == "code" and "augmentation_explorer(" in "".join(c["source"])]
    assert cells, f"no cell of {NOTEBOOK} calls widgets.augmentation_explorer(...): update this test"
    source = "".join(cells[0]["source"])
    broken, count = re.subn(r"augmentation_explorer\((\w+)", r"augmentation_explorer(\1[None]", source, count=1)
    assert count == 1, f"cannot break the explorer call in: {source!r}"
    cells[0]["source"] = broken
    (lab.root / "fixtures" / "01_broken_explorer.ipynb").write_text(json.dumps(nb))
    with pytest.raises(LabCheckFailed) as caught:
        lab.check_notebook("fixtures/01_broken_explorer.ipynb", name="01_broken_explorer",
                           shots=screenshots / "test-of-the-test", slider=SEED_SLIDER, widget_timeout_s=15)
    assert caught.value.stage == "run-all", caught.value
    assert "ValueError" in caught.value.message and "augmentation_explorer" in caught.value.message
