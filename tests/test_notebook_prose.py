"""Prose agrees with the stored outputs: every decimal number a notebook's text quotes is either a value its
code sets (a parameter such as ``1e-3`` or ``0.5``) or a value one of its cells printed, to the precision quoted.

Integers are not checked (section numbers, counts of photos and years are everywhere), nor numbers inside
`code spans`, code blocks or links, which quote code rather than results.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from helpers.paths import PROJECT_ROOT

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
DECIMAL = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.]*\d)")
NUMBER = re.compile(r"(?<![\w])(\d+(?:\.\d+)?(?:e-?\d+)?)")
IGNORED = re.compile(r"```.*?```|`[^`\n]*`|\]\([^)]*\)|<[^>]+>|\$[^$\n]+\$", re.S)


def quoted_decimals(markdown: str) -> list[str]:
    """Decimal numbers in running text (code spans, code blocks, link targets and maths left out)."""
    return DECIMAL.findall(IGNORED.sub(" ", markdown))


def known_values(notebook: dict) -> set[Decimal]:
    """Every number that appears in the notebook's code or in its stored text outputs."""
    texts = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        texts.append("".join(cell["source"]))
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
    values = set()
    for match in NUMBER.findall("\n".join(texts)):
        try:
            values.add(Decimal(match))
        except ArithmeticError:
            continue
    return values


def unsupported(markdown: str, values: set[Decimal]) -> list[str]:
    """The quoted decimals that no code or output value rounds to."""
    missing = []
    for text in quoted_decimals(markdown):
        quoted = Decimal(text)
        places = Decimal(1).scaleb(quoted.as_tuple().exponent)
        if not any(abs(value - quoted) <= places / 2 for value in values):
            missing.append(text)
    return missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_decimal_in_the_prose_was_printed_or_set_by_a_cell(path: Path):
    notebook = json.loads(path.read_text())
    values = known_values(notebook)
    problems = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            missing = unsupported("".join(cell["source"]), values)
            if missing:
                problems.append(f"markdown cell {index} quotes {', '.join(missing)}")
    assert not problems, f"{path.name}: numbers no cell prints or sets: " + "; ".join(problems)


def test_the_check_catches_a_number_that_no_cell_printed():
    values = {Decimal("0.875"), Decimal("0.95"), Decimal("3.6")}
    assert unsupported("accuracy 0.88 and 0.95; 3.6x faster", values) == []
    assert unsupported("accuracy 0.86", values) == ["0.86"]
    assert unsupported("it is 10.0 times slower", values) == ["10.0"]
    assert unsupported("set `rate=0.123` in code", values) == []
    assert quoted_decimals("see [the docs](https://x.org/v2.21) and version 2.21") == ["2.21"]
