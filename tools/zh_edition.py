"""Build the Chinese edition (notebooks/zh/) from the English notebooks and one translation file per notebook.

    python tools/zh_edition.py build [NAME ...]   # write notebooks/zh/...; NAME: "01", "01_solutions", a stem
    python tools/zh_edition.py check [NAME ...]   # change nothing; exit 1 if a translation is missing or stale,
                                                  # or a Chinese notebook differs from what build would write
    python tools/zh_edition.py todo NAME          # print the entries NAME still needs, ready to translate
    python tools/zh_edition.py tidy [NAME ...]    # fix what tools/zh_rules.py's typesetting rules can fix

Why the edition is built rather than edited: the Chinese notebooks must run the same code and show the same
outputs as the English ones, and a hand-kept copy drifts. So every code cell, its stored outputs and its metadata
are copied from the English notebook, and only the Markdown cells come from a translation file. Identical code
gives identical outputs, so CI need not execute the Chinese notebooks a second time.

A translation file, ``notebooks/zh/translations/<English stem>.md``, holds one entry per Markdown cell of the
English notebook, keyed by the cell's id and by a hash of the English text it translates::

    <!-- cell 25a91da2 · en 3f0c9a1b2d4e -->
    ## 学习目标

    - 了解课程固定使用的 TensorFlow 和 Keras 版本……

Text before the first entry is a preamble, ignored. When the English text of a cell changes, its hash no longer
matches and the entry is *stale*: ``check`` names it, ``todo`` prints the new English text next to the old
translation, and after updating the translation you write the new hash into the entry's header.

The lesson notebooks' slide metadata is recomputed for the Chinese text by tools/slides.py's rules (Chinese
lines wrap differently), so the Chinese decks fit the screen too.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import slides  # tools/slides.py, beside this file: sys.path[0] when run as a script, on pytest's pythonpath in tests
import zh_code  # tools/zh_code.py, beside this file: what a Chinese code cell may change
from zh_rules import CJK, tidy, typesetting_problems  # tools/zh_rules.py: the rules for Chinese text

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ZH = NOTEBOOKS / "zh"
TRANSLATIONS = ZH / "translations"

HEADER = re.compile(r"^<!-- (?P<kind>cell|code) (?P<id>[A-Za-z0-9_-]+) · en (?P<hash>[0-9a-f]{12}) -->$")
LOOKS_LIKE_HEADER = re.compile(r"^<!--\s*(?:cell|code)\b")
FENCE = re.compile(r"\A```python\n(?P<code>.*)\n```\Z", re.S)
GENERATED_NOTE = ("由 `tools/zh_edition.py` 生成，不要直接编辑：请改翻译文件，"
                  "再运行 `python tools/zh_edition.py build`")


def source_hash(text: str) -> str:
    """The hash a translation entry records: the first 12 hex digits of the English text's SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


@dataclass(frozen=True)
class Edition:
    """One English notebook and what the Chinese edition makes of it."""

    english: Path

    @property
    def stem(self) -> str:
        return self.english.stem

    @property
    def is_lesson(self) -> bool:
        return self.english.parent == NOTEBOOKS

    @property
    def translation(self) -> Path:
        return TRANSLATIONS / f"{self.stem}.md"

    @property
    def chinese(self) -> Path:
        return (ZH if self.is_lesson else ZH / "solutions") / self.english.name


def editions() -> list[Edition]:
    """Every numbered English notebook: the lessons, then their worked solutions."""
    lessons = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    solutions = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))
    return [Edition(path) for path in lessons + solutions]


def select(names: list[str]) -> list[Edition]:
    """The editions that NAMES pick ("01", "01_solutions", a stem or a path); every one when NAMES is empty."""
    every = editions()
    if not names:
        return every
    chosen = []
    for name in names:
        stem = Path(name).stem
        if re.fullmatch(r"\d\d", stem):
            matches = [e for e in every if e.is_lesson and e.stem.startswith(stem + "_")]
        elif re.fullmatch(r"\d\d_solutions", stem):
            matches = [e for e in every if not e.is_lesson and e.stem.startswith(stem[:3])]
        else:
            matches = [e for e in every if e.stem == stem]
        if not matches:
            raise SystemExit(f"error: no English notebook matches {name!r}; give 01, 01_solutions or one of: "
                             + ", ".join(e.stem for e in every))
        chosen += [m for m in matches if m not in chosen]
    return chosen


