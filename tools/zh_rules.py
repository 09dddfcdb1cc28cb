"""The rules for the course's Chinese text, in one place: terms and typesetting (notebooks/zh/GLOSSARY.md).

tools/zh_edition.py applies the typesetting rules to every translation before it builds a notebook, and ``tidy``
fixes what can be fixed mechanically; tests/test_zh_edition.py applies all of them to every Chinese text of the
course: the Chinese notebooks (Markdown cells, and the Chinese comments and strings of code cells), the Chinese
parts of README.md and TEACHING.md, and the glossary's own prose.

Most rules hold per *sentence*: text between 。！？； or line ends (a heading, a list item, a one-line paragraph)
or table cell borders. Code, maths, links' targets, URLs and HTML never split or end one, and are never prose.
"""

from __future__ import annotations

import io
import re
import tokenize
import unicodedata
from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).resolve().parent.parent / "notebooks" / "zh" / "GLOSSARY.md"

HAN = "\u3400-\u4dbf\u4e00-\u9fff"
CJK = re.compile(f"[{HAN}]")
CHINESE = re.compile(f"[{HAN}\u3000-\u303f\uff01-\uff1f（）“”‘’《》、—…]")
# What is not prose: code, maths, link targets, URLs, HTML (and comments), digit groups such as 1,000 and 3:2.
VERBATIM = re.compile(r"```.*?```|`[^`\n]*`|\$[^$\n]+\$|\]\([^)]*\)|<[^>\n]*>|https?://\S+|\d[,:]\d", re.S)
SENTENCE_END = re.compile(r"[。！？；\n|]")
BLOCK_START = re.compile(r"\s*(?:[-*+]\s|\d+\.\s|#|\||>|```|<!--)")


def _blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", "\0", match.group())


def mask(text: str) -> str:
    """``text`` with every verbatim span replaced by NUL characters of the same length (line ends kept)."""
    return VERBATIM.sub(_blank, text)


def sentences(masked: str) -> list[tuple[int, int]]:
    """The (start, end) spans of the sentences of a masked text that hold a Han character (an aside in （…）
    belongs to its sentence, even with a ； in it)."""
    asides = re.sub(r"（[^（）\n]*）", lambda m: re.sub(r"[。！？；]", "\0", m.group()), masked)
    spans, start = [], 0
    for match in SENTENCE_END.finditer(asides + "\n"):
        if CJK.search(masked[start:match.start()]):
            spans.append((start, match.start()))
        start = match.end()
    return spans


def _snippet(text: str, index: int, end: int | None = None) -> str:
    return text[max(0, index - 10):(end or index + 1) + 10].replace("\n", " ")


# ---- Typesetting ----------------------------------------------------------------------------------------------

FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
# In a Chinese sentence these stay ASCII when they hold no Han: a call or formula, f(x), P(hot dog), = (−z, z),
# [1 − z, 1 + z], and English quoted or emphasised as a whole (“interrupted; run again”, *Settings > Language*).
ASCII_ALLOWED = re.compile(r"(?:[A-Za-z0-9_.]|[=+×/·^−-] ?)\([^()\n]*\)|\[[^\[\]\n]*\]|(?<![*])\*[^*\n]+\*(?![*])"
                           r"|“[^”\n]*”|\"[^\"\n]*\"")
UNSPACED = re.compile(f"[{HAN}][A-Za-z0-9`]|[A-Za-z0-9`][{HAN}]")
ITALIC = re.compile(rf"(?<![*A-Za-z0-9\\])\*(?![*\s])([^*\n]*?[{HAN}][^*\n]*?)(?<![*\s])\*(?!\*)"
                    rf"|(?<![_A-Za-z0-9\\])_(?![_\s])([^_\n]*?[{HAN}][^_\n]*?)(?<![_\s])_(?![_A-Za-z0-9])")
NUMBER = r"[+−-]?\d+(?:\.\d+)?(?::\d+)?%?"
# a–b: an en dash, no spaces; not a~b, a-b, a..b, a 到 b (从 a 到 b is prose), a – b, and in percentages a%–b%
RANGE = re.compile(rf"(?<![\w.−-])(?<![−+×*/=] )(?P<a>{NUMBER})"  # not a term of a sum such as 1 − 0.4
                   rf"(?P<mark>\s*[~～]\s*|-|\.\.|\s*到\s*|\s+–\s*|–\s+)"
                   rf"(?P<b>{NUMBER})(?![\w.])(?! ?[−+×*/])")
PERCENT_RANGE = re.compile(r"(?<![\w.%])(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?)\s*%")
PERCENT_SPACE = re.compile(r"\d(\s+)[%％]")


