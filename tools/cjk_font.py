"""Build, or check, the Chinese font subset that helpers/plotting.py draws Chinese figure text with.

    python tools/cjk_font.py                      # write helpers/fonts/NotoSansCJKsc-Subset.ttf and OFL.txt
    python tools/cjk_font.py --also notebooks/zh/GLOSSARY.md   # ... plus the glossary's preferred terms
    python tools/cjk_font.py --check              # exit 1 if the committed subset lacks a character it needs

The subset holds the characters matplotlib's DejaVu Sans lacks among: every character inside a string literal of
a code cell of the Chinese edition (``notebooks/zh/*.ipynb`` and ``notebooks/zh/solutions/*.ipynb``, found with
``tokenize``; Markdown cells are not drawn by matplotlib), and a fixed set of full-width punctuation (BASE).
``--also FILE`` adds the Han characters of the preferred-term column (首选译法) of a glossary table, or of the
whole file if it has no such column: while the Chinese code cells still equal the English ones, the glossary's
terms make the subset useful for a learner's own labels. Re-run the tool after translating code cells.

Building reads Noto Sans CJK SC Regular from Debian's fonts-noto-cjk (``apt-get install fonts-noto-cjk``) or
``--source FILE`` (the .ttc collection or a .otf; the SC face is picked by its family name). The outlines are
converted to TrueType (quadratic, fontTools' cu2qu), which matplotlib's PDF and PostScript backends embed best.
The output is deterministic: the source's timestamps are kept, nothing is recalculated from the clock.
``--check`` reads only the committed subset, so it runs anywhere (tests/test_cjk_font.py runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tokenize
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable
from matplotlib import font_manager
from zh_rules import code_tokens  # tools/zh_rules.py, beside this file: a code cell's tokens, IPython lines left out

ROOT = Path(__file__).resolve().parent.parent
ZH = ROOT / "notebooks" / "zh"
FONTS = ROOT / "helpers" / "fonts"
SUBSET = FONTS / "NotoSansCJKsc-Subset.ttf"
FAMILY = "Noto Sans CJK SC Subset"  # not the source's name, so an installed Noto Sans CJK SC is never mistaken for it
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SOURCE_FAMILY = "Noto Sans CJK SC"
LICENCE = Path("/usr/share/doc/fonts-noto-cjk/copyright")  # Debian's copy of the OFL, indented, "." for blank lines
BASE = "\u3000、。，：；！？（）《》〈〉「」『』【】〔〕～％＋－＝／＜＞·×±°–—“”‘’…"
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
STRING_TOKENS = {"STRING", "FSTRING_MIDDLE", "TSTRING_MIDDLE"}  # the last two: Python 3.12+ f-strings, 3.14 t-strings


def code_strings(notebook: Path) -> str:
    """The text of every string literal in ``notebook``'s code cells (IPython's % and ! lines left out)."""
    found = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        found += [token.string for token in code_tokens("".join(cell["source"]))
                  if tokenize.tok_name[token.type] in STRING_TOKENS]
    return "".join(found)


def glossary_terms(path: Path) -> str:
    """The 首选译法 column of every Markdown table in ``path`` that has one, else the whole text."""
    text, terms, column = path.read_text(encoding="utf-8"), [], None
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if "首选译法" in cells:  # a table's header row
            column = cells.index("首选译法")
        elif not cells:
            column = None
        elif column is not None and len(cells) > column:
            terms.append(cells[column])
    return "\n".join(terms) if terms else text


def dejavu_characters() -> set[str]:
    """The characters matplotlib's own DejaVu Sans draws (plotting puts it first, so it draws these)."""
    return {chr(code) for code in TTFont(font_manager.findfont("DejaVu Sans")).getBestCmap()}


def needed_characters(folder: Path = ZH) -> set[str]:
    """Non-ASCII characters of the code cells' strings of ``folder``'s notebooks and BASE, less DejaVu Sans's."""
    notebooks = sorted(folder.glob("*.ipynb")) + sorted((folder / "solutions").glob("*.ipynb"))
    text = BASE + "".join(code_strings(notebook) for notebook in notebooks)
    return {char for char in text if ord(char) > 127 and unicodedata.category(char)[0] != "C"} - dejavu_characters()


def subset_characters(path: Path = SUBSET) -> set[str]:
    return {chr(code) for code in TTFont(path).getBestCmap()}


