"""Give every lesson notebook RISE slide metadata, from rules, so that "Render as slides" presents it well.

    python tools/slides.py [NOTEBOOK ...]          # default: every notebooks/[0-9][0-9]_*.ipynb
    python tools/slides.py --check [NOTEBOOK ...]  # exit 1 if a notebook's metadata differs from the rules

The script writes only ``metadata.slideshow`` of each cell and ``metadata.rise`` of the notebook; sources,
outputs and every other byte stay as they are (the file keeps its JSON layout). It is deterministic and
idempotent, so re-run it after anyone edits a notebook; ``--check`` (run by tests/test_slides.py) says whether
that is needed.

The rules (``slide_types``), for JupyterLab-RISE's Reveal.js deck at 1280x720:

- the H1 cell is the title slide; ``## Learning objectives`` is a slide;
- ``## Setup`` (``## 准备工作``) goes into the speaker notes and the setup code cells under it are skipped
  (boilerplate);
- every other ``##`` heading starts a slide and every ``###`` heading a sub-slide; a markdown cell without a
  heading is a new idea and starts a sub-slide;
- a code cell joins the slide before it as a fragment (it appears on the next key press, with its output), when
  the slide still fits the screen; otherwise it starts a sub-slide of its own;
- a cell that cannot fit the screen even alone is left out of the deck: a code cell (a long output) is
  skipped, a markdown cell goes into the speaker notes (RISE's notes view shows it);
- the exercises (a cell whose first heading is ``## Exercises``) and every cell after them are skipped; a
  cell that holds the summary and then the exercises is a slide when it fits, else speaker notes.

Whether a slide fits is estimated from the cells' text and stored outputs (``cell_height``: line counts,
character widths and image sizes, calibrated against JupyterLab 4.6's rendering in Chromium at 1280x720, see the
constants below); the estimate keeps a safety margin, and tests/browser checks the real slides of notebook 03.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import math
import os
import re
import struct
import sys
import tempfile
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = "notebooks/[0-9][0-9]_*.ipynb"

# The deck's notebook-level RISE settings (JupyterLab-RISE reads metadata.rise): never scroll a slide (the
# rules keep each one within the screen instead), and start at the title whichever cell is selected.
RISE_SETTINGS = {"scroll": False, "start_slideshow_at": "beginning"}

# ---- The screen, and how JupyterLab 4.6 lays a cell out in RISE (measured in Chromium at 1280x720) -------------
SCREEN_HEIGHT = 720  # px; RISE's slide area is the whole window (width/height 100%), without scaling
SLIDE_BUDGET = 650  # px a slide's estimated cells may fill: the rest is the estimate's margin of error
# px a single cell may take on a slide of its own: the screen and the blank padding above and below the cell
# (the estimates of one cell are within a few px, see tests/test_slides.py)
ALONE_BUDGET = SCREEN_HEIGHT + 10
CELL_PADDING = 10  # px around each cell (5 above, 5 below)
TEXT_WIDTH = 1237  # px of a line of markdown text
LIST_INDENT = 14  # px a list item's text is narrower than a paragraph
CHAR_WIDTH = 7.25  # px per Latin character of 14 px text
CODE_SPAN_CHAR_WIDTH = 9.4  # px per character of inline code (13 px monospace on a padded grey box)
WIDE_CHAR_WIDTH = 14.0  # px per CJK character of 14 px text
# block: (margin above when first, margin above, margin below, px per line, px per character)
BLOCKS = {
    "h1": (31.7, 31.7, 20, 63.3, 32.0), "h2": (17.7, 0, 20, 35.4, 16.8), "h3": (13.0, 0, 20, 26.0, 12.3),
    "p": (20, 20, 20, 18.2, CHAR_WIDTH), "list": (0, 0, 0, 22.4, CHAR_WIDTH), "pre": (21, 21, 21, 18.3, 7.8),
    "table": (0, 0, 0, 14.3, 6.6),
}
LAST_MARGIN = 7  # px below the last block of a cell
TABLE_ROW = 7.7  # px of a table row besides its lines
TABLE_FILL = 0.75  # how much of a table's width a row's text fills before it wraps, on average
CODE_CHAR_WIDTH = 7.8  # px per character of 13 px monospace
CODE_LINE = 18.25  # px per line of a code cell's input
CODE_BASE = 28  # px of a one-line code cell's input, beyond CODE_LINE per further line
CODE_COLUMNS = 130  # characters of monospace output before it wraps (at a space)
OUTPUT_LINE = 16.8  # px per line of stream output
OUTPUT_BASE = 3  # px of an output block besides its lines
OUTPUTS_BASE = 5  # px of a cell's output area besides its outputs
HTML_BASE = 15  # px of an HTML output (a table, rich text) besides its lines of text
IMAGE_BASE = 63  # px an image output takes besides the image
IMAGE_WIDTH = 1140  # px: wider images are scaled down to this width
WIDGET = 40  # px of a live widget: its size is not in the file (and RISE may not render it)
UNKNOWN_OUTPUT = 400  # px assumed for an output whose size is unknown

SLIDE_TYPES = ("slide", "subslide", "fragment", "-", "skip", "notes")


# ---- Height estimates -------------------------------------------------------------------------------------------

def _wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"<[^>]+>"), ""),  # inline HTML tags
    (re.compile(r"\\([\\`*_{}\[\]()#+.!|-])"), r"\1"),  # escapes
    (re.compile(r"(\*\*|__|\*|_|~~)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # emphasis
]


def _text_width(text: str, char_width: float = CHAR_WIDTH, wide_width: float = WIDE_CHAR_WIDTH) -> float:
    """Rendered width in px of one line of markdown (inline code in monospace, CJK characters full width)."""
    spans = re.findall(r"`([^`]*)`", text)
    prose = re.sub(r"`[^`]*`", "", text)
    for pattern, replacement in _INLINE:
        prose = pattern.sub(replacement, prose)
    width = sum(wide_width if _wide(char) else char_width for char in prose)
    return width + sum(2 * WIDE_CHAR_WIDTH if _wide(char) else CODE_SPAN_CHAR_WIDTH for char in "".join(spans))


def _blocks(source: str) -> list[tuple[str, list[str]]]:
    """The block structure of a markdown cell: (kind, lines), kind one of BLOCKS."""
    blocks: list[tuple[str, list[str]]] = []
    fence, previous_blank = None, True
    for line in source.split("\n"):
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            else:
                blocks[-1][1].append(line)
            continue
        blank = not stripped
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            blocks.append(("pre", []))
        elif blank:
            pass
        elif re.match(r"#{1,6}\s", stripped):
            level = min(3, len(stripped) - len(stripped.lstrip("#")))
            blocks.append((f"h{level}", [stripped.lstrip("#").strip()]))
        elif stripped.startswith("|") and (previous_blank or blocks[-1][0] == "table"):
            if blocks and blocks[-1][0] == "table" and not previous_blank:
                blocks[-1][1].append(stripped)
            else:
                blocks.append(("table", [stripped]))
        elif re.match(r"([-*+]|\d+[.)])\s", stripped):
            if blocks and blocks[-1][0] == "list" and (not previous_blank or True):
                blocks[-1][1].append(re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped))
            else:
                blocks.append(("list", [re.sub(r"^([-*+]|\d+[.)])\s+", "", stripped)]))
        elif blocks and blocks[-1][0] in ("list", "p") and not previous_blank:
            blocks[-1][1][-1] += " " + stripped  # a continuation line: the same item or paragraph
        else:
            blocks.append(("p", [stripped]))
        previous_blank = blank
    return blocks


def _block_height(kind: str, lines: list[str]) -> float:
    line_height, char_width = BLOCKS[kind][3], BLOCKS[kind][4]
    if kind == "pre":
        return line_height * len(lines)
    if kind == "table":
        rows = [row for row in lines if not re.fullmatch(r"[\s:|-]+", row)]
        return sum(TABLE_ROW + line_height * max(1, math.ceil(
            _text_width(row.replace("|", " "), char_width) / (TEXT_WIDTH * TABLE_FILL))) for row in rows)
    width = TEXT_WIDTH - (LIST_INDENT if kind == "list" else 0)
    wide = WIDE_CHAR_WIDTH
    if kind.startswith("h"):  # large type: a CJK character is as wide as the font size, and a line that wraps
        wide = line_height / 1.2  # leaves more room unused at its end (half a word)
        width -= 5 * char_width
    return line_height * sum(max(1, math.ceil(_text_width(line, char_width, wide) / width)) for line in lines)


def markdown_height(source: str) -> float:
    """Estimated px of a rendered markdown cell (without the cell's padding).

    Blocks stack with collapsing margins (the larger of two neighbouring margins), as in the browser."""
    height, below = 0.0, None
    for kind, lines in _blocks(source):
        first_top, top, bottom = BLOCKS[kind][:3]
        height += first_top if below is None else max(below, top)
        height += _block_height(kind, lines)
        below = bottom
    return height + (LAST_MARGIN if below is not None else 0)


def _image_size(data: str) -> tuple[int, int] | None:
    """(width, height) of a base64 PNG, JPEG or GIF, read from its header; None if unreadable."""
    try:
        raw = base64.b64decode(data[:200_000] if len(data) > 200_000 else data, validate=False)
    except (binascii.Error, ValueError):
        return None
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and len(raw) >= 24:
        return struct.unpack(">II", raw[16:24])
    if raw[:6] in (b"GIF87a", b"GIF89a") and len(raw) >= 10:
        return struct.unpack("<HH", raw[6:10])
    if raw[:2] == b"\xff\xd8":  # JPEG: find the start-of-frame segment
        i = 2
        while i + 9 < len(raw):
            if raw[i] != 0xFF:
                i += 1
                continue
            marker, length = raw[i + 1], struct.unpack(">H", raw[i + 2:i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
                height, width = struct.unpack(">HH", raw[i + 5:i + 9])
                return width, height
            i += 2 + length
    return None


def _text_lines(text: str) -> int:
    """Lines of monospace output, wrapped at CODE_COLUMNS characters (a CJK character takes two)."""
    lines = text.rstrip("\n").split("\n") if text.strip("\n") else []
    return sum(max(1, math.ceil(sum(2 if _wide(char) else 1 for char in line) / CODE_COLUMNS)) for line in lines)


def output_height(outputs: list[dict]) -> float:
    """Estimated px of a code cell's stored outputs as JupyterLab shows them."""
    if not outputs:
        return 0.0
    height, stream = float(OUTPUTS_BASE), None
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            lines = _text_lines("".join(output.get("text", "")))
            if stream == output.get("name"):  # JupyterLab merges consecutive outputs of one stream
                height += OUTPUT_LINE * lines
            else:
                height += OUTPUT_BASE + OUTPUT_LINE * max(1, lines)
            stream = output.get("name")
            continue
        stream = None
        if kind == "error":
            height += OUTPUT_BASE + OUTPUT_LINE * _text_lines("\n".join(output.get("traceback", [])))
            continue
        data = output.get("data", {})
        image = next((m for m in ("image/png", "image/jpeg", "image/gif") if m in data), None)
        if image:
            meta = output.get("metadata", {}).get(image, {})
            size = (meta.get("width"), meta.get("height")) if meta.get("width") and meta.get("height") else None
            size = size or _image_size("".join(data[image]))
            if size is None:
                height += UNKNOWN_OUTPUT
            else:
                width, tall = size
                height += IMAGE_BASE + tall * min(1.0, IMAGE_WIDTH / width)
        elif "application/vnd.jupyter.widget-view+json" in data:
            height += WIDGET
        elif "text/html" in data or "text/plain" in data:
            text = "".join(data.get("text/plain", "")) or re.sub(r"<[^>]+>", "", "".join(data["text/html"]))
            height += (HTML_BASE if "text/html" in data else OUTPUT_BASE) + OUTPUT_LINE * max(1, _text_lines(text))
        elif "text/markdown" in data:
            height += markdown_height("".join(data["text/markdown"]))
        else:
            height += UNKNOWN_OUTPUT
    return height


def cell_height(cell: dict) -> float:
    """Estimated px of a cell on a slide, paddings included."""
    source = "".join(cell.get("source", ""))
    if cell.get("cell_type") == "markdown":
        return markdown_height(source) + CELL_PADDING
    if cell.get("cell_type") == "code":
        lines = len(source.split("\n"))
        extra = 4 if cell.get("outputs") else 0
        return CODE_BASE + CODE_LINE * (lines - 1) + output_height(cell.get("outputs", [])) + CELL_PADDING + extra
    return markdown_height(source) + CELL_PADDING  # raw cells: about as tall as their text


# ---- The rules --------------------------------------------------------------------------------------------------

def _headings(cell: dict) -> list[tuple[int, str]]:
    """(level, text) of each markdown heading in a markdown cell, outside fenced code."""
    if cell.get("cell_type") != "markdown":
        return []
    found, fence = [], False
    for line in "".join(cell.get("source", "")).split("\n"):
        if line.strip().startswith(("```", "~~~")):
            fence = not fence
        match = None if fence else re.match(r"(#{1,6})\s+(.*)", line)
        if match:
            found.append((len(match.group(1)), match.group(2).strip()))
    return found


def _opens_with_heading(cell: dict) -> tuple[int, str] | None:
    """The cell's heading if its first non-blank line is one."""
    text = "".join(cell.get("source", "")).lstrip()
    headings = _headings(cell)
    return headings[0] if headings and text.startswith("#") else None


def _is(title: str, *words: str) -> bool:
    return any(re.match(rf"{word}\b", title, re.IGNORECASE) for word in words)


def slide_types(cells: list[dict]) -> list[str]:
    """The RISE slide type of every cell, from the rules in this module's docstring."""
    types: list[str] = []
    pending = None  # the slide type a hidden heading passed on to the next shown cell
    used = 0.0  # estimated px already on the current (sub-)slide
    section = "content"  # "setup" (code right under ## Setup), "exercises" or "content"
    title_done = False

    def show(kind: str, height: float) -> str:
        nonlocal pending, used
        if pending is not None and kind in ("subslide", "fragment", "-"):
            kind = pending if kind in ("fragment", "-") or pending == "slide" else kind
        pending = None
        used = height if kind in ("slide", "subslide") else used + height
        return kind

    def hide(kind: str, passes: str | None) -> str:
        nonlocal pending
        if passes == "slide" or (passes and pending is None):
            pending = passes
        return kind

    for cell in cells:
        height = cell_height(cell)
        heading = _opens_with_heading(cell)
        if cell.get("cell_type") != "code":
            section = "content" if section == "setup" else section
            if heading and heading[0] <= 2 and _is(heading[1], "exercises?", "练习"):
                section = "exercises"
            elif heading and heading[0] <= 2 and section == "exercises":
                section = "content"  # a new section after the exercises
            if section == "exercises":
                types.append(hide("skip", None))
                continue
            if heading and heading[0] == 2 and _is(heading[1], "setup", "准备工作"):
                section = "setup"
                types.append(hide("notes", "slide"))
                continue
            if any(_is(text, "exercises?", "练习") for level, text in _headings(cell) if level <= 2):
                # the summary with the exercises under it, in one cell
                section = "exercises"
                types.append(show("slide", height) if height <= ALONE_BUDGET else hide("notes", "slide"))
                continue
            if heading and heading[0] == 1 and not title_done:
                kind = "slide"
                title_done = True
            elif heading and heading[0] <= 2:
                kind = "slide"
            else:
                kind = "subslide"
            if height > ALONE_BUDGET:
                types.append(hide("notes", kind))
            else:
                types.append(show(kind, height))
            continue
        # a code cell
        if section in ("setup", "exercises"):
            types.append(hide("skip", None))
        elif height > ALONE_BUDGET:
            types.append(hide("skip", None))
        elif types and used + height <= SLIDE_BUDGET and pending is None:
            types.append(show("fragment", height))
        else:
            types.append(show("subslide", height))
    return types


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
        updated = with_slides(notebook)
        text = _dump(updated, sort_keys)
        if text == raw:
            return False
        fresh = path.read_text(encoding="utf-8")
        if fresh != raw and _content(json.loads(fresh)) != _content(notebook):
            continue  # edited while we computed: start again from the new file
        write_atomically(path, text)
        return True
    raise RuntimeError(f"{path} kept changing while the slide metadata was computed; try again")


def summary(notebook: dict) -> str:
    """How many slides, sub-slides and fragments the deck has, and which cells it leaves out for their size."""
    cells = notebook["cells"]
    types = [cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-") for cell in cells]
    count = {kind: types.count(kind) for kind in SLIDE_TYPES}
    line = (f"{count['slide']} slides + {count['subslide']} sub-slides, {count['fragment']} fragments; "
            f"{count['skip']} cells skipped, {count['notes']} in the speaker notes")
    too_tall = [f"cell {i} ({kind}, about {cell_height(cell):.0f} px)"
                for i, (cell, kind) in enumerate(zip(cells, types, strict=True))
                if kind in ("skip", "notes") and cell_height(cell) > ALONE_BUDGET]
    return line + ("; taller than the screen, left out: " + ", ".join(too_tall) if too_tall else "")


def lesson_notebooks() -> list[Path]:
    return sorted(ROOT.glob(LESSONS))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help=f"default: every {LESSONS}")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook's slide metadata differs from the rules")
    args = parser.parse_args(argv)
    paths = args.notebooks or lesson_notebooks()
    if not paths:
        parser.error(f"no notebooks given and none match {LESSONS}")
    stale = 0
    for path in paths:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        if args.check:
            found = differences(notebook)
            if found:
                stale += 1
                print(f"{path}: slide metadata differs from tools/slides.py's rules:")
                for line in found[:5]:
                    print(f"  {line}")
                if len(found) > 5:
                    print(f"  ... and {len(found) - 5} more")
            else:
                print(f"{path}: ok ({summary(notebook)})")
            continue
        changed = apply(path)
        print(f"{path}: {'updated' if changed else 'unchanged'} ({summary(with_slides(notebook))})")
    if stale:
        print(f"{stale} notebook(s) out of date: run  python tools/slides.py {' '.join(map(str, args.notebooks))}"
              .rstrip())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