# ---- Translation files ----------------------------------------------------------------------------------------

@dataclass
class Entry:
    cell_id: str
    english_hash: str
    text: str
    line: int
    kind: str = "cell"  # "cell": a Markdown cell's translation; "code": a code cell's Chinese version

    @property
    def code(self) -> str | None:
        """A code entry's code, without the ```python fence around it (None if the fence is missing)."""
        match = FENCE.match(self.text)
        return match["code"] if match else None


def parse_translation(text: str, name: str = "translation") -> tuple[dict[str, Entry], list[str]]:
    """The entries of a translation file by cell id, and what is wrong with the file itself."""
    entries: dict[str, Entry] = {}
    problems: list[str] = []
    current: Entry | None = None
    body: list[str] = []

    def close() -> None:
        if current is not None:
            current.text = "\n".join(body).strip("\n")
            if current.cell_id in entries:
                problems.append(f"{name}:{current.line}: cell {current.cell_id} has two entries")
            entries[current.cell_id] = current

    for number, line in enumerate(text.splitlines(), start=1):
        match = HEADER.match(line)
        if match:
            close()
            current, body = Entry(match["id"], match["hash"], "", number, match["kind"]), []
        elif LOOKS_LIKE_HEADER.match(line):
            problems.append(f"{name}:{number}: malformed entry header {line!r}; "
                            "write it as <!-- cell ID · en HASH --> (HASH: 12 hex digits)")
        elif current is not None:
            body.append(line)
    close()
    return entries, problems


def translation_problems(edition: Edition, english: dict | None = None) -> list[str]:
    """What keeps ``edition`` from being built: missing, stale, orphaned or untranslated entries."""
    english = english or load(edition.english)
    name = edition.translation.relative_to(ROOT).as_posix()
    if not edition.translation.exists():
        return [f"{name} is missing: run `python tools/zh_edition.py todo {edition.stem}` to start it"]
    entries, problems = parse_translation(edition.translation.read_text(encoding="utf-8"), name)
    markdown_ids, code_cells = [], {}
    for cell in english["cells"]:
        if cell["cell_type"] == "code":
            code_cells[cell["id"]] = cell
        if cell["cell_type"] != "markdown":
            continue
        cell_id = cell["id"]
        markdown_ids.append(cell_id)
        entry = entries.get(cell_id)
        first = cell_text(cell).split("\n", 1)[0][:60]
        if entry is None:
            problems.append(f"{name}: no translation of cell {cell_id} ({first!r})")
        elif entry.kind != "cell":
            problems.append(f"{name}:{entry.line}: cell {cell_id} is a Markdown cell: head its entry <!-- cell ...")
        elif entry.english_hash != source_hash(cell_text(cell)):
            problems.append(f"{name}:{entry.line}: cell {cell_id} ({first!r}) is stale: the English text changed "
                            f"(hash {source_hash(cell_text(cell))}, the entry has {entry.english_hash})")
        elif not CJK.search(entry.text):
            problems.append(f"{name}:{entry.line}: cell {cell_id} is not translated (no Chinese in it)")
        else:
            problems += [f"{name}:{entry.line}: cell {cell_id}: {problem}"
                         for problem in typesetting_problems(entry.text)]
    for cell_id, entry in entries.items():
        if entry.kind == "code" and cell_id in code_cells:
            problems += [f"{name}:{entry.line}: code cell {cell_id}: {problem}"
                         for problem in code_entry_problems(entry, code_cells[cell_id])]
        elif cell_id not in markdown_ids:
            what = "a code" if entry.kind == "code" else "a Markdown"
            problems.append(f"{name}:{entry.line}: cell {cell_id} is not {what} cell of "
                            f"{edition.english.relative_to(ROOT).as_posix()} (removed? delete the entry)")
    return problems


def code_entry_problems(entry: Entry, english_cell: dict) -> list[str]:
    """What is wrong with a code cell's Chinese version (tools/zh_code.py: the same code, other words)."""
    english = cell_text(english_cell)
    if entry.english_hash != source_hash(english):
        first = english.split("\n", 1)[0][:60]
        return [f"stale: the English code changed ({first!r}; hash {source_hash(english)}, the entry has "
                f"{entry.english_hash}); `tools/zh_edition.py todo` prints it"]
    if entry.code is None:
        return ["put the Chinese code between a ```python line and a ``` line"]
    if not CJK.search(entry.code):
        return ["has no Chinese in it (delete the entry to keep the English cell)"]
    return zh_code.differences(english, entry.code)