def missing_message(needed: set[str], path: Path = SUBSET) -> str | None:
    """One line naming the characters ``path`` lacks, or None."""
    missing = sorted(needed - subset_characters(path))
    if not missing:
        return None
    names = ", ".join(f"{char} (U+{ord(char):04X})" for char in missing)
    return (f"{path.relative_to(ROOT).as_posix()} lacks {len(missing)} character(s) the Chinese edition needs: "
            f"{names}; rebuild it with python tools/cjk_font.py")


def source_face(path: Path) -> TTFont:
    fonts = TTCollection(path).fonts if path.suffix.lower() == ".ttc" else [TTFont(path)]
    for font in fonts:
        if font["name"].getDebugName(1) == SOURCE_FAMILY:
            return font
    raise SystemExit(f"{path} has no face named {SOURCE_FAMILY!r}")


def to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by quadratic ones (fontTools' Snippets/otf2ttf.py, without hints or glyph names)."""
    glyph_set, order = font.getGlyphSet(), font.getGlyphOrder()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"], font["glyf"] = newTable("loca"), newTable("glyf")
    font["glyf"].glyphOrder, font["glyf"].glyphs = order, glyphs
    del font["CFF "]
    font["glyf"].compile(font)
    for name, glyph in glyphs.items():  # TrueType's left side bearing is the outline's xMin
        font["hmtx"][name] = (font["hmtx"][name][0], getattr(glyph, "xMin", 0))
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion, maxp.maxZones = 0x00010000, 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    font["post"].formatType, font["post"].extraNames, font["post"].mapping = 3.0, [], {}
    font.sfntVersion = "\0\1\0\0"


def build(characters: set[str], source: Path, licence: Path) -> None:
    font = source_face(source)
    absent = sorted(char for char in characters if ord(char) not in font.getBestCmap())
    if absent:
        raise SystemExit(f"{source} lacks {''.join(absent)}")
    options = subset.Options()
    options.layout_features, options.hinting, options.notdef_outline = [], False, True
    options.name_IDs, options.drop_tables = [0, 1, 2, 3, 4, 5, 6, 7, 13, 14], options.drop_tables + [
        "GSUB", "GPOS", "GDEF", "BASE", "VORG", "vhea", "vmtx"]  # matplotlib lays out horizontally, unshaped
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(map(ord, characters)))
    subsetter.subset(font)
    to_truetype(font)
    postscript = FAMILY.replace(" ", "") + "-Regular"
    for record in font["name"].names:
        renamed = {1: FAMILY, 3: postscript, 4: FAMILY, 6: postscript}.get(record.nameID)
        if renamed:
            record.string = renamed
    font.recalcTimestamp = False  # keep head.modified: same input, same bytes
    FONTS.mkdir(exist_ok=True)
    font.save(SUBSET)
    notice = font["name"].getDebugName(0)
    body = licence.read_text(encoding="utf-8").split("License: SIL-1.1\n", 2)[2].split("\nLicense:")[0]
    text = "\n".join("" if line == " ." else line[1:] for line in body.rstrip().splitlines())
    header = ("This Font Software is licensed under the SIL Open Font License, Version 1.1.\n"
              "This license is copied below, and is also available with a FAQ at: https://openfontlicense.org")
    (FONTS / "OFL.txt").write_text(f"{notice}\n\n{header}\n\n{text.strip()}\n", encoding="utf-8")
    print(f"{SUBSET.relative_to(ROOT).as_posix()}: {len(characters)} characters, {SUBSET.stat().st_size:,} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only check the committed subset (needs no source)")
    parser.add_argument("--notebooks", type=Path, default=ZH, help="the Chinese edition (default: %(default)s)")
    parser.add_argument("--also", type=Path, nargs="*", default=[], help="glossaries whose Han characters to add")
    parser.add_argument("--source", type=Path, default=SOURCE, help="Noto Sans CJK (default: %(default)s)")
    parser.add_argument("--licence", type=Path, default=LICENCE, help="the OFL text (default: %(default)s)")
    args = parser.parse_args(argv)
    needed = needed_characters(args.notebooks)
    if args.check:
        message = missing_message(needed)
        print(message or f"{SUBSET.relative_to(ROOT).as_posix()}: has all {len(needed)} characters needed")
        return 1 if message else 0
    if not args.source.exists():
        print(f"{args.source} not found: apt-get install fonts-noto-cjk, or give --source", file=sys.stderr)
        return 1
    build(needed | set(HAN.findall("".join(glossary_terms(path) for path in args.also))), args.source, args.licence)
    return 0


if __name__ == "__main__":
    sys.exit(main())