def _half_width_places(masked: str) -> list[int]:
    """Indexes of ASCII , : ; ? ! ( ) in sentences with a Han character (they should be full-width)."""
    allowed = ASCII_ALLOWED.sub(lambda m: m.group() if CJK.search(m.group()) else _blank(m), masked)
    return [start + offset for start, end in sentences(masked)
            for offset, char in enumerate(allowed[start:end]) if char in FULL_WIDTH]


def _broken_lines(masked: str) -> list[int]:
    """Indexes of newlines that split a Chinese sentence (a browser shows them as a stray space)."""
    found = []
    for match in re.finditer(r"\n", masked):
        rest = masked[match.end():].split("\n", 1)[0]
        if (match.start() > 0 and CHINESE.match(masked[match.start() - 1]) and rest.strip()
                and CHINESE.match(rest.lstrip()[0]) and not BLOCK_START.match(rest)):
            found.append(match.start())
    return found


def _ranges(masked: str) -> list[tuple[int, int, re.Match]]:
    """Range marks other than an unspaced en dash between two numbers in Chinese sentences (从 a 到 b is prose):
    (start, end, match) with the match's span relative to its sentence."""
    found = []
    for start, end in sentences(masked):
        sentence = masked[start:end]
        for match in RANGE.finditer(sentence):
            clause = re.split(r"[，、：（]", sentence[:match.start()])[-1]
            if not ("到" in match["mark"] and "从" in clause):
                found.append((start + match.start(), start + match.end(), match))
    return found


def _in_chinese_sentences(masked: str, pattern: re.Pattern, group: int = 0) -> list[tuple[int, int]]:
    """The (start, end) of each match of ``pattern`` (or of its ``group``) in a sentence with Han characters."""
    return [(start + m.start(group), start + m.end(group)) for start, end in sentences(masked)
            for m in pattern.finditer(masked[start:end])]


def _punctuation(char: str) -> bool:
    return bool(char) and unicodedata.category(char)[0] in "PS"