# ---- Building -------------------------------------------------------------------------------------------------

def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def dump(notebook: dict) -> str:
    """The notebook as nbformat writes it (sorted keys, one-space indent, UTF-8 kept)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False, sort_keys=True) + "\n"


def as_source(text: str) -> list[str]:
    return text.splitlines(keepends=True)


OWN_OUTPUTS = "zh_outputs_of"  # cell metadata: a hash of what the Chinese cell's own outputs were made from


def own_outputs_key(chinese_source: str, english_cell: dict) -> str:
    """What a Chinese cell's own outputs depend on: its code, comments aside, and the English cell's outputs (a
    changed English output means the Chinese one needs running again)."""
    return source_hash(zh_code.signature(chinese_source) + json.dumps(english_cell.get("outputs", []), sort_keys=True))


def build_notebook(edition: Edition, english: dict | None = None, existing: dict | None = None) -> dict:
    """The Chinese notebook: the English one with every Markdown cell replaced by its translation, and every code
    cell that has a Chinese version replaced by it.

    A code cell whose Chinese version shows other text (tools/zh_code.py) keeps the outputs of its own that the
    last run of the Chinese notebook stored (``existing``, by default the notebook on disk), as long as its code
    and the English cell's outputs are what they were; otherwise it is left without outputs, and
    ``python course.py regenerate`` runs the Chinese notebook to make them. Every other cell is the English one.
    """
    english = english or load(edition.english)
    problems = translation_problems(edition, english)
    if problems:
        raise ValueError("\n".join(problems))
    if existing is None and edition.chinese.exists():
        existing = load(edition.chinese)
    stored = {cell.get("id"): cell for cell in (existing or {}).get("cells", [])}
    entries, _ = parse_translation(edition.translation.read_text(encoding="utf-8"))
    chinese = copy.deepcopy(english)
    own_outputs = False
    for cell in chinese["cells"]:
        entry = entries.get(cell["id"])
        if cell["cell_type"] == "markdown":
            cell["source"] = as_source(entry.text)
        elif entry is not None and cell["cell_type"] == "code":
            english_source = cell_text(cell)
            cell["source"] = as_source(entry.code)
            if zh_code.displays_differ(english_source, entry.code):
                own_outputs = True
                key = own_outputs_key(entry.code, cell)
                cell["metadata"][OWN_OUTPUTS] = key
                old = stored.get(cell["id"], {})
                fresh = old.get("metadata", {}).get(OWN_OUTPUTS) == key
                cell["outputs"] = old.get("outputs", []) if fresh else []
                cell["execution_count"] = old.get("execution_count") if fresh else None
    chinese["metadata"]["zh_edition"] = {
        "built_from": os.path.relpath(edition.english, edition.chinese.parent).replace(os.sep, "/"),
        "translation": os.path.relpath(edition.translation, edition.chinese.parent).replace(os.sep, "/"),
        "note": GENERATED_NOTE,
        "own_outputs": own_outputs,
    }
    if edition.is_lesson:
        chinese = slides.with_slides(chinese)
    return chinese


def cells_to_run(chinese: dict, english: dict) -> list[str]:
    """Ids of the Chinese cells with outputs of their own that lack them (the English cell has outputs)."""
    english_outputs = {cell["id"]: cell.get("outputs") for cell in english["cells"]}
    return [cell["id"] for cell in chinese["cells"] if OWN_OUTPUTS in cell.get("metadata", {})
            and not cell.get("outputs") and english_outputs.get(cell["id"])]


def check_problems(edition: Edition) -> list[str]:
    """Everything ``check`` reports for one notebook (empty: the Chinese notebook is current)."""
    english = load(edition.english)
    have = load(edition.chinese) if edition.chinese.exists() else None
    try:
        want = build_notebook(edition, english, existing=have or {})
    except ValueError as problems:
        return str(problems).splitlines()
    name = edition.chinese.relative_to(ROOT).as_posix()
    if have is None:
        return [f"{name} is missing: run `python tools/zh_edition.py build {edition.stem}`"]
    to_run = cells_to_run(want, english)
    if to_run:
        return [f"{name}: code cell(s) {', '.join(to_run)} show Chinese text and have no outputs of their own yet: "
                f"run `python course.py regenerate {name}`"]
    if have == want:
        return []
    found = []
    if len(have.get("cells", [])) != len(want["cells"]):
        found.append(f"{name} has {len(have.get('cells', []))} cells, the English notebook "
                     f"{len(want['cells'])}")
    for index, (got, wanted) in enumerate(zip(have.get("cells", []), want["cells"], strict=False)):
        if got != wanted:
            kind = wanted["cell_type"]
            what = ("its code or stored outputs differ from the English notebook's" if kind == "code"
                    else "it differs from its translation")
            found.append(f"{name}: cell {index} ({kind}, id {wanted.get('id')}): {what}")
    if have.get("metadata") != want["metadata"]:
        found.append(f"{name}: notebook metadata differs from the English notebook's")
    return (found or [f"{name} differs from what the build writes"]) + [
        f"rebuild it: python tools/zh_edition.py build {edition.stem}"]


def todo(edition: Edition, code: bool = False) -> str:
    """The entries ``edition`` still needs, each with the English text to translate (and any old translation).

    With ``code``, the code cells instead: every cell with a comment or a display string (tools/zh_code.py) that
    has no current Chinese version, as an entry holding the English code, ready to translate.
    """
    english = load(edition.english)
    entries: dict[str, Entry] = {}
    if edition.translation.exists():
        entries, _ = parse_translation(edition.translation.read_text(encoding="utf-8"))
    parts = []
    for cell in english["cells"]:
        text, old = cell_text(cell), entries.get(cell["id"])
        if old is not None and old.english_hash == source_hash(text) and CJK.search(old.text):
            continue
        if cell["cell_type"] == "markdown" and not code:
            note = "" if old is None else f"\n<!-- the old translation, of an earlier English text:\n{old.text}\n-->"
            parts.append(f"<!-- cell {cell['id']} · en {source_hash(text)} -->\n{text}{note}\n")
        elif cell["cell_type"] == "code" and code and (old is not None or zh_code.has_words(text)):
            note = "" if old is None else f"\n<!-- the old Chinese version, of earlier English code:\n{old.text}\n-->"
            parts.append(f"<!-- code {cell['id']} · en {source_hash(text)} -->\n```python\n{text}\n```{note}\n")
    return "\n".join(parts)


def to_run() -> list[Edition]:
    """The editions whose Chinese notebook has cells that must run to get outputs of their own."""
    return [edition for edition in editions() if edition.chinese.exists()
            and cells_to_run(load(edition.chinese), load(edition.english))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "check", "todo", "todo-code", "tidy", "to-run"])
    parser.add_argument("names", nargs="*", help="01, 01_solutions, a stem or a path (default: every notebook)")
    args = parser.parse_args(argv)
    chosen = select(args.names)
    if args.command in ("todo", "todo-code"):
        for edition in chosen:
            sys.stdout.write(todo(edition, code=args.command == "todo-code"))
        return 0
    if args.command == "to-run":  # for course.py regenerate: the Chinese notebooks to execute, one per line
        for edition in to_run():
            print(edition.chinese.relative_to(ROOT).as_posix())
        return 0
    if args.command == "tidy":
        for edition in chosen:
            if edition.translation.exists():
                text = edition.translation.read_text(encoding="utf-8")
                tidied = tidy(text)
                if tidied != text:
                    slides.write_atomically(edition.translation, tidied)
                    print(f"{edition.translation.relative_to(ROOT).as_posix()}: tidied")
        return 0
    failed = 0
    for edition in chosen:
        if args.command == "check":
            problems = check_problems(edition)
            for problem in problems:
                print(problem)
            failed += bool(problems)
            continue
        try:
            text = dump(build_notebook(edition))
        except ValueError as problems:
            print(problems)
            print(f"{edition.chinese.relative_to(ROOT).as_posix()}: not written (fix the translation first)")
            failed += 1
            continue
        if edition.chinese.exists() and edition.chinese.read_text(encoding="utf-8") == text:
            print(f"{edition.chinese.relative_to(ROOT).as_posix()}: unchanged")
        else:
            slides.write_atomically(edition.chinese, text)
            print(f"{edition.chinese.relative_to(ROOT).as_posix()}: written")
    if failed:
        print(f"{failed} of {len(chosen)} notebooks need work", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
