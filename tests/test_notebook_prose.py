"""Prose agrees with the stored outputs: a number a notebook's text quotes is one that its own ``##`` section
printed or set, to the precision quoted. Lessons, solutions and the Chinese edition are checked alike.

What counts as a quoted number (rules kept few on purpose; see ``quoted_numbers``):

- every decimal (``0.906``, ``3.2×``, ``14.6 s``), every integer with a unit of measurement (``156 s``, ``30%``,
  ``35°``, ``3×``, ``126 MB``, and 秒, 毫秒, 倍 in Chinese; not minutes, which plan a lesson's time) and every
  integer with a sign (``+152``, ``±51``). A bare integer (a section, a count, a year, "200 photos") is not checked;
- left out: `code spans`, code blocks, link targets, HTML and maths (they quote code), a version after a
  program's name ("TensorFlow 2.20 or 2.21", "Python 3.10-3.12", "MobileNet 0.25") and a size (``224 × 224``).

Where it may come from: the code and the stored text outputs of the code cells of the same ``##`` section (from
one ``##`` heading to the next; the title and introduction form a section of their own; text above a heading in
the middle of a cell ends the previous section), except Keras's per-epoch progress lines, whose dozens of losses
would support almost any two-decimal number. A number that legitimately comes from elsewhere, or from a training
log, is named in the Markdown cell's metadata, which students never see::

    "metadata": {"numbers": {"from": ["0f8b109d", "helpers/measured/mnist_augmentation_seeds.md"],
                             "not_measured": ["0.49", "10"]}}

``from`` lists cell ids of the same notebook (their code and all their outputs count) and files of the repository
(every number in them counts); ``not_measured`` lists numbers, as written, that no cell prints: a value quoted
from a document (the recipe's own 0.49), an example, arithmetic the sentence shows ("44 ms, so 440 ms"). The
Chinese edition copies this metadata with the cell (tools/zh_edition.py), so both editions have the same sources.
An entry the cell no longer needs is reported too, so that an edit cannot leave behind a reference that hides the
next wrong number.

Matching: a printed value supports a quote if it rounds to it and was printed at least as precisely (0.8438
supports 0.844 and 0.84; 0.8 does not support 0.80; NumPy's ``[0.769 0.8  ]`` means 0.800); a constant in the
code supports only itself as written (``0.5`` supports "0.5" and "50%", not "0.50"). ``p%`` is supported by
``p`` or ``p/100``; after "about", "~", "≈" (约, 左右) an integer's trailing zeros are not significant (``~80 s``
accepts 75 to 85 s) and code constants round too. Known mismatches waiting for a notebook fix are listed in
``KNOWN_MISMATCHES``; an entry that no longer mismatches fails the test, so the list cannot rot.
"""

from __future__ import annotations

