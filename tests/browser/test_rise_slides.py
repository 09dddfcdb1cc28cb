"""Every lesson deck as a teacher presents it: RISE slides from JupyterLab, in headless Chromium at 1280x720, English
and Chinese.

Opt-in, like test_jupyterlab.py (``python -m pytest -m browser tests/browser``). The slide metadata comes from
tools/slides.py (checked by tests/test_slides.py). One Chromium run (drive_slides.mjs) opens notebook 00 in
JupyterLab, presents it with JupyterLab-RISE's "Open as Reveal Slideshow" from the command palette, checks that
Space moves on, then presents every deck in that window and measures each (sub-)slide by DOM geometry. Here each
deck must show:

- every cell up to the exercises' heading (the self-checks after it are the student's): none missing;
- every `##` section on its own slide: each `##` heading of the notebook is rendered once, in the first cell of a
  slide that starts a new horizontal slide, and no slide holds two;
- nothing overflowing unseen: each cell within the window, or, for a slide of one cell taller than the screen,
  the slide scrolls (RISE's ``scroll``) and its end can be scrolled to; no slide of several cells scrolls;
- as many slides as its metadata asks for.

Screenshots: screenshots/slides-<deck>-1-first.png and -2-tallest.png (scrolled to its end if it scrolls). The
test of the test presents, in the same run, four altered copies of real decks, each of which must fail its check
for the right reason (screenshots in screenshots/test-of-the-test/).
"""

from __future__ import annotations

import json
import re
import time

import pytest
import slides  # tools/slides.py (tools/ is on pytest's pythonpath, see pyproject.toml)

from helpers.paths import PROJECT_ROOT

pytestmark = pytest.mark.browser

