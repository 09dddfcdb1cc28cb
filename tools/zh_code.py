"""The rule for the Chinese edition's code cells: same code as the English, other words only where a learner reads.

A translation file may give a code cell a Chinese version (tools/zh_edition.py). That version may differ from
the English cell only in

- comments;
- display strings: the text a learner reads, never a value the program computes with. A string literal is a
  display string when it is
  - an argument of a display call (``print``, ``set_title``, ``suptitle``, ``set_xlabel``, ``set_ylabel``, ...),
  - the value of a display keyword (``title=``, ``suptitle=``, ``xlabel=``, ``ylabel=``, ``label=``, ``titles=``),
  - the value assigned to a display name (``hint = "..."``),
  - a statement of its own (a docstring),
  directly or inside a list, tuple or conditional expression there, but not inside a subscript or another call,
  and only as a whole value (not an operand: in ``print("x", "a.gif" in names)`` the second string is code).
  An f-string's replacement fields (``{x:.2f}``) are code: they must be the English ones, in the same order.

:func:`differences` compares the two cells token by token (``tokenize``) under that rule and names every other
difference; :func:`displays_differ` says whether the Chinese cell shows other text than the English one (then
its outputs are its own, and CI re-executes the Chinese notebook). Python's own tokenizer is used rather than a
parser so that IPython syntax (``%timeit``, ``!ls``) in a cell does not stop the comparison.
"""

from __future__ import annotations

import ast
import io
import tokenize
from dataclasses import dataclass

DISPLAY_CALLS = frozenset({
    "print", "set_title", "suptitle", "title", "set_xlabel", "set_ylabel", "xlabel", "ylabel", "text",
    "annotate", "legend", "set_label", "set_text"})
DISPLAY_KEYWORDS = frozenset({"title", "suptitle", "xlabel", "ylabel", "label", "titles"})
DISPLAY_NAMES = frozenset({"hint", "question"})
SKIPPED = (tokenize.COMMENT, tokenize.NL, tokenize.ENCODING)
FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+ splits f-strings into several tokens
FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True)
class Item:
    """One token of a cell as the comparison sees it; a display string compares by its f-string fields only."""

    text: str
    line: int
    display: bool = False
    fields: tuple[str, ...] = ()

    def same_code(self, other: Item) -> bool:
        if self.display and other.display:
            return self.fields == other.fields
        return self.display == other.display and self.text == other.text


class Untokenizable(ValueError):
    """A cell Python's tokenizer cannot read (an unclosed bracket or string)."""


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in SKIPPED]
    except (tokenize.TokenError, IndentationError, SyntaxError) as error:
        raise Untokenizable(str(error)) from error
    return _joined_strings(tokens)


def _joined_strings(tokens: list[tokenize.TokenInfo]) -> list[tokenize.TokenInfo]:
    """Tokens with each run of adjacent string literals (and each 3.12 f-string's pieces) as one STRING token."""
    joined: list[tokenize.TokenInfo] = []
    depth, pieces, start = 0, [], None
    for token in tokens:
        if token.type == FSTRING_START:
            depth += 1
        if depth or token.type == tokenize.STRING:
            start = start or token
            pieces.append(token.string)
            if token.type == FSTRING_END:
                depth -= 1
            continue
        if pieces:
            joined.append(start._replace(type=tokenize.STRING, string=" ".join(pieces)))
            pieces, start = [], None
        joined.append(token)
    if pieces:
        joined.append(start._replace(type=tokenize.STRING, string=" ".join(pieces)))
    return joined


def _fields(literal: str) -> tuple[str, ...]:
    """The replacement fields of a (possibly implicitly concatenated) string literal, as code."""
    try:
        node = ast.parse(literal.strip(), mode="eval").body
    except SyntaxError:
        return (literal,)  # not a plain literal: compare it whole
    if not isinstance(node, ast.JoinedStr):
        return ()
    return tuple(ast.dump(value) for value in node.values if isinstance(value, ast.FormattedValue))


STATEMENT_EDGE = (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER)
# A display string is a whole value: what comes right before and after it may only delimit it, so that an operand
# such as "photo.gif" in print("found:", "photo.gif" in names) stays code.
WHOLE_BEFORE = frozenset({"(", "[", ",", "=", "else", "+"})
WHOLE_AFTER = frozenset({")", "]", ",", "if", "else", "for", "%", "+"})
COMPARISONS = frozenset({"in", "not", "is", "==", "!=", "<", ">", "<=", ">=", "and", "or"})
VALUE_END = frozenset({")", "]", "}", ",", "if", "else", "for"})