import json
import random
import re
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((PROJECT_ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*.ipynb"))
CHINESE = sorted((PROJECT_ROOT / "notebooks" / "zh").glob("[0-9][0-9]_*.ipynb")) + sorted(
    (PROJECT_ROOT / "notebooks" / "zh" / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL = NOTEBOOKS + SOLUTIONS + CHINESE

# Not prose: code blocks, code spans, link targets, HTML tags and comments, maths.
IGNORED = re.compile(r"```.*?```|`[^`\n]*`|\]\([^)]*\)|<!--.*?-->|<[^>]+>|\$[^$\n]+\$", re.S)
# A version after a program's name, with the versions that follow it: "TensorFlow 2.20 or 2.21", "Python 3.10-3.12",
# "Keras 3 (3.10 or newer)", "TensorFlow >=2.20,<2.22" (a following number that starts with 0 is no version).
VERSION = re.compile(
    r"\b(?:TensorFlow|Keras|Python|NumPy|TF|CUDA|JupyterLab|RISE|Pillow|SciPy|macOS|Windows|version|v|MobileNet|α)"
    r"[ (]*[<>=!~]*\s*\d+(?:\.\d+)*(?:\.x)?\+?\)?"
    r"(?:[ (]*(?:[<>=!~]=?|,|or|and|to|-|–|或|和|到|至|（)? *[1-9]\d*(?:\.\d+)*(?:\.x)?\+?\)?)*")
SIZE = re.compile(r"(?<![\d.])\d+ ?[×x] ?\d+(?: ?[×x] ?\d+)*(?!\.?\d)")  # 224 × 224, 32x32x3; integers only
UNIT = r"(?:\s?(?:%|°|×)|\s?x(?![A-Za-z])|\s(?:s|ms|µs|seconds?|images/s|MB|GB|KB|MiB|GiB)(?![\w/]))"
NUMBER = re.compile(r"(?<![\w.])(?P<approx>(?:~|≈|about |around |roughly |nearly |almost )\s*)?(?P<sign>[+−±-]?)"
                    r"(?P<number>\d+(?:\.\d+)?)(?![\w.]*\d)(?P<unit>" + UNIT + ")?")
VALUE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?(?:e-?\d+)?)")
NUMPY_ARRAY = re.compile(r"\[\s*\d+\.\d*(?:\s+\d+\.\d*)+\s*\]")
HAN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
HEADING = re.compile(r"^##\s", re.M)
KERAS_LOG = re.compile(r"^(?:Epoch \d+/\d+|\s*\d+/\d+ - .*\b(?:loss|accuracy): .*)$", re.M)


@dataclass(frozen=True)
class Quote:
    text: str  # as written, with its unit: "156 s", "0.906", "30%"
    number: str  # the digits: "156", "0.906", "30"
    unit: str  # "s", "%", "×", ... or ""
    approximate: bool

    @property
    def percent(self) -> bool:
        return self.unit == "%"


def prose(markdown: str) -> str:
    """The running text of a Markdown cell: code, links, HTML, maths, versions and sizes left out."""
    text = VERSION.sub(" ", IGNORED.sub(" ", markdown))
    text = re.sub(r"(?:大约|约|近)\s*(?=[+−±]?\d)", "about ", text)  # Chinese "about 100" ...
    text = re.sub(r"([+−±]?\d+(?:\.\d+)?)\s*左右", r"about \1", text)  # ... and "100 or so"
    for chinese, unit in (("毫秒", " ms"), ("秒", " s"), ("倍", "×")):
        text = re.sub(rf"(\d)\s*{chinese}", rf"\1{unit}", text)
    text = re.sub(r"(\d)%(?=–\d+(?:\.\d+)?%)", r"\1", text)  # Chinese "10%–100%" is English "10-100%"
    text = HAN.sub(" ", text)  # "准确率0.600": a Han character is a word character for the regexes
    return SIZE.sub(" ", text)


def quoted_numbers(markdown: str) -> list[Quote]:
    """The numbers the text quotes as results: every decimal, and integers with a unit of measurement."""
    quotes = []
    for match in NUMBER.finditer(prose(markdown)):
        number, unit = match.group("number"), (match.group("unit") or "").strip()
        if "." not in number and not unit and match.group("sign") in ("", "-"):
            continue
        sign = match.group("sign") if match.group("sign") in ("+", "±", "−") else ""
        text = f"{sign}{number}{' ' if unit and unit not in '%°×x' else ''}{unit}"
        quotes.append(Quote(text, number, unit, match.group("approx") is not None))
    return quotes


def numpy_padded(text: str) -> str:
    """NumPy arrays with every number at the array's precision: NumPy prints [0.769 0.775 0.8  ], meaning 0.800."""
    def pad(array: re.Match) -> str:
        places = max(len(number.partition(".")[2]) for number in array.group(0)[1:-1].split())
        return "[" + " ".join(f"{Decimal(number):.{places}f}" for number in array.group(0)[1:-1].split()) + "]"
    return NUMPY_ARRAY.sub(pad, text)


def values_of(text: str) -> frozenset[tuple[Decimal, int]]:
    """Every number written in a text (code, an output, a measured file), with its exponent: Decimal("2.00")
    equals Decimal("2"), but a printed 2 does not support "2.00"."""
    values = set()
    for match in VALUE.findall(text):
        try:
            value = Decimal(match)
        except ArithmeticError:
            continue
        values.add((value, value.as_tuple().exponent))
    return frozenset(values)


@dataclass(frozen=True)
class Values:
    """Numbers a quote may come from: ``printed`` by a cell or a measured file, ``written`` in a cell's code."""
    printed: frozenset[tuple[Decimal, int]] = frozenset()
    written: frozenset[tuple[Decimal, int]] = frozenset()

    def __or__(self, other: Values) -> Values:
        return Values(self.printed | other.printed, self.written | other.written)


def cell_values(cell: dict, logs: bool = False) -> Values:
    """The numbers of a code cell's stored text outputs (HTML tables included) and of its source.

    Keras's progress lines ("Epoch 3/5", "4/4 - 3s - 646ms/step - accuracy: 0.7969 - loss: 0.4953 ...") count
    only with ``logs``: a few epochs print dozens of losses, which would support almost any two-decimal number.
    """
    texts = []
    for output in cell.get("outputs", []):
        text = "".join(output.get("text", ""))
        texts.append(text if logs else KERAS_LOG.sub("", text))
        data = output.get("data", {})
        texts.append("".join(data.get("text/plain", "")))
        texts.append(re.sub(r"<[^>]+>", " ", "".join(data.get("text/html", ""))))
    return Values(values_of(numpy_padded("\n".join(texts))), values_of("".join(cell["source"])))


def supported(quote: Quote, values: Values) -> bool:
    """Whether a value printed at least as precisely as quoted rounds to the quoted number (0.8438 supports 0.844
    and 0.84; 0.8 does not support 0.80), or the code sets it as
    written (``0.5`` supports "0.5" and "50%", not "0.50": a constant is quoted as the code writes it, unless the
    text says "about")."""
    quoted = Decimal(quote.number)
    exponent = quoted.as_tuple().exponent
    if quote.approximate and exponent == 0:
        digits = quote.number.rstrip("0")
        exponent = len(quote.number) - len(digits) if digits else 0
    half = Decimal(1).scaleb(exponent) / 2
    targets = [(quoted, half), (quoted / 100, half / 100)] if quote.percent else [(quoted, half)]
    rounded = values.printed | values.written if quote.approximate else values.printed
    if any(abs(value - target) <= scale and places <= exponent
           for target, scale in targets for value, places in rounded):
        return True
    if quote.percent:
        return any(value in (quoted, quoted / 100) for value, _ in values.written)
    return (quoted, quoted.as_tuple().exponent) in values.written


def sections(notebook: dict) -> list[list[dict]]:
    """The notebook's cells, split where a Markdown cell starts with a ``##`` heading (the top is a section too)."""
    found: list[list[dict]] = [[]]
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown" and HEADING.search("".join(cell["source"])):
            found.append([])
        found[-1].append(cell)
    return [section for section in found if section]


def section_title(section: list[dict]) -> str:
    for cell in section:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("## "):
                    return line[3:].strip()
    return "(top)"


@dataclass(frozen=True)
class Problem:
    cell: str  # the Markdown cell's id
    number: str  # as quoted (or what is wrong with the cell's metadata)
    section: str

    def __str__(self):
        what = f"quotes {self.number}" if self.number[0] in "0123456789+−±" else self.number
        return f"cell {self.cell} (section {self.section!r}) {what}"


def references(cell: dict) -> dict:
    return cell.get("metadata", {}).get("numbers", {})


def file_values(name: str) -> Values:
    path = PROJECT_ROOT / name
    if not path.is_file() or PROJECT_ROOT not in path.resolve().parents:
        raise ValueError(f"metadata numbers.from names {name!r}, which is no file of the repository")
    return Values(values_of(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Sources:
    """What one Markdown cell's numbers may come from."""
    section: str
    own: Values  # the section's code cells
    named: tuple[tuple[str, Values], ...]  # the cells and files its metadata names
    not_measured: frozenset[str]
    problems: tuple[Problem, ...]  # references to cells that do not exist

    @property
    def values(self) -> Values:
        values = self.own
        for _, more in self.named:
            values |= more
        return values

    def unsupported(self, cell_id: str, markdown: str) -> list[Problem]:
        values = self.values
        return [Problem(cell_id, quote.text, self.section) for quote in quoted_numbers(markdown)
                if quote.number not in self.not_measured and not supported(quote, values)]

    def unneeded(self, cell_id: str, markdown: str) -> list[Problem]:
        """Metadata that no longer serves the text (it was edited): a stale entry would hide the next mistake."""
        quotes = quoted_numbers(markdown)
        problems = [Problem(cell_id, f"numbers.not_measured lists {number}, which the cell does not quote",
                            self.section) for number in sorted(self.not_measured - {q.number for q in quotes})]
        needing = [quote for quote in quotes if quote.number not in self.not_measured
                   and not supported(quote, self.own)]
        problems += [Problem(cell_id, f"numbers.from names {name}, which supports none of its numbers", self.section)
                     for name, values in self.named if not any(supported(quote, values) for quote in needing)]
        return problems


def sources(notebook: dict) -> dict[str, Sources]:
    """For every Markdown cell (by id): its section's code and outputs, plus what its metadata names."""
    by_id = {cell.get("id"): cell for cell in notebook["cells"]}
    found, previous = {}, Values()
    for section in sections(notebook):
        title, own = section_title(section), Values()
        for cell in section:
            if cell["cell_type"] == "code":
                own |= cell_values(cell)
        for cell in section:
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            # A heading in the middle of a cell: the text above it ends the previous section.
            heading = HEADING.search(text)
            mine = own | previous if heading and text[:heading.start()].strip() else own
            named, wanted, problems = [], references(cell), []
            for source in wanted.get("from", []):
                if source in by_id:
                    named.append((source, cell_values(by_id[source], logs=True)))
                elif "/" in source or "." in source:
                    named.append((source, file_values(source)))
                else:
                    problems.append(Problem(cell["id"], f"a reference to cell {source}, which does not exist", title))
            found[cell["id"]] = Sources(title, mine, tuple(named), frozenset(wanted.get("not_measured", [])),
                                        tuple(problems))
        previous = own
    return found


def unsupported(notebook: dict) -> list[Problem]:
    """Every number a Markdown cell quotes that neither its section nor the sources it names support, and every
    entry of its metadata that no longer serves it."""
    problems = []
    for cell_id, where in sources(notebook).items():
        markdown = next("".join(cell["source"]) for cell in notebook["cells"] if cell.get("id") == cell_id)
        problems += [*where.problems, *where.unsupported(cell_id, markdown), *where.unneeded(cell_id, markdown)]
    return problems


# ---- Known mismatches, waiting for a notebook fix (issue 18, point 12) ----------------------------------------
# (notebook path under notebooks/, Markdown cell id, number as quoted). Empty this list as the notebooks are fixed.
KNOWN_MISMATCHES: set[tuple[str, str, str]] = set()


def problems_of(path: Path) -> tuple[list[str], list[str]]:
    """(unexpected problems, listed mismatches that no longer occur) for one notebook."""
    name = path.relative_to(PROJECT_ROOT / "notebooks").as_posix()
    found = unsupported(json.loads(path.read_text(encoding="utf-8")))
    known = {(cell, number) for notebook, cell, number in KNOWN_MISMATCHES if notebook == name}
    unexpected = [str(problem) for problem in found if (problem.cell, problem.number) not in known]
    fixed = [f"cell {cell} no longer quotes an unsupported {number}: remove it from KNOWN_MISMATCHES"
             for cell, number in sorted(known - {(problem.cell, problem.number) for problem in found})]
    return unexpected, fixed


def notebook_id(path: Path) -> str:
    return path.relative_to(PROJECT_ROOT / "notebooks").with_suffix("").as_posix()


@pytest.mark.parametrize("path", ALL, ids=[notebook_id(p) for p in ALL])
def test_every_number_in_the_prose_was_printed_or_set_in_its_section(path: Path):
    unexpected, fixed = problems_of(path)
    assert not unexpected, f"{path.name}: numbers its section neither prints nor sets: " + "; ".join(unexpected)
    assert not fixed, f"{path.name}: " + "; ".join(fixed)


def test_every_lesson_solution_and_translation_is_checked():
    assert len(NOTEBOOKS) >= 5 and len(SOLUTIONS) == len(NOTEBOOKS) and len(CHINESE) == 2 * len(NOTEBOOKS)


def test_every_known_mismatch_names_a_notebook():
    names = {path.relative_to(PROJECT_ROOT / "notebooks").as_posix()
             for path in (PROJECT_ROOT / "notebooks").rglob("*.ipynb")}
    assert not {entry for entry in KNOWN_MISMATCHES if entry[0] not in names}


def test_a_known_mismatch_that_was_fixed_fails_the_test(monkeypatch):
    lesson = PROJECT_ROOT / "notebooks" / "03_fine_tuning_hotdog.ipynb"
    listed = {entry for entry in KNOWN_MISMATCHES if entry[0] == lesson.name}
    supported_quote = (lesson.name, "c09a2019", "0.600")  # the recipe's test accuracy, named in metadata
    monkeypatch.setattr(sys.modules[__name__], "KNOWN_MISMATCHES", {supported_quote})
    unexpected, fixed = problems_of(lesson)
    assert fixed == ["cell c09a2019 no longer quotes an unsupported 0.600: remove it from KNOWN_MISMATCHES"]
    assert len(unexpected) == len(listed)  # what the list held is reported again once the list forgets it


# ---- Tests of the test ----------------------------------------------------------------------------------------

def test_what_counts_as_a_quoted_number():
    text = ("Section 4 trains 200 photos for 5 epochs (2012, notebook 03): accuracy 0.906 in 14.6 s, 3.2× faster, "
            "156 s in all, 30% of the area, ~80 s, a 224 × 224 crop, TensorFlow 2.20 or 2.21, Python 3.10-3.12, "
            "`lr=0.123`, [docs](https://x.org/v2.21), <!-- 9.99 -->, MobileNet 0.25, Keras 3 and 0.95, 约 ±100, "
            "12.3 秒, 15.3 倍、4.9 倍 and 准确率0.600。")
    assert [quote.text for quote in quoted_numbers(text)] == [
        "0.906", "14.6 s", "3.2×", "156 s", "30%", "80 s", "0.95", "±100", "12.3 s", "15.3×", "4.9×", "0.600"]
    assert [quote.approximate for quote in quoted_numbers("~80 s, 约 ±100, 80 s")] == [True, True, False]


def test_a_quote_is_supported_only_by_a_value_that_rounds_to_it():
    values = Values(values_of("0.9062 155.8 78"), values_of("0.3"))
    assert [supported(quote, values) for quote in quoted_numbers(
        "0.91, 0.906, 0.9062, 0.907, 0.90, 156 s, 155 s, 30%, 31%, ~80 s, 80 s, ~90 s")] == [
        True, True, True, False, False, True, False, True, False, True, False, False]


def toy_notebook(*cells: tuple[str, str, dict | None]) -> dict:
    return {"cells": [{"cell_type": kind, "id": f"c{index}", "source": [text], "metadata": metadata or {},
                       **({"outputs": []} if kind == "code" else {})}
                      for index, (kind, text, metadata) in enumerate(cells)]}


def test_a_number_from_another_section_needs_a_reference():
    notebook = toy_notebook(("markdown", "## 1. Train", None), ("code", "print(0.906)", None),
                            ("markdown", "## 2. Evaluate\nIt scored 0.906.", None),
                            ("markdown", "Again 0.906.", {"numbers": {"from": ["c1"]}}),
                            ("markdown", "Grey is 0.2989 R.", {"numbers": {"not_measured": ["0.2989"]}}),
                            ("markdown", "Then 0.906.", {"numbers": {"from": ["nope"]}}))
    assert [(p.cell, p.number, p.section) for p in unsupported(notebook)] == [
        ("c2", "0.906", "2. Evaluate"), ("c5", "a reference to cell nope, which does not exist", "2. Evaluate"),
        ("c5", "0.906", "2. Evaluate")]
    assert unsupported(toy_notebook(("markdown", "## 1. x\n0.906", {"numbers": {"from": [
        "helpers/measured/input_pipelines.json"]}}))) == [
        Problem("c0", "0.906", "1. x"),
        Problem("c0", "numbers.from names helpers/measured/input_pipelines.json, which supports none of its numbers",
                "1. x")]
    # metadata left behind by an edit is reported, so that it cannot hide the next wrong number
    stale = toy_notebook(("code", "print(0.906)", None), ("markdown", "It scored 0.906.", {"numbers": {
        "from": ["c0"], "not_measured": ["0.49"]}}))
    assert [p.number for p in unsupported(stale)] == [
        "numbers.not_measured lists 0.49, which the cell does not quote",
        "numbers.from names c0, which supports none of its numbers"]
    with pytest.raises(ValueError, match="no file of the repository"):
        unsupported(toy_notebook(("markdown", "0.5", {"numbers": {"from": ["no/such.json"]}})))


PLANTS = ("same format", "perturbed", "two decimals")


def measured_quotes(notebook: dict) -> list[tuple[str, str]]:
    """(cell id, number) for every decimal of two or more places that a Markdown cell quotes from a printed output
    or a measured file: a result. (Decimals of one place are parameters here, 0.1, 0.5, 1.5: moved by a tenth, one
    lands on another parameter the code sets, which no number check can tell from the right one.)"""
    found = []
    for cell_id, where in sources(notebook).items():
        markdown = next("".join(cell["source"]) for cell in notebook["cells"] if cell.get("id") == cell_id)
        printed = Values(where.values.printed)
        found += [(cell_id, quote.number) for quote in quoted_numbers(markdown)
                  if len(quote.number.partition(".")[2]) >= 2 and supported(quote, printed)]
    return found


def plant(notebook: dict, rng: random.Random, how: str) -> tuple[str, str]:
    """A wrong number to add to one Markdown cell, and the cell: the three kinds of error the test must catch.

    ``same format``: a random number written like a result the cell quotes (as many digits before and
    after the point); ``perturbed``: that result moved by 1 to 10 units of its last digit (a stale or mistyped
    result, next to the right one); ``two decimals``: a random value 0.00-0.99 in any Markdown cell (issue 18's
    measure of the old test, which let 74 of 100 through in notebook 03).
    """
    if how == "two decimals":
        cells = [cell["id"] for cell in notebook["cells"] if cell["cell_type"] == "markdown"]
        return rng.choice(cells), f"0.{rng.randint(0, 99):02d}"
    quotes = measured_quotes(notebook)
    cell, number = rng.choice(quotes)
    whole, fraction = number.split(".")
    if how == "same format":
        text = f"{rng.randint(0, 10 ** len(whole) - 1)}.{rng.randint(0, 10 ** len(fraction) - 1):0{len(fraction)}d}"
        return (cell, text) if text != number else plant(notebook, rng, how)
    moved = Decimal(number) + rng.choice([-1, 1]) * rng.randint(1, 10) * Decimal(1).scaleb(-len(fraction))
    return (cell, f"{moved:.{len(fraction)}f}") if moved >= 0 else plant(notebook, rng, how)


def catch_rate(path: Path, how: str, trials: int = 100) -> float:
    """The share of ``trials`` wrong numbers, planted one at a time, that the check reports."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    where, rng, caught = sources(notebook), random.Random(f"{path.name}-{how}"), 0
    for _ in range(trials):
        cell, text = plant(notebook, rng, how)
        planted = f"It measured {text} here."
        caught += [problem.number for problem in where[cell].unsupported(cell, planted)] == [text]
    return caught / trials


@pytest.mark.parametrize("how", PLANTS)
def test_a_planted_wrong_number_is_caught(how: str):
    """A test of the test: 100 wrong numbers planted one at a time in each English lesson and solution notebook;
    at least 95% of all of them and 85% in every notebook must be reported. The misses are numbers the section
    really prints (a perturbed 0.43 landing on another epoch's printed 0.38), which no number check can refuse; a
    section with a dense table of results lowers its notebook's rate more than the others'."""
    rates = {notebook_id(path): catch_rate(path, how) for path in NOTEBOOKS + SOLUTIONS
             if how == "two decimals" or measured_quotes(json.loads(path.read_text(encoding="utf-8")))}
    table = ", ".join(f"{name} {rate:.0%}" for name, rate in rates.items())
    assert sum(rates.values()) / len(rates) >= 0.95 and min(rates.values()) >= 0.85, f"{how}: caught {table}"
