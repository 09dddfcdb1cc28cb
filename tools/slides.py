"""Give every lesson notebook RISE slide metadata, from rules, so that "Render as slides" presents the whole lesson.

    python tools/slides.py [NOTEBOOK ...]          # default: every notebooks/[0-9][0-9]_*.ipynb
    python tools/slides.py --check [NOTEBOOK ...]  # exit 1 if a notebook's metadata differs from the rules, or a
                                                   # `##` heading does not open its cell (it cannot start a slide)

The script writes only ``metadata.slideshow`` of each cell and ``metadata.rise`` of the notebook; sources,
outputs and every other byte stay as they are (the file keeps its JSON layout). It is deterministic and
idempotent, so re-run it after anyone edits a notebook; ``--check`` (run by tests/test_slides.py) says whether
that is needed.

The rules (``slide_types``), for JupyterLab-RISE's deck at 1280x720:

- a cell that opens with a ``#`` or ``##`` heading starts a slide (the title, every section, the setup, the
  summary and the exercises), one opening with ``###`` a sub-slide, and a markdown cell without a heading (a new
  idea) a sub-slide;
- a code cell joins the slide before it as a fragment (it appears on the next key press, with its output) when
  the slide still fits the screen, else it starts a sub-slide of its own;
- every cell after the exercises' heading cell (the self-checks) is skipped: they are the student's, not the
  class's. No other cell is ever left out: a cell taller than the screen gets a sub-slide of its own, which RISE
  scrolls (``metadata.rise.scroll``), and ``summary`` names it so the notebook's author can shrink or split it.

Whether a slide fits is a deliberately rough, generous estimate (``cell_height``: lines of text and code, image
sizes); the real guarantee is tests/browser/test_rise_slides.py, which presents every deck in Chromium and
measures every slide.
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import math
import os
import re
import sys
import tempfile
import unicodedata
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
LESSONS = "notebooks/[0-9][0-9]_*.ipynb"

# The deck's notebook-level RISE settings (JupyterLab-RISE reads metadata.rise): a slide taller than the window
# scrolls (only a single cell that is taller than the screen can make one), and the show starts at the title
# whichever cell is selected.
RISE_SETTINGS = {"scroll": True, "start_slideshow_at": "beginning"}

# ---- Height estimates: generous on purpose (measured in Chromium at 1280x720: tests/browser) --------------------
SCREEN_HEIGHT = 720  # px
# px of estimated cells one slide may hold: RISE scrolls a slide taller than 95% of the window (684 px)
SLIDE_BUDGET = 640
TEXT_LINE = 22  # px per line of markdown text, and per blank line between its blocks
TEXT_COLUMNS = 165  # characters of 14 px text per line (a CJK character counts two, inline code 1.3)
# a heading's (lines of text it takes with its margins, width of its characters): large type
HEADINGS = {1: (5.0, 4.4), 2: (2.5, 2.3), 3: (2.0, 1.7)}
CODE_LINE = 18.3  # px per line of code or of text output (13 px monospace)
CODE_COLUMNS = 130  # characters of output per line before it wraps
CELL = 34  # px of a cell besides its lines (paddings, the editor's margins)
OUTPUT = 8  # px of each output besides its lines
IMAGE_WIDTH = 1140  # px: wider images are scaled down to this width
IMAGE_MARGIN = 63  # px an image output takes besides the image
UNKNOWN_OUTPUT = 400  # px assumed for an output whose size the file does not say (a live widget, say)

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")


def _columns(text: str) -> float:
    """The width of a line of markdown in Latin characters: link targets and markup dropped, CJK counted twice."""
    text = re.sub(r"\]\([^)]*\)|<[^>]+>|[*_\\]", "", text)
    code = sum(len(span) for span in re.findall(r"`([^`]*)`", text))
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text) + 0.3 * code


def markdown_height(source: str) -> float:
    """Estimated px of a rendered markdown cell: its lines, wrapped, with headings in large type."""
    lines = 0.0
    for line in source.strip().split("\n"):
        level = len(line) - len(line.lstrip("#")) if re.match(r"#{1,6}\s", line) else 0
        tall, wide = HEADINGS[min(level, 3)] if level else (1.0, 1.0)
        lines += tall * max(1, math.ceil(_columns(line.lstrip("#")) * wide / TEXT_COLUMNS))
    return TEXT_LINE * lines


def _text_lines(text: str) -> int:
    """Lines of monospace text, wrapped at CODE_COLUMNS characters (a CJK character takes two)."""
    return sum(max(1, math.ceil(_columns(line) / CODE_COLUMNS)) for line in text.rstrip("\n").split("\n"))


def _image_height(data: str) -> float | None:
    try:
        width, height = Image.open(io.BytesIO(base64.b64decode(data))).size
    except (ValueError, OSError):
        return None
    return IMAGE_MARGIN + height * min(1.0, IMAGE_WIDTH / width)


def output_height(output: dict) -> float:
    """Estimated px of one stored output as JupyterLab shows it."""
    data = output.get("data", {})
    text = "".join(output.get("text", "")) or "\n".join(output.get("traceback", []))
    if output.get("output_type") in ("stream", "error"):
        return OUTPUT + CODE_LINE * _text_lines(text)
    image = next((m for m in ("image/png", "image/jpeg", "image/gif") if m in data), None)
    if image:
        return _image_height("".join(data[image])) or UNKNOWN_OUTPUT
    if "text/html" in data or "text/plain" in data:
        text = "".join(data.get("text/plain", "")) or re.sub(r"<[^>]+>", "", "".join(data["text/html"]))
        return OUTPUT + CODE_LINE * _text_lines(text)
    if "text/markdown" in data:
        return markdown_height("".join(data["text/markdown"]))
    return UNKNOWN_OUTPUT


def cell_height(cell: dict) -> float:
    """Estimated px of a cell on a slide."""
    source = "".join(cell.get("source", ""))
    if cell.get("cell_type") != "code":
        return CELL + markdown_height(source)
    return CELL + CODE_LINE * len(source.split("\n")) + sum(map(output_height, cell.get("outputs", [])))


# ---- The rules --------------------------------------------------------------------------------------------------

def headings(cell: dict) -> list[tuple[int, int, str]]:
    """(line number, level, text) of each heading in a markdown cell, outside fenced code."""
    if cell.get("cell_type") != "markdown":
        return []
    found, fence = [], False
    for number, line in enumerate("".join(cell.get("source", "")).strip().split("\n")):
        fence ^= line.lstrip().startswith(("```", "~~~"))
        match = None if fence else re.match(r"(#{1,6})\s+(.*)", line)
        if match:
            found.append((number, len(match.group(1)), match.group(2).strip()))
    return found


def _is_exercises(title: str) -> bool:
    return re.match(r"(exercises?|练习)\b", title, re.IGNORECASE) is not None


def slide_types(cells: list[dict]) -> list[str]:
    """The RISE slide type of every cell, from the rules in this module's docstring."""
    types: list[str] = []
    used = 0.0  # estimated px already on the current (sub-)slide
    exercises_seen = False
    for cell in cells:
        height = cell_height(cell)
        opening = next(((level, text) for number, level, text in headings(cell) if number == 0), None)
        if exercises_seen:
            kind = "skip"
        elif cell.get("cell_type") == "code":
            kind = "fragment" if types and used + height <= SLIDE_BUDGET else "subslide"
        else:
            kind = "slide" if opening and opening[0] <= 2 else "subslide"
            exercises_seen = any(level <= 2 and _is_exercises(text) for _, level, text in headings(cell))
        used = height if kind in ("slide", "subslide") else used + height
        types.append(kind)
    return types