def emphasis_problems(text: str) -> list[str]:
    """``*``/``**`` pairs that Markdown will not read as emphasis, so the asterisks show.

    CommonMark opens emphasis only at a left-flanking ``*`` run and closes it only at a right-flanking one. In
    Chinese this fails where a closing run follows full-width punctuation and a Han character follows it
    (``**测到了什么。**在``), or an opening run follows a Han character and punctuation follows it: put a space
    outside the asterisks, or move the punctuation out.
    """
    found = []
    for line in mask(text).splitlines():
        runs = [m for m in re.finditer(r"(?<!\*)(\*{1,2})(?!\*)", line) if not (m.start() == len(line) - len(
            line.lstrip()) and line[m.end():m.end() + 1] == " ")]  # a "* " list bullet is no emphasis
        for length in (1, 2):
            same = [m for m in runs if len(m.group()) == length]
            for index, run in enumerate(same[: len(same) // 2 * 2]):
                before = line[run.start() - 1] if run.start() else " "
                after = line[run.end()] if run.end() < len(line) else " "
                opening = index % 2 == 0
                near, far = (after, before) if opening else (before, after)
                if not near.isspace() and _punctuation(near) and not (far.isspace() or _punctuation(far)):
                    found.append(f"{'opening' if opening else 'closing'} {run.group()} in "
                                 f"{line[max(0, run.start() - 10):run.end() + 6]!r} shows as asterisks: "
                                 "put a space outside it or move the punctuation out")
    return found


def typesetting_problems(text: str) -> list[str]:
    """Everything GLOSSARY.md's 排版约定 asks that ``text`` breaks; what ``tidy`` fixes says so."""
    masked = mask(text)
    spaced = VERBATIM.sub(lambda m: "`" + "\0" * (len(m.group()) - 2) + "`" if m.group().startswith("`")
                          else _blank(m), text)
    found = [f"put a space between Chinese and Latin/digits/code: {_snippet(text, m.start())!r}"
             for m in UNSPACED.finditer(spaced)]
    tidied = "; `tools/zh_edition.py tidy` fixes it"
    found += [f"half-width {text[i]!r} in a Chinese sentence: {_snippet(text, i)!r} (use {FULL_WIDTH[text[i]]})"
              f"{tidied}" for i in _half_width_places(masked)]
    found += [f"a line break inside a Chinese sentence: {_snippet(text, i)!r} (join the lines){tidied}"
              for i in _broken_lines(masked)]
    found += [f"italics on Chinese: {_snippet(text, m.start(), m.end())!r} (use bold, “quotes” or a > block){tidied}"
              for m in ITALIC.finditer(masked)]
    found += [f"range {text[s:e]!r}: write a–b with an en dash and no spaces (or 从 a 到 b){tidied}"
              for s, e, _ in _ranges(masked)]
    found += [f"percent range {text[s:e]!r}: write both ends as percentages, a%–b%{tidied}"
              for s, e in _in_chinese_sentences(masked, PERCENT_RANGE)]
    found += [f"a space before %: {_snippet(text, s, e)!r} (write 10%){tidied}"
              for s, e in _in_chinese_sentences(masked, PERCENT_SPACE)]
    return found + emphasis_problems(text)


def tidy(text: str) -> str:
    """``text`` with what the typesetting rules can fix mechanically fixed: full-width punctuation, one line per
    Chinese paragraph, bold instead of italics, a–b ranges, 10% without a space."""
    for _ in range(10):  # a converted mark can make its neighbour Chinese: repeat until nothing changes
        tidier = _tidy_once(text)
        if tidier == text:
            return text
        text = tidier
    return text


def _replace(text: str, edits: list[tuple[int, int, str]]) -> str:
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _tidy_once(text: str) -> str:
    masked = mask(text)
    edits = [(i, i + 1, FULL_WIDTH[text[i]]) for i in _half_width_places(masked)]
    for index in _broken_lines(masked):
        end = index + 1
        while end < len(text) and text[end] in " \t":
            end += 1
        edits.append((index, end, ""))
    for match in ITALIC.finditer(masked):  # a whole italic line is a quotation: a > block; else bold
        before, after = text[match.start() - 1:match.start()], text[match.end():match.end() + 1]
        whole_line = before in ("", "\n") and after in ("", "\n")
        inner = text[match.start() + 1:match.end() - 1]
        edits.append((match.start(), match.end(), f"> {inner}" if whole_line else f"**{inner}**"))
    text = _replace(text, edits)
    masked = mask(text)
    text = _replace(text, [(s, e, "") for s, e in _in_chinese_sentences(masked, PERCENT_SPACE, 1)])
    masked = mask(text)
    text = _replace(text, [(s, e, f"{m['a']}–{m['b']}") for s, e, m in _ranges(masked)
                           if m["a"][0] not in "+−-" and m["b"][0] not in "+−-"])
    masked = mask(text)
    text = _replace(text, [(s, e, re.sub(r"(\d)–(\d+(?:\.\d+)?)\s*%", r"\1%–\2%", text[s:e]))
                           for s, e in _in_chinese_sentences(masked, PERCENT_RANGE)])
    # no space next to full-width punctuation (outside code), except a line's indentation
    masked = mask(text)
    around = r"(?<![|\s]) +(?=[，。：；？！、（）])|(?<=[，。：；？！、（）]) +(?![|\s])"
    spans = [(m.start(), m.end()) for m in re.finditer(around, masked)]
    for start, end in reversed(spans):
        if start > 0 and masked[start - 1] != "\n":
            text = text[:start] + text[end:]
    return text


# ---- Terms ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Term:
    """One row of the glossary: an avoided term is (the term, the words that make it wrong in a sentence)."""

    english: str
    preferred: tuple[str, ...]
    synonyms: tuple[str, ...]
    avoid: tuple[tuple[str, tuple[str, ...]], ...]
    note: str


def _items(cell: str) -> list[str]:
    """The terms of a glossary cell: split at 、 and commas outside （…）."""
    return [item.strip() for item in re.split(r"[、,，](?![^（(]*[）)])", cell) if item.strip()]


def glossary(path: Path = GLOSSARY) -> list[Term]:
    """The glossary's term rows (English | 首选译法 | 同义词 | 不用 | 说明)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) != 5 or cells[0] in ("English", "---"):
            continue
        avoid = []
        for item in _items(cells[3]):
            term, _, context = item.partition("（同句出现")
            avoid.append((term.strip(), tuple(_items(context.removesuffix("时）").strip()))))
        rows.append(Term(cells[0], tuple(_items(re.sub(r"[(（].*?[)）]", "", cells[1]))),
                         tuple(_items(cells[2])), tuple(avoid), cells[4]))
    return rows


def glossary_prose(path: Path = GLOSSARY) -> str:
    """The glossary without its term columns: its prose and each row's 说明, one per line."""
    return "\n".join(f"| {line.strip().strip('|').split('|')[4].strip()} |"
                     if line.startswith("|") and line.count("|") == 6 else line
                     for line in path.read_text(encoding="utf-8").splitlines())


def _prose_for_terms(text: str) -> str:
    """``text`` with code masked, except the comments in fenced code blocks (a shell's ``# 说明``)."""
    def keep_comments(match: re.Match) -> str:
        if not match.group().startswith("```"):
            return _blank(match)
        lines = []
        for line in match.group().split("\n"):
            comment = re.search(r"(?:^|\s)#", line)
            cut = comment.end() - 1 if comment else len(line)
            lines.append("\0" * cut + line[cut:])
        return "\n".join(lines)
    return VERBATIM.sub(keep_comments, text)


def _find(term: str, sentence: str) -> list[tuple[int, int]]:
    """Where ``term`` occurs in ``sentence``; a Latin term only as the start of a word, not inside a name such as
    ``epoch_1`` or ``epochs_differ``."""
    latin = re.match(r"[A-Za-z]", term)
    pattern = (r"(?<![A-Za-z_])" + re.escape(term) + r"(?![A-Za-z0-9]*[_0-9])") if latin else re.escape(term)
    return [(m.start(), m.end()) for m in re.finditer(pattern, sentence)]


def term_problems(text: str, rows: list[Term]) -> list[str]:
    """Sentences that use an avoided term, or a synonym without its row's preferred term in the same sentence.

    An occurrence inside a longer term of the glossary (缩放 in 随机缩放裁剪, 增强 in 图像增强) counts as that
    term, and one that fills a pair of quotes (“精度”) is a mention of the word, not a use.
    """
    prose = _prose_for_terms(text)
    every = {t for row in rows for t in row.preferred + row.synonyms + tuple(term for term, _ in row.avoid)}
    problems = []
    for start, end in sentences(prose):
        sentence, original = prose[start:end], text[start:end]
        terms = [span for term in every for span in _find(term, sentence)]
        mentions = [m.span(1) for m in re.finditer(r"[“\"「]([^”\"」\n]+)[”\"」]", sentence)]
        where = original.strip()[:70]
        for row in rows:
            for term, context in row.avoid:
                if _used(term, sentence, terms, mentions) and (not context or any(w in original for w in context)):
                    problems.append(f"'{term}' (the glossary says {'/'.join(row.preferred)}): {where!r}")
            for term in row.synonyms:
                if _used(term, sentence, terms, mentions) and not any(_find(p, sentence) for p in row.preferred):
                    problems.append(f"'{term}' without the preferred '{row.preferred[0]}' in the same sentence: "
                                    f"{where!r}")
    return problems


def _used(term: str, sentence: str, terms: list[tuple[int, int]], mentions: list[tuple[int, int]]) -> bool:
    """Whether ``term`` occurs in ``sentence`` other than inside a longer term or as a quoted mention."""
    return any(not any(a <= s and e <= b and b - a > e - s for a, b in terms) and (s, e) not in mentions
               for s, e in _find(term, sentence))


def code_tokens(source: str) -> list[tokenize.TokenInfo]:
    """The Python tokens of a code cell, its IPython lines (``%`` magics, ``!`` shell commands) left out.
    Raises tokenize.TokenError or SyntaxError where Python cannot tokenize the cell."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    return list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))


def code_prose(source: str) -> str:
    """The comments and string literals of a Python code cell that hold Chinese, one per line."""
    kinds = {tokenize.COMMENT, tokenize.STRING} | {getattr(tokenize, "FSTRING_MIDDLE", tokenize.STRING)}
    try:
        tokens = code_tokens(source)
    except (tokenize.TokenError, SyntaxError) as error:
        return f"（代码无法分词：{error}）"
    # An f-string's {fields} are code; a docstring's ``name`` is code as `name` is in Markdown.
    return "\n".join(re.sub(r"``([^`]+)``", r"`\1`", re.sub(r"\{[^{}\n]*\}", " ", token.string))
                     for token in tokens if token.type in kinds and CJK.search(token.string))


# The first 轮 meaning "epoch" in a lesson, README's and TEACHING's Chinese parts (headings aside) carries this.
EPOCH_GLOSS = "轮（epoch；《动手学深度学习》称迭代周期）"
NOT_EPOCH = re.compile(r"色轮|滚轮|轮廓|轮流|轮换|轮到|车轮|齿轮|轮子")


def epoch_gloss_problems(text: str) -> list[str]:
    """Whether the first 轮 (an epoch) outside headings is written as EPOCH_GLOSS."""
    prose = "\n".join("\0" * len(line) if line.lstrip().startswith("#") else line for line in mask(text).split("\n"))
    prose = NOT_EPOCH.sub(lambda m: "\0" * len(m.group()), prose)
    first = prose.find("轮")
    if first < 0 or text.startswith(EPOCH_GLOSS, first):
        return []
    return [f"the first 轮 (an epoch) should read {EPOCH_GLOSS}: {_snippet(text, first)!r}"]
