"""The course as a web book: every lesson, solution, the teachers' guide and the glossary, in English and Chinese.

    python tools/book.py build [--out DIR]    # default DIR: build/book; the site is DIR/html (index.html)
    python tools/book.py stage [--out DIR]    # only write the book's sources to DIR/src (no Sphinx needed)

``python course.py book`` runs ``build`` in the book's own virtual environment (requirements-book.txt: Jupyter
Book 1, on Sphinx). The book shows the notebooks' stored outputs; nothing is executed. Steps:

1. stage: copy the pages into DIR/src, laid out as in the repository (so their relative links keep working),
   and write the table of contents and the configuration (:func:`pages`, :func:`toc_yaml`, :func:`config_yaml`).
   On the way each page gets a bar with the switch to its twin in the other language and a "download this
   notebook" link to the untouched notebook (:func:`page_bar`); each figure gets alt text (:func:`alt_text`); every
   relative link is checked and links to a notebook cell (JupyterLab's ``#cell-id=ID`` and ``#Heading-text``
   anchors) are pointed at a label put in that cell (:func:`resolve_links`). A link to a page, file, cell or
   heading that does not exist stops the build, naming each one.
2. Sphinx (``jupyter-book build -W``): any warning fails the build: a missing image, a reference Sphinx cannot
   resolve, a page that is in no table of contents.
3. :func:`external_loads`: no built page may load anything from another host (the book works offline).

Standard library only, except step 2, which needs the packages of requirements-book.txt.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "build" / "book"
ZH = "notebooks/zh"
TITLE = "Augment & Fine-tune"
FILES = "_files"  # downloads: untouched copies of the notebooks, and repository files the pages link to
HOME_EN, HOME_ZH = "index.md", "zh.md"
TEACHING_EN, TEACHING_ZH = "TEACHING.md", "TEACHING_zh.md"
GLOSSARY_EN, GLOSSARY_ZH = "GLOSSARY.md", f"{ZH}/GLOSSARY.md"
# The Chinese part of TEACHING.md starts at this heading; the book shows it as a page of its own.
TEACHING_ZH_HEADING, TEACHING_ZH_ANCHOR = "## 教师指南（中文）", "#教师指南中文"
# The README sections that are the course map: English, then Chinese.
COURSE_MAP_EN, COURSE_MAP_ZH = "## The course", "### 中文版课程"
WORDS = {
    "en": {"switch": "中文", "download": "Download this notebook", "figure": "Figure",
           "course": "The course",
           "widget": "*An interactive widget: open the notebook in JupyterLab to use it.*"},
    "zh": {"switch": "English", "download": "下载此笔记本", "figure": "图",
           "course": "中文版课程",
           "widget": "*交互式小工具：在 JupyterLab 中打开笔记本即可使用。*"},
}


WIDGET = "application/vnd.jupyter.widget-view+json"


class BookError(Exception):
    """Something in the course's sources that would make a broken page: printed, one line each, and exit 1."""


@dataclass(frozen=True)
class Page:
    """One page of the book: its path in the book (as in the repository), its language, its twin's path in the
    other language, and where its text comes from in the repository."""

    path: str
    lang: str
    twin: str
    source: str

    @property
    def notebook(self) -> bool:
        return self.path.endswith(".ipynb")