def _compared(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """Whether the value the string belongs to is compared or tested ("a" + b in names), not shown."""
    level = 0
    for token in tokens[index + 1:]:
        if token.type in STATEMENT_EDGE or (level == 0 and token.string in VALUE_END):
            return False
        if token.string in "([{":
            level += 1
        elif token.string in ")]}":
            level -= 1
        elif level == 0 and token.string in COMPARISONS:
            return True
    return False


def _is_display(tokens: list[tokenize.TokenInfo], index: int) -> bool:
    """Whether the string at ``index`` sits where the rule above allows other words."""
    before = tokens[index - 1] if index else None
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if tokens[index].type == tokenize.STRING and not (
            (before is None or before.type in STATEMENT_EDGE or before.string in WHOLE_BEFORE)
            and (after is None or after.type in STATEMENT_EDGE or after.string in WHOLE_AFTER)
            and not _compared(tokens, index)):
        return False
    if (before is None or before.type in STATEMENT_EDGE) and (after is None or after.type in STATEMENT_EDGE):
        return True  # a docstring, or a string statement
    # Walk back to the start of the argument, list item or statement the string belongs to.
    level, position = 0, index - 1
    while position >= 0:
        token = tokens[position]
        if token.type == tokenize.OP and token.string in ")]}":
            level += 1
        elif token.type == tokenize.OP and token.string in "([{":
            if level:
                level -= 1
            else:
                opener_before = tokens[position - 1] if position else None
                called = opener_before is not None and (
                    opener_before.type == tokenize.NAME or opener_before.string in (")", "]"))
                if token.string == "(" and called:
                    return opener_before.string in DISPLAY_CALLS
                if token.string == "{" or called:
                    return False  # a dict, a set, a subscript or another call: its strings are data
                return _is_display(tokens, position)  # a list or tuple literal: what holds it decides
        elif level == 0 and token.type == tokenize.OP and token.string == "=" and position > 0 and (
                tokens[position - 1].type == tokenize.NAME):
            name = tokens[position - 1].string
            head = tokens[position - 2] if position > 1 else None
            if head is None or head.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                return name in DISPLAY_NAMES
            if head.string in ("(", ","):
                return name in DISPLAY_KEYWORDS
            return False
        elif level == 0 and token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            return False
        position -= 1
    return False


def items(source: str) -> list[Item]:
    tokens = _tokens(source)
    found = []
    for index, token in enumerate(tokens):
        if token.type == tokenize.STRING:
            display = _is_display(tokens, index)
            found.append(Item(token.string, token.start[0], display, _fields(token.string) if display else ()))
        else:
            found.append(Item(token.string, token.start[0]))
    return found


def has_words(source: str) -> bool:
    """Whether a cell has anything a translation could change: a comment or a display string."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return False
    return any(token.type == tokenize.COMMENT for token in tokens) or any(item.display for item in items(source))


def differences(english: str, chinese: str) -> list[str]:
    """What in ``chinese`` differs from ``english`` other than comments and display strings (empty: none)."""
    try:
        ours, theirs = items(english), items(chinese)
    except Untokenizable as error:
        return [f"Python cannot tokenize the cell ({error})"]
    for mine, yours in zip(ours, theirs, strict=False):
        if not mine.same_code(yours):
            if mine.display and yours.display:
                return [f"line {yours.line}: a display string's {{fields}} differ from the English ones "
                        f"({yours.text[:60]!r})"]
            return [f"line {yours.line}: {yours.text[:60]!r} where the English cell has {mine.text[:60]!r} (line "
                    f"{mine.line}); only comments and display strings may differ"]
    if len(ours) != len(theirs):
        return [f"the Chinese cell has {len(theirs)} tokens, the English {len(ours)}: same code, please"]
    return []


def signature(source: str) -> str:
    """The cell as its outputs depend on it: every token but the comments (a changed comment needs no new run)."""
    return "\0".join(item.text for item in items(source))


def displays_differ(english: str, chinese: str) -> bool:
    """Whether the Chinese cell shows a learner other text than the English (so its outputs are its own)."""
    return [item.text for item in items(english) if item.display] != [
        item.text for item in items(chinese) if item.display]