def misplaced_headings(notebook: dict) -> list[str]:
    """Each ``#`` or ``##`` heading that does not open its cell, so cannot start a slide (the author must split the
    cell there)."""
    return [f"cell {index} ({cell.get('id')}): {'#' * level} {text!r} is on line {number + 1}, not the first"
            for index, cell in enumerate(notebook.get("cells", []))
            for number, level, text in headings(cell) if level <= 2 and number > 0]


def left_out(notebook: dict) -> list[int]:
    """The cells the deck does not show (skipped, or only in the speaker notes) before the exercises."""
    missing = []
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("metadata", {}).get("slideshow", {}).get("slide_type") in ("skip", "notes"):
            missing.append(index)
        if any(level <= 2 and _is_exercises(text) for _, level, text in headings(cell)):
            break
    return missing


# ---- Reading and writing notebooks ------------------------------------------------------------------------------

def _dump(notebook: dict, sort_keys: bool) -> str:
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=sort_keys) + "\n"


def _content(notebook: dict) -> str:
    """Everything in a notebook that the rules read, and nothing they write."""
    cells = [{k: v for k, v in cell.items() if k != "metadata"} for cell in notebook.get("cells", [])]
    metas = [{k: v for k, v in cell.get("metadata", {}).items() if k != "slideshow"}
             for cell in notebook.get("cells", [])]
    meta = {k: v for k, v in notebook.get("metadata", {}).items() if k != "rise"}
    return json.dumps([cells, metas, meta], sort_keys=True)