LESSONS = sorted(p.name for p in (PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DECKS = [f"notebooks/{name}" for name in LESSONS] + [f"notebooks/zh/{name}" for name in LESSONS]
SCREEN_HEIGHT = 720


def lesson_cells(cells: list[dict]) -> int:
    """How many cells a deck must show: all of them up to and including the exercises' heading cell."""
    for index, cell in enumerate(cells):
        if any(level <= 2 and re.match(r"(exercises?|练习)\b", text, re.I) for _, level, text in slides.headings(cell)):
            return index + 1
    return len(cells)


def words(text: str) -> str:
    """A heading's text as source and rendering share it: its letters and digits (no markup, no link targets)."""
    return re.sub(r"[\W_]+", "", re.sub(r"\]\([^)]*\)", "", text))


def deck_problems(notebook: dict, deck: dict) -> list[str]:
    """What a teacher presenting ``deck`` (the driver's measurements) would miss of ``notebook``."""
    cells = notebook["cells"][:lesson_cells(notebook["cells"])]
    problems = [f"{s['id']}: {p}" for s in deck["slides"] for p in s["problems"]]
    shown = sum(s["cells"] for s in deck["slides"])
    if shown != len(cells):
        problems.append(f"the deck shows {shown} of its {len(cells)} lesson cells")
    wanted = [words(text) for cell in cells for _, level, text in slides.headings(cell) if level == 2]
    seen = [words(h["text"]) for s in deck["slides"] for h in s["headings"] if h["level"] == 2]
    if seen != wanted:
        problems.append(f"`##` headings shown {len(seen)}, in the notebook {len(wanted)}: "
                        f"missing {sorted(set(wanted) - set(seen))[:3]}")
    for s in deck["slides"]:
        sections = [h for h in s["headings"] if h["level"] == 2]
        opening = sections[:1] if sections and sections[0]["cell"] == 0 and sections[0]["first"] and s["v"] == 0 else []
        for h in sections[len(opening):]:
            problems.append(f"{s['id']}: the section {h['text']!r} does not start a slide of its own")
    types = [c["metadata"].get("slideshow", {}).get("slide_type", "-") for c in notebook["cells"]]
    shown_types = [t for t in types if t not in ("skip", "notes")]
    wanted_slides = sum(t in ("slide", "subslide") for t in shown_types[1:]) + 1
    if len(deck["slides"]) != wanted_slides:
        problems.append(f"{len(deck['slides'])} slides, the metadata asks for {wanted_slides}")
    return problems


def altered_copies(root) -> dict[str, str]:
    """Copies of real decks (in the server's folder) with one fault each, and the problem each must show."""
    def variant(source: str, name: str, change) -> str:
        notebook = json.loads((root / source).read_text(encoding="utf-8"))
        change(notebook)
        (root / "fixtures" / name).write_text(json.dumps(notebook, ensure_ascii=False), encoding="utf-8")
        return f"fixtures/{name}"

    def exercises(nb) -> int:
        return lesson_cells(nb["cells"]) - 1

    def tallest(nb) -> int:
        return max(range(exercises(nb)), key=lambda i: slides.cell_height(nb["cells"][i]))

    def no_scroll(nb):  # the tall cell stays, but RISE may not scroll it: it is cut off
        nb["metadata"]["rise"]["scroll"] = False
        del nb["cells"][tallest(nb) + 1:]  # a shorter deck, quicker to present

    def skip_tall(nb):  # what the old rules did with a cell taller than the screen
        end = tallest(nb) + 1
        nb["cells"][end - 1]["metadata"]["slideshow"]["slide_type"] = "skip"
        del nb["cells"][end:]

    def heading_mid_cell(nb):  # a section's heading moved into the cell before it, which opens with a heading
        cells = nb["cells"]
        index = next(i for i, c in enumerate(cells[1:], 1) if "".join(c["source"]).startswith("## ")
                     and cells[i - 1]["cell_type"] == "markdown")
        cells[index - 1]["source"] = "".join(cells[index - 1]["source"]) + "\n\n" + "".join(cells[index]["source"])
        del cells[index]

    def one_slide_section(nb):  # every cell of a section on the section's first slide
        cells = nb["cells"]
        start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## 3."))
        end = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## 4."))
        for cell in cells[start + 1:end]:
            cell["metadata"]["slideshow"]["slide_type"] = "-"
        del cells[end:]

    return {
        variant("notebooks/04_input_pipeline_speed.ipynb", "04_without_scroll.ipynb", no_scroll): r"cut off \(y",
        variant("notebooks/04_input_pipeline_speed.ipynb", "04_tall_cell_skipped.ipynb", skip_tall):
            r"the deck shows \d+ of its \d+ lesson cells",
        variant("notebooks/zh/00_setup_check.ipynb", "zh_00_heading_mid_cell.ipynb", heading_mid_cell):
            r"does not start a slide of its own",
        variant("notebooks/03_fine_tuning_hotdog.ipynb", "03_section_on_one_slide.ipynb", one_slide_section):
            r"scrolls, with \d+ cells|cut off \(y",
    }


def test_every_lesson_deck_holds_the_whole_lesson(lab, screenshots):
    missing = [deck for deck in DECKS if not (lab.root / deck).is_file()]
    assert not missing and len(DECKS) >= 10, f"decks missing: {missing}"
    faults = altered_copies(lab.root)
    checks = screenshots / "test-of-the-test"
    checks.mkdir(exist_ok=True)
    decks = [{"notebook": deck, "name": "slides-" + deck.split("/", 1)[1].replace("/", "_").removesuffix(".ipynb"),
              "shots": str(screenshots)} for deck in DECKS]
    decks += [{"notebook": deck, "name": "slides-" + deck.split("/")[-1].removesuffix(".ipynb"), "shots": str(checks)}
              for deck in faults]
    started = time.monotonic()
    report = lab.present_decks(decks)
    seconds = time.monotonic() - started
    details = report["details"]
    assert details["space"]["from"] != details["space"]["to"], details["space"]
    found = {deck["notebook"]: deck for deck in details["decks"]}
    assert list(found) == [deck["notebook"] for deck in decks]

    # Test of the test: each altered deck fails, for its fault.
    for deck, pattern in faults.items():
        problems = deck_problems(json.loads((lab.root / deck).read_text(encoding="utf-8")), found[deck])
        assert any(re.search(pattern, p) for p in problems), f"{deck}: expected /{pattern}/, found {problems}"

    failures = {deck: deck_problems(json.loads((lab.root / deck).read_text(encoding="utf-8")), found[deck])
                for deck in DECKS}
    summary = []
    for deck in DECKS:
        measured = found[deck]["slides"]
        fitting = [s["height"] for s in measured if not s["scrolls"]]
        scrolled = [f"{s['id']} ({s['height']} px)" for s in measured if s["scrolls"]]
        summary.append(f"{deck}: {len(measured)} slides, {sum(s['cells'] for s in measured)} cells, tallest "
                       f"fitting slide {max(fitting)} px of {SCREEN_HEIGHT}, scrolled: {scrolled or 'none'} "
                       f"({found[deck]['ms'] / 1000:.1f} s)")
        shots = [p for p in report["screenshots"] if "/slides-" in p and p.rsplit("/", 1)[-1].startswith(
            "slides-" + deck.split("/", 1)[1].replace("/", "_").removesuffix(".ipynb") + "-")]
        assert len(shots) == 2, shots
    print(f"\n{len(DECKS)} lesson decks and {len(faults)} altered copies presented in {seconds:.0f} s "
          f"(timings {report['timings']}):\n" + "\n".join(summary))
    assert not any(failures.values()), "\n".join(f"{deck}: {p}" for deck, ps in failures.items() for p in ps)
