"""Notebook 03 as a teacher presents it: RISE slides from JupyterLab, in headless Chromium at 1280x720.

Opt-in, like test_jupyterlab.py (``python -m pytest -m browser tests/browser``). The slide metadata comes from
tools/slides.py (checked by tests/test_slides.py); this test presents the notebook with JupyterLab-RISE's
"Open as Reveal Slideshow", steps through every slide with Space and checks that what each slide shows fits the
window, with nothing cut off and nothing to scroll. Screenshots of the first slide, the first slide with code and
its output, and the last slide go to screenshots/ (those of the fixtures to screenshots/test-of-the-test/).
"""

from __future__ import annotations

import json
import re

import pytest

from helpers.paths import PROJECT_ROOT

from .jupyterlab_driver import LabCheckFailed

pytestmark = pytest.mark.browser

NOTEBOOK = "notebooks/03_fine_tuning_hotdog.ipynb"
NOTEBOOK_ZH = "notebooks/zh/03_fine_tuning_hotdog.ipynb"


def slide_count(path) -> int:
    """Slides the metadata asks for: one per 'slide' or 'subslide' cell (the first shown cell starts one too)."""
    types = [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in json.loads(path.read_text())["cells"]]
    shown = [t for t in types if t not in ("skip", "notes")]
    return sum(t in ("slide", "subslide") for t in shown[1:]) + 1


def assert_pngs(report: dict, *suffixes: str) -> None:
    for suffix in suffixes:
        files = [p for p in report["screenshots"] if p.endswith(f"-{suffix}.png")]
        assert files, f"no {suffix} screenshot in {report['screenshots']}"
        with open(files[0], "rb") as image:
            assert image.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("notebook, name", [(NOTEBOOK, "03_slides"), (NOTEBOOK_ZH, "zh_03_slides")],
                         ids=["english", "chinese"])
def test_notebook_03_slides_fit_the_screen(lab, screenshots, notebook, name):
    """Both editions: the Chinese deck's slide types are computed for its own (Chinese) text."""
    assert (PROJECT_ROOT / notebook).is_file(), f"{notebook} is missing"
    report = lab.present_slides(notebook, name=name, shots=screenshots)
    details = report["details"]
    assert details["overflowing"] == []
    assert details["slides"] == slide_count(lab.root / notebook), "the deck does not have the slides its metadata gives"
    assert details["first"] == "slide-0-0" and details["code_slide"] and details["last"] != details["first"]
    assert details["tallest"] <= 720
    assert_pngs(report, "1-first", "2-code", "3-last")
    print(f"\n{notebook} as slides: {details['slides']} slides, {details['steps']} steps (Space), tallest content "
          f"{details['tallest']} px of 720; timings (s) {report['timings']}")


def test_a_deck_that_fits_passes(lab, screenshots):
    """The control for the test of the test: a small deck of short slides passes."""
    report = lab.present_slides("fixtures/slides_ok.ipynb", name="slides_ok", shots=screenshots / "test-of-the-test")
    assert report["details"]["slides"] == 4 and report["details"]["overflowing"] == []


def test_the_check_fails_on_an_overflowing_slide(lab, screenshots):
    """Test of the test: the same deck with one slide of 45 bullet points (taller than 720 px) fails the fit
    check, naming that slide and no other."""
    with pytest.raises(LabCheckFailed) as caught:
        lab.present_slides("fixtures/slides_overflow.ipynb", name="slides_overflow",
                           shots=screenshots / "test-of-the-test")
    failure = caught.value
    assert failure.stage == "fit", failure
    assert re.search(r"\b1 of 5 slides do not fit the 1280x720 window: slide-2-0 \(", failure.message), failure.message
    assert [s["id"] for s in failure.report["details"]["overflowing"]] == ["slide-2-0"]
    assert any(p.endswith("-failure.png") for p in failure.report["screenshots"])


def test_the_check_fails_when_a_slide_of_notebook_03_is_too_tall(lab, screenshots):
    """Test of the test on the real notebook: a copy of notebook 03 up to its section 3, where every cell of
    section 3 (the recipe's code and its training logs) is put on the section's first slide, must fail."""
    nb = json.loads((lab.root / NOTEBOOK).read_text())
    cells = nb["cells"]
    start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## 3."))
    end = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## 4."))
    for cell in cells[start + 1:end]:
        if cell["metadata"]["slideshow"]["slide_type"] != "skip":
            cell["metadata"]["slideshow"]["slide_type"] = "-"
    nb["cells"] = cells[:end]
    (lab.root / "fixtures" / "03_slide_too_tall.ipynb").write_text(json.dumps(nb))
    with pytest.raises(LabCheckFailed) as caught:
        lab.present_slides("fixtures/03_slide_too_tall.ipynb", name="03_slide_too_tall",
                           shots=screenshots / "test-of-the-test")
    assert caught.value.stage == "fit", caught.value
    overflowing = caught.value.report["details"]["overflowing"]
    assert len(overflowing) == 1 and overflowing[0]["bottom"] > 720, overflowing