# ---------------------------------------------------------------- what the book holds
def lessons(repo: Path = REPO) -> list[str]:
    return sorted(p.name for p in (repo / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def pages(repo: Path = REPO) -> list[Page]:
    """Every page, English first, each with its twin. A lesson without a Chinese edition or solutions is an
    error (the language switch or the exercises' links would lead nowhere)."""
    found, missing = [], []
    names = lessons(repo)
    if not names:
        raise BookError(f"no lesson notebooks (notebooks/NN_*.ipynb) in {repo}")

    def need(path: str) -> str:
        if not (repo / path).is_file():
            missing.append(path)
        return path

    for lang, home, twin_home in (("en", HOME_EN, HOME_ZH), ("zh", HOME_ZH, HOME_EN)):
        found.append(Page(home, lang, twin_home, "README.md"))
        for name in names:
            stem = name[: -len(".ipynb")]
            en = (f"notebooks/{name}", f"notebooks/solutions/{stem}_solutions.ipynb")
            zh = (f"{ZH}/{name}", f"{ZH}/solutions/{stem}_solutions.ipynb")
            mine, theirs = (en, zh) if lang == "en" else (zh, en)
            for path, twin in zip(mine, theirs, strict=True):
                found.append(Page(need(path), lang, twin, path))
        teaching = (TEACHING_EN, TEACHING_ZH) if lang == "en" else (TEACHING_ZH, TEACHING_EN)
        found.append(Page(teaching[0], lang, teaching[1], need("TEACHING.md")))
        glossary = (GLOSSARY_EN, GLOSSARY_ZH) if lang == "en" else (GLOSSARY_ZH, GLOSSARY_EN)
        found.append(Page(glossary[0], lang, glossary[1], need(GLOSSARY_ZH)))
    if missing:
        raise BookError("the book needs these files, which are missing: " + ", ".join(sorted(set(missing))))
    return found


def docname(path: str) -> str:
    return path.rsplit(".", 1)[0]


def toc_yaml(book: list[Page]) -> str:
    """Jupyter Book's _toc.yml: the English home page as the root; a part per language, each lesson a chapter
    with its worked solutions as a section; then the teachers' guide and the glossary."""
    lines = ["format: jb-book", f"root: {docname(HOME_EN)}", "parts:"]
    for lang in ("en", "zh"):
        mine = [p for p in book if p.lang == lang]
        lines.append(f'  - caption: "{WORDS[lang]["course"]}"')
        lines.append("    chapters:")
        if lang == "zh":
            lines.append(f"      - file: {docname(HOME_ZH)}")
        for page in mine:
            if page.notebook and "/solutions/" not in page.path:
                folder, name = posixpath.split(page.path)
                solutions = f"{folder}/solutions/{name[: -len('.ipynb')]}_solutions.ipynb"
                lines += [f"      - file: {docname(page.path)}", "        sections:",
                          f"          - file: {docname(solutions)}"]
        for page in mine:
            if page.path in (TEACHING_EN, TEACHING_ZH, GLOSSARY_EN, GLOSSARY_ZH):
                lines.append(f"      - file: {docname(page.path)}")
    return "\n".join(lines) + "\n"


def config_yaml(book: list[Page]) -> str:
    """Jupyter Book's _config.yml. Nothing executes; nothing is fetched from another host (no MathJax, no widget
    JavaScript, no launch buttons); the theme's own download button is off (it would offer the staged copy, which
    has the page bar, not the course's notebook). Chinese pages say so in their ``<html lang>`` (book_pages.py)."""
    config = {
        "title": TITLE,
        "author": "the course authors",
        "copyright": "",
        "only_build_toc_files": False,  # a page left out of the table of contents is a warning, so an error
        "exclude_patterns": [f"{FILES}/**", "_ext/**", "_build", "**.ipynb_checkpoints"],
        "execute": {"execute_notebooks": "off"},
        "parse": {"myst_enable_extensions": ["colon_fence"]},
        "html": {"use_download_button": False, "home_page_in_navbar": True, "use_multitoc_numbering": False},
        "launch_buttons": {"notebook_interface": "jupyterlab", "binderhub_url": "", "jupyterhub_url": "",
                           "colab_url": "", "thebe": False},
        "sphinx": {
            "config": {
                "html_search_language": "zh",  # English words are stemmed as in English; Chinese is cut by jieba
                "myst_heading_anchors": 3,
                "nb_ipywidgets_js": {},
                "html_show_sphinx": False,
                "html_copy_source": False,
                "html_theme_options": {"use_download_button": False, "show_toc_level": 2,
                                       "navigation_with_keys": False},
                "suppress_warnings": ["myst.header"],
                "book_chinese_pages": [docname(page.path) for page in book if page.lang == "zh"],
            },
            "local_extensions": {"book_pages": "_ext"},
        },
    }
    return json.dumps(config, ensure_ascii=False, indent=1) + "\n"  # YAML is a superset of JSON


# ---------------------------------------------------------------- page text
def section(markdown: str, heading: str) -> str:
    """The part of ``markdown`` from the line ``heading`` to the next heading of the same or a higher level."""
    lines = markdown.splitlines()
    level = len(heading) - len(heading.lstrip("#"))
    try:
        start = lines.index(heading)
    except ValueError:
        raise BookError(f"README.md has no heading {heading!r} (the book's home page is that section)") from None
    end = next((i for i in range(start + 1, len(lines))
                if re.match(rf"#{{1,{level}}} ", lines[i])), len(lines))
    return "\n".join(lines[start:end]).strip() + "\n"


def home_page(readme: str, lang: str, names: list[str]) -> str:
    """The README's course map, in ``lang``, as the book's home page: lesson names in the English table become
    links to the lessons (the Chinese table has them already)."""
    if lang == "en":
        body = section(readme, COURSE_MAP_EN).split("\n", 1)[1]
        for name in names:
            stem = name[: -len(".ipynb")]
            body = body.replace(f"| `{stem}` |", f"| [`{stem}`](notebooks/{name}) |")
        title = f"# {TITLE}\n\nImage augmentation and fine-tuning a pretrained CNN with TensorFlow/Keras: " \
                "the lessons, with their stored outputs, and worked solutions to every exercise.\n"
        return title + "\n" + body
    body = section(readme, COURSE_MAP_ZH).split("\n", 1)[1]
    return "# 图像增广与微调（中文版）\n\n" + body


def teaching_part(text: str, lang: str) -> str:
    """TEACHING.md's English part, or its Chinese part with its headings raised one level."""
    head, sep, tail = text.partition("\n" + TEACHING_ZH_HEADING + "\n")
    if not sep:
        raise BookError(f"TEACHING.md has no heading {TEACHING_ZH_HEADING!r} (where its Chinese part starts)")
    if lang == "en":  # its link to the Chinese part goes to that part's page
        head = head.replace(f"]({TEACHING_ZH_ANCHOR})", f"]({TEACHING_ZH})")
        return re.sub(r"\n(---|\*\*\*)\s*$", "", head.rstrip()) + "\n"  # a page may not end with a rule
    lines = (TEACHING_ZH_HEADING + "\n" + tail).splitlines()
    return "\n".join(line[1:] if re.match(r"##+ ", line) else line for line in lines) + "\n"


def page_bar(page: Page) -> str:
    """The MyST block at the top of a page: the switch to its twin (a link Sphinx checks) and, for a notebook,
    a download link to the untouched notebook."""
    here = posixpath.dirname(page.path)
    twin = posixpath.relpath(page.twin, here or ".")
    words = WORDS[page.lang]
    parts = [f"[{words['switch']}]({twin})"]
    if page.notebook:
        parts.append(f"[{words['download']}]({download(page.source, page.path)})")
    return ":::{div} book-bar\n" + " · ".join(parts) + "\n:::\n"


def download(path: str, page: str) -> str:
    """A MyST link target that makes Sphinx copy the repository file ``path`` into the site as a download."""
    return "path:" + posixpath.relpath(f"{FILES}/{path}", posixpath.dirname(page) or ".")


def plain(markdown: str) -> str:
    """Markdown as plain text, for alt text: no links, code marks, emphasis or heading marks."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[`*]|^#+\s*", "", text, flags=re.M)
    return " ".join(text.split())


def alt_text(cells: list[dict], index: int, lang: str) -> str:
    """Alt text for the figures of code cell ``index``: the first sentence of the markdown before it, which says
    what the cell shows, after the section's heading."""
    heading, lead = "", ""
    for cell in reversed(cells[:index]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        if not lead:
            body = "\n".join(line for line in source.splitlines() if not line.startswith("#"))
            lead = re.split(r"(?<=[.:!?])\s|(?<=[。：！？])", plain(body), maxsplit=1)[0]
        found = re.findall(r"^#{1,3} (.+)$", source, flags=re.M)
        if found:
            heading = plain(found[-1])
            break
    text = f"{WORDS[lang]['figure']}: {heading}" + (f" — {lead}" if lead else "")
    return text if len(text) <= 300 else text[:297] + "..."


# ---------------------------------------------------------------- links
LINK = re.compile(r"(!?\[(?:[^\[\]]|\[[^\]]*\])*\])\(([^()\s]+)\)")


def jupyterlab_anchor(heading: str) -> str:
    """The anchor JupyterLab gives a markdown heading: its text with spaces as hyphens."""
    return heading.strip().replace(" ", "-")


def cell_label(path: str, cell_id: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{docname(path)}-{cell_id}".lower()).strip("-")


def find_cell(cells: list[dict], anchor: str) -> str | None:
    """The id of the cell an anchor points at: ``cell-id=ID`` or a heading's JupyterLab anchor."""
    if anchor.startswith("cell-id="):
        wanted = anchor[len("cell-id="):]
        return wanted if any(cell.get("id") == wanted for cell in cells) else None
    for cell in cells:
        if cell["cell_type"] == "markdown":
            for heading in re.findall(r"^#{1,6} (.+)$", "".join(cell["source"]), flags=re.M):
                if jupyterlab_anchor(plain(heading)) == anchor or jupyterlab_anchor(heading) == anchor:
                    return cell.get("id")
    return None


def resolve_links(markdown: str, page: str, book: dict[str, list[dict] | None], files: set[str],
                  labels: dict[str, set[str]], problems: list[str], downloads: set[str]) -> str:
    """``markdown`` from ``page`` with every relative link checked and anchors into notebooks pointed at labels.

    ``book`` maps each page of the book to its cells (None for a Markdown page); ``files`` are the repository's
    other files: a link to one becomes a download link and the file is added to ``downloads``. A link to a
    notebook cell becomes ``[text](#label)`` and ``labels[page]`` gets the label's cell id, to be put in that
    cell. Each link that leads nowhere is appended to ``problems`` as ``page: link: why``."""
    here = posixpath.dirname(page)

    def fix(match: re.Match) -> str:
        text, href = match.group(1), match.group(2)
        if re.match(r"[a-z][a-z0-9+.-]*:", href, flags=re.I):
            return match.group(0)  # http:, https:, mailto:
        path, _, anchor = href.partition("#")
        target = posixpath.normpath(posixpath.join(here, path)) if path else page
        if path.endswith("/") and target == ZH:
            target = HOME_ZH
        if target not in book:
            if path.endswith("/") and any(f.startswith(target + "/") for f in files):
                return text[1:-1]  # a folder of the repository: the book has no page for it, the words stay
            if target in files:
                downloads.add(target)
                return f"{text}({download(target, page)})"
            problems.append(f"{page}: {href}: no such page or file")
            return match.group(0)
        cells = book[target]
        if not anchor or cells is None:  # headings of Markdown pages: Sphinx checks them (myst_heading_anchors)
            return f"{text}({posixpath.relpath(target, here or '.')}{'#' + anchor if anchor else ''})"
        cell_id = find_cell(cells, anchor)
        if cell_id is None:
            problems.append(f"{page}: {href}: {target} has no cell with that id or heading")
            return match.group(0)
        labels.setdefault(target, set()).add(cell_id)
        return f"{text}(#{cell_label(target, cell_id)})"

    return LINK.sub(fix, markdown)


# ---------------------------------------------------------------- staging
def repository_files(repo: Path) -> set[str]:
    """The repository's files that pages may link to (tracked by git where it is a git checkout)."""
    try:
        listed = subprocess.run(["git", "ls-files"], cwd=repo, capture_output=True, text=True, check=True).stdout
        return set(listed.splitlines())
    except (OSError, subprocess.CalledProcessError):
        return {p.relative_to(repo).as_posix() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}


def page_text(page: Page, repo: Path, readme: str) -> str | dict:
    if page.path in (HOME_EN, HOME_ZH):
        return home_page(readme, page.lang, lessons(repo))
    text = (repo / page.source).read_text(encoding="utf-8")
    if page.path in (TEACHING_EN, TEACHING_ZH):
        return teaching_part(text, page.lang)
    return json.loads(text) if page.notebook else text


def stage(out: Path = OUT, repo: Path = REPO) -> Path:
    """Write the book's sources to ``out/src`` and return that folder; raises BookError naming every broken link."""
    src = out / "src"
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    book = pages(repo)
    readme = (repo / "README.md").read_text(encoding="utf-8")
    texts = {page.path: page_text(page, repo, readme) for page in book}
    cells = {path: (text["cells"] if isinstance(text, dict) else None) for path, text in texts.items()}
    files = repository_files(repo)
    labels: dict[str, set[str]] = {}
    problems: list[str] = []
    downloads: set[str] = set()
    for page in book:
        text = texts[page.path]
        if isinstance(text, dict):
            for cell in text["cells"]:
                if cell["cell_type"] == "markdown":
                    cell["source"] = resolve_links("".join(cell["source"]), page.path, cells, files, labels,
                                                   problems, downloads)
        else:
            texts[page.path] = resolve_links(text, page.path, cells, files, labels, problems, downloads)
    if problems:
        raise BookError("broken links (fix them in the course's sources):\n  " + "\n  ".join(problems))
    for page in book:
        destination = src / page.path
        destination.parent.mkdir(parents=True, exist_ok=True)
        text = texts[page.path]
        if page.notebook:
            downloads.add(page.source)
            destination.write_text(json.dumps(notebook_page(text, page, labels.get(page.path, set())),
                                              ensure_ascii=False), encoding="utf-8")
        else:
            destination.write_text(page_bar(page) + "\n" + text, encoding="utf-8")
    for path in sorted(downloads):
        (src / FILES / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(repo / path, src / FILES / path)
    (src / "_toc.yml").write_text(toc_yaml(book), encoding="utf-8")
    (src / "_config.yml").write_text(config_yaml(book), encoding="utf-8")
    (src / "_ext").mkdir()
    shutil.copyfile(Path(__file__).with_name("book_pages.py"), src / "_ext" / "book_pages.py")
    (src / "_static").mkdir()
    shutil.copyfile(Path(__file__).with_name("book.css"), src / "_static" / "book.css")
    return src


def notebook_page(notebook: dict, page: Page, labelled: set[str]) -> dict:
    """The notebook as the book shows it: the page bar first, a label in each cell a link points at, alt text on
    each figure, and a line that says where to use each widget (a static page cannot run it). Sources and outputs
    are otherwise the stored ones."""
    notebook = copy.deepcopy(notebook)
    cells = notebook["cells"]
    for index, cell in enumerate(cells):
        if cell.get("id") in labelled:
            cell["source"] = f"({cell_label(page.path, cell['id'])})=\n" + "".join(cell["source"])
        for output in cell.get("outputs", []):
            if WIDGET in output.get("data", {}):
                output["data"] = {"text/markdown": WORDS[page.lang]["widget"]}
        if cell["cell_type"] == "code" and any(
                mime.startswith("image/") for output in cell.get("outputs", []) for mime in output.get("data", {})):
            cell.setdefault("metadata", {}).setdefault("mystnb", {})["image"] = {"alt": alt_text(cells, index,
                                                                                                  page.lang)}
    bar = {"cell_type": "markdown", "id": "book-bar", "metadata": {}, "source": page_bar(page)}
    # After the H1 cell: a page's title is its first heading.
    notebook["cells"] = cells[:1] + [bar] + cells[1:]
    return notebook


# ---------------------------------------------------------------- checks of the built site
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//""" r"""|url\(\s*["']?(?:https?:)?//""", re.I)
LOADING_TAG = re.compile(r"<(script|img|iframe|link|source|video|audio)\b[^>]*>", re.I)


def external_loads(html_dir: Path) -> list[str]:
    """Every place in the built site that would load something from another host: a script, image, frame or
    stylesheet with an absolute URL, or a CSS url() to one (plain links to other sites are not loads)."""
    found = []
    for path in sorted(html_dir.rglob("*")):
        if path.suffix not in (".html", ".css"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        where = path.relative_to(html_dir).as_posix()
        if path.suffix == ".css":
            found += [f"{where}: {m.group(0)}" for m in re.finditer(r"url\(\s*[\"']?(?:https?:)?//[^)]*\)", text)]
            found += [f"{where}: {m.group(0)}" for m in re.finditer(r"@import\s+[\"'](?:https?:)?//[^\"']*", text)]
            continue
        for tag in LOADING_TAG.finditer(text):
            element = tag.group(0)
            if tag.group(1).lower() == "link" and not re.search(r"rel\s*=\s*[\"']?(stylesheet|preload|icon|"
                                                                  r"modulepreload|prefetch)", element, re.I):
                continue
            if EXTERNAL.search(element):
                found.append(f"{where}: {element[:200]}")
    return found


def build(out: Path = OUT, repo: Path = REPO) -> int:
    started = time.monotonic()
    src = stage(out, repo)
    html = out / "html"
    print(f"staged the book's pages in {src} ({time.monotonic() - started:.1f} s)", flush=True)
    build_dir = out / "_build"
    jupyter_book = "import sys; from jupyter_book.cli.main import main; sys.exit(main())"
    command = [sys.executable, "-c", jupyter_book, "build", str(src), "--path-output", str(build_dir),
               "-W", "-n", "--keep-going", "-q"]
    # Sphinx's warnings go to stderr, as they come; Jupyter Book's banners (stdout) only when the build fails.
    done = subprocess.run(command, cwd=repo, stdout=subprocess.PIPE, text=True, encoding="utf-8", errors="replace")
    status = done.returncode
    if status:
        sys.stdout.write(done.stdout[-5000:])
        print(f"error: the book did not build: the warnings above name the broken pages (exit status {status})",
              file=sys.stderr)
        return 1
    if html.exists():
        shutil.rmtree(html)
    shutil.move(str(build_dir / "_build" / "html"), html)
    loads = external_loads(html)
    if loads:
        print("error: the book loads from other hosts (it must work offline):\n  " + "\n  ".join(loads),
              file=sys.stderr)
        return 1
    print(f"built the book in {time.monotonic() - started:.0f} s: open {html / 'index.html'}, or serve it with\n"
          f"  python -m http.server --directory {os.path.relpath(html)}   and open http://localhost:8000")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "stage"])
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default: build/book)")
    args = parser.parse_args(argv)
    try:
        if args.command == "stage":
            print(stage(args.out.resolve()))
            return 0
        return build(args.out.resolve())
    except BookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