def with_slides(notebook: dict) -> dict:
    """A copy of ``notebook`` with the rules' slideshow metadata (and nothing else changed)."""
    result = json.loads(json.dumps(notebook))
    for cell, kind in zip(result.get("cells", []), slide_types(result.get("cells", [])), strict=True):
        cell.setdefault("metadata", {})["slideshow"] = {"slide_type": kind}
    rise = dict(result.get("metadata", {}).get("rise", {}))
    rise.update(RISE_SETTINGS)
    result.setdefault("metadata", {})["rise"] = rise
    return result


def differences(notebook: dict) -> list[str]:
    """How the notebook's slide metadata differs from the rules' (empty: it agrees)."""
    wanted = with_slides(notebook)
    found = []
    for index, (have, want) in enumerate(zip(notebook.get("cells", []), wanted["cells"], strict=True)):
        got = have.get("metadata", {}).get("slideshow")
        if got != want["metadata"]["slideshow"]:
            first = "".join(have.get("source", "")).split("\n", 1)[0][:60]
            found.append(f"cell {index} ({have.get('cell_type')}, {first!r}): slideshow is {got}, "
                         f"the rules give {want['metadata']['slideshow']}")
    if notebook.get("metadata", {}).get("rise") != wanted["metadata"]["rise"]:
        found.append(f"metadata.rise is {notebook.get('metadata', {}).get('rise')}, "
                     f"the rules give {wanted['metadata']['rise']}")
    return found


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file beside it, so the file is never half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as sink:
            sink.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def apply(path: Path, attempts: int = 5) -> bool:
    """Write the rules' slide metadata into ``path``; True if the file changed.

    The file is read again right before it is replaced: if anything besides the slide metadata changed in the
    meantime (someone saved the notebook), the types are computed again from the new file.
    """
    for _ in range(attempts):
        raw = path.read_text(encoding="utf-8")
        notebook = json.loads(raw)
        sort_keys = _dump(notebook, True) == raw
        text = _dump(with_slides(notebook), sort_keys)
        if text == raw:
            return False
        fresh = path.read_text(encoding="utf-8")
        if fresh != raw and _content(json.loads(fresh)) != _content(notebook):
            continue  # edited while we computed: start again from the new file
        write_atomically(path, text)
        return True
    raise RuntimeError(f"{path} kept changing while the slide metadata was computed; try again")


def summary(notebook: dict) -> str:
    """How many slides, sub-slides and fragments the deck has, and which cells are taller than the screen."""
    cells = notebook["cells"]
    types = [cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for cell in cells]
    count = {kind: types.count(kind) for kind in SLIDE_TYPES}
    tall = [f"cell {i} (about {cell_height(cell):.0f} px)" for i, cell in enumerate(cells)
            if types[i] not in ("skip", "notes") and cell_height(cell) > SCREEN_HEIGHT]
    return (f"{count['slide']} slides + {count['subslide']} sub-slides, {count['fragment']} fragments; "
            f"{count['skip']} self-check cells skipped"
            + ("; taller than the screen, scrolled: " + ", ".join(tall) if tall else ""))


def lesson_notebooks() -> list[Path]:
    return sorted(ROOT.glob(LESSONS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help=f"default: every {LESSONS}")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook's slide "
                        "metadata differs from the rules or a heading does not open its cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or lesson_notebooks()
    if not paths:
        parser.error(f"no notebooks given and none match {LESSONS}")
    failed = 0
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        found = [f"{line}: split the cell there, so that the heading starts a slide"
                 for line in misplaced_headings(notebook)]
        if args.check:
            found += differences(notebook)
            done = "ok" if not found else "not ready"
        else:
            done = "updated" if apply(path) else "unchanged"
            notebook = with_slides(notebook)
        failed += bool(found)
        print(f"{path}: {done} ({summary(notebook)})" + "".join(f"\n  {line}" for line in found[:8])
              + (f"\n  ... and {len(found) - 8} more" if len(found) > 8 else ""))
    if failed:
        print(f"{failed} notebook(s) not ready: split the cells named, and run  python tools/slides.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
