"""The regions of lesson code that the pages include, named from outside the file.

A page includes part of a checkpoint's file with a line of its own:

    --8<-- "part2_chat/app.py:def on_join_room"

The text after the colon is a selector. The file itself carries no marker: a learner
copies the folder as their own code, and the page's name for a region must not come
along. A selector is one of:

- in Python: `def NAME` or `class NAME` (its decorators, and the comment lines directly
  above it, as `literalinclude :pyobject:` finds it with `ast`), `NAME =` (the
  statement that assigns NAME outside any function or class);
- in any file: a first line, the text a line starts with (its indentation left out),
  which must name one line of the file. Where it ends follows from what starts there:
  in Python the statement that starts on that line, with its block; in JavaScript, CSS
  and nginx.conf the line where every bracket opened since is closed again; in a
  template the element's closing tag (a `{% block %}`'s `{% endblock %}`); in Markdown
  a heading's section (up to the next heading of its level or above); elsewhere the
  paragraph (up to a blank line);
- in a template: `#ID`, the element with that id;
- two selectors joined by ` .. `: from the first one's start to the second one's end.
  The first may match more than once (`if __name__ == "__main__":`): the nearest one
  above the second counts.

Every region takes in the comment lines directly above its first line (a `# NO:4`, say),
unless its selector is a comment line itself: then it starts there, and takes in the
comment and what follows it, as above.

Before MkDocs reads a page (pymdownx.snippets), each such line becomes snippets' own form
with the line numbers, `--8<-- "part2_chat/app.py:115:124"`, worked out when the site is
built. A selector that names nothing, or more than one thing, stops the build with the
page, the file and the selector.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the hooks' annotations: importing this needs no MkDocs
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

# A page's include: `--8<-- "path"` (a whole file) or `--8<-- "path:selector"`.
INCLUDE = re.compile(
    r'^(?P<indent>[ \t]*)--8<--[ \t]+"(?P<path>[^":]+)(?::(?P<selector>[^\n]+))?"[ \t]*$',
    re.M)
# What pymdownx.snippets reads by itself after the colon: line ranges (`12:30,40:41`).
LINE_NUMBERS = re.compile(r"[\d:,]+")
RANGE = " .. "

PYTHON_NAMED = re.compile(r"(?P<kind>def|class) (?P<name>[A-Za-z_]\w*)")
PYTHON_ASSIGNED = re.compile(r"(?P<name>[A-Za-z_]\w*) =")
HTML_ID = re.compile(r"#(?P<id>[\w-]+)")
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                 "meta", "source", "track", "wbr"}
BRACKETS = {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}


class RegionError(Exception):
    """A selector that names no region of its file, or more than one."""


# pymdownx.snippets' section markers (`# --8<-- [start:name]`), which the lesson code
# carried until the pages named their regions from outside: tests/test_regions.py keeps
# them out.
SECTION_MARKER = re.compile(r"--8<--\s*\[(?:start|end):[\w-]+\]")


@dataclass(frozen=True)
class Region:
    first: int  # line numbers, from 1, both included
    last: int


# The files whose regions end where their brackets close, and how each writes a comment.
BRACKET_COMMENTS = {"javascript": ("//", "/*", "*"), "css": ("/*", "*"), "nginx": ("#",)}


def kind_of(path: Path) -> str:
    """How a file's regions end and its comments look: python, javascript, css, nginx,
    template, markdown or text."""
    if path.suffix == ".py":
        return "python"
    if path.suffix == ".js":
        return "javascript"
    if path.suffix == ".css":
        return "css"
    if path.name == "nginx.conf":
        return "nginx"
    if path.suffix == ".html":
        return "template"
    if path.suffix == ".md":
        return "markdown"
    return "text"


# Comments: the lines a region takes in above its first line.

def is_comment(kind: str, line: str) -> bool:
    text = line.strip()
    if kind == "python":
        return text.startswith("#")
    if kind in BRACKET_COMMENTS:
        return text.startswith(BRACKET_COMMENTS[kind])
    if kind == "template":
        return text.startswith(("<!--", "{#"))
    return False


def comment_end(kind: str, lines: Sequence[str], index: int) -> int:
    """The index of the last line of the comment that starts at `lines[index]`."""
    if kind == "template":
        closing = "-->" if lines[index].strip().startswith("<!--") else "#}"
        while closing not in lines[index] and index + 1 < len(lines):
            index += 1
        return index
    if kind in {"javascript", "css"} and lines[index].strip().startswith("/*"):
        while "*/" not in lines[index] and index + 1 < len(lines):
            index += 1
    return index


# Comments that may take several lines: (opening, closing).
BLOCK_COMMENTS = {"template": (("<!--", "-->"), ("{#", "#}")),
                  "javascript": (("/*", "*/"),), "css": (("/*", "*/"),)}


def comments_above(kind: str, lines: Sequence[str], index: int) -> int:
    """The index of the first of the comment lines directly above `lines[index]`
    (`index` itself if there are none)."""
    while index > 0:
        above = lines[index - 1].strip()
        block = [(opening, closing) for opening, closing in BLOCK_COMMENTS.get(kind, ())
                 if above.endswith(closing)]
        if block:
            opening = block[0][0]
            start = index - 1
            while start > 0 and opening not in lines[start]:
                start -= 1
            if not lines[start].strip().startswith(opening):
                return index
            index = start
        elif kind != "template" and is_comment(kind, above):
            index -= 1
        else:
            return index
    return index


# Where a region ends.

def python_statements(tree: ast.Module) -> list[ast.stmt]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.stmt)]


def statement_start(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([node.lineno, *(decorator.lineno for decorator in decorators)])


def python_statement_at(tree: ast.Module, index: int) -> int:
    """The index of the last line of the statement that starts at line `index`."""
    starting = [node for node in python_statements(tree)
                if statement_start(node) == index + 1]
    if not starting:
        raise RegionError(f"no Python statement starts on line {index + 1}")
    return max(node.end_lineno for node in starting) - 1


# What a line's brackets are counted without: strings, and each kind's comments.
STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`(?:\\.|[^`\\])*`')
LINE_COMMENTS = {"javascript": re.compile(r"//.*|/\*.*?\*/"), "css": re.compile(r"/\*.*?\*/"),
                 "nginx": re.compile(r"#.*")}


def brackets_end(kind: str, lines: Sequence[str], index: int) -> int:
    """The index of the line where the brackets opened from `lines[index]` on are all
    closed again (strings and comments left out)."""
    depth = 0
    for number in range(index, len(lines)):
        text = LINE_COMMENTS[kind].sub("", STRINGS.sub("", lines[number]))
        depth += sum(BRACKETS.get(char, 0) for char in text)
        if depth <= 0:
            return number
    raise RegionError(f"the brackets opened on line {index + 1} are never closed")


def template_end(lines: Sequence[str], index: int) -> int:
    """The index of the line that closes the element (or Jinja block) that starts at
    `lines[index]`; a line that starts neither is a region of its own."""
    text = lines[index].strip()
    block = re.match(r"{%-?\s*(\w+)", text)
    if block and not re.search(r"{%-?\s*end" + block[1] + r"\b", text):
        opening, closing = re.compile(r"{%-?\s*" + block[1] + r"\b"), re.compile(
            r"{%-?\s*end" + block[1] + r"\b")
    else:
        tag = re.match(r"<([a-zA-Z][\w-]*)", text)
        if not tag:
            return index
        if tag[1].lower() in VOID_ELEMENTS:
            number = index
            while ">" not in lines[number] and number + 1 < len(lines):
                number += 1
            return number
        opening = re.compile(rf"<{tag[1]}(?=[\s>])")
        closing = re.compile(rf"</{tag[1]}\s*>")
    depth = 0
    for number in range(index, len(lines)):
        depth += len(opening.findall(lines[number])) - len(closing.findall(lines[number]))
        if depth <= 0:
            return number
    raise RegionError(f"what starts on line {index + 1} is never closed")


def markdown_end(lines: Sequence[str], index: int) -> int:
    """A heading's section (to the next heading of its level or above, outside code
    blocks), or a paragraph (to a blank line); blank lines at its end left out."""
    heading = re.match(r"(#+)\s", lines[index])
    number, fence = index + 1, False
    while number < len(lines):
        line = lines[number]
        if line.startswith(("```", "~~~")):
            fence = not fence
        level = re.match(r"(#+)\s", line)
        if not heading and not line.strip():
            break
        if heading and not fence and level and len(level[1]) <= len(heading[1]):
            break
        number += 1
    number -= 1
    while number > index and not lines[number].strip():
        number -= 1
    return number


def paragraph_end(lines: Sequence[str], index: int) -> int:
    number = index
    while number + 1 < len(lines) and lines[number + 1].strip():
        number += 1
    return number


class Source:
    """One file's lines, and the regions its selectors name (indices from 0)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind = kind_of(path)
        self.lines = path.read_text(encoding="utf-8").splitlines()
        self._tree = None

    @property
    def tree(self) -> ast.Module:
        if self._tree is None:
            try:
                self._tree = ast.parse("\n".join(self.lines) + "\n")
            except SyntaxError as error:
                raise RegionError(f"it is not Python: {error}") from None
        return self._tree

    def end_of(self, index: int) -> int:
        """The index of the last line of what starts at `lines[index]`."""
        if self.kind == "python":
            return python_statement_at(self.tree, index)
        if self.kind in BRACKET_COMMENTS:
            return brackets_end(self.kind, self.lines, index)
        if self.kind == "template":
            return template_end(self.lines, index)
        if self.kind == "markdown":
            return markdown_end(self.lines, index)
        return paragraph_end(self.lines, index)

    def from_comment(self, index: int) -> tuple[int, int]:
        """A region that starts with the comment at `lines[index]`: the comment lines,
        and what starts on the line after them."""
        last = index
        while True:
            last = comment_end(self.kind, self.lines, last)
            following = last + 1
            if following >= len(self.lines) or not self.lines[following].strip():
                return index, last
            if not is_comment(self.kind, self.lines[following]):
                return index, self.end_of(following)
            last = following

    def matches(self, selector: str) -> list[tuple[int, int]]:
        """(first index, last index) of everything one selector (no ` .. `) names; a
        RegionError if it names nothing."""
        named = PYTHON_NAMED.fullmatch(selector)
        assigned = PYTHON_ASSIGNED.fullmatch(selector)
        if self.kind == "python" and named:
            types = (ast.ClassDef,) if named["kind"] == "class" else (
                ast.FunctionDef, ast.AsyncFunctionDef)
            found = [(comments_above(self.kind, self.lines, statement_start(node) - 1),
                      node.end_lineno - 1) for node in ast.walk(self.tree)
                     if isinstance(node, types) and node.name == named["name"]]
            what = selector
        elif self.kind == "python" and assigned:
            found = [(comments_above(self.kind, self.lines, node.lineno - 1),
                      node.end_lineno - 1) for node in self.module_level(self.tree.body)
                     if assigns(node, assigned["name"])]
            what = f"statement that assigns {assigned['name']} (outside functions)"
        elif self.kind == "template" and HTML_ID.fullmatch(selector):
            wanted = re.compile(r'\bid="' + re.escape(selector[1:]) + '"')
            found = []
            for index, line in enumerate(self.lines):
                if wanted.search(line):
                    while not self.lines[index].lstrip().startswith("<") and index > 0:
                        index -= 1  # the attribute is on a later line of the start tag
                    found.append((comments_above(self.kind, self.lines, index),
                                  self.end_of(index)))
            what = f'element with id="{selector[1:]}"'
        else:
            found = [self.from_comment(index) if is_comment(self.kind, line) else
                     (comments_above(self.kind, self.lines, index), self.end_of(index))
                     for index, line in enumerate(self.lines)
                     if line.strip().startswith(selector)]
            what = f"line that starts with {selector!r}"
        if not found:
            raise RegionError(f"there is no {what} in the file")
        return sorted(found)

    def one(self, selector: str) -> tuple[int, int]:
        """(first index, last index) of the one thing `selector` names."""
        found = self.matches(selector)
        if len(found) > 1:
            raise RegionError(
                f"{selector!r} is ambiguous: it names {len(found)} regions, from lines "
                + ", ".join(str(first + 1) for first, _ in found)
                + "; make it longer, or end a range (` .. `) at something after the one "
                "you mean")
        return found[0]

    def module_level(self, body: Sequence[ast.stmt]) -> list[ast.stmt]:
        """The statements outside functions and classes, also inside if, try, with."""
        found = []
        for node in body:
            found.append(node)
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    found += self.module_level(getattr(node, field, []))
        return found

    def region(self, selector: str) -> Region:
        """The lines (numbered from 1) that `selector` names."""
        first_selector, _, last_selector = (part.strip() for part in
                                            selector.strip().partition(RANGE))
        if not last_selector:
            first, last = self.one(first_selector)
        else:
            # From the nearest region of the first selector above the second one.
            _, last = self.one(last_selector)
            above = [first for first, _ in self.matches(first_selector) if first <= last]
            if not above:
                raise RegionError(f"{first_selector!r} starts after {last_selector!r} ends")
            first = above[-1]
        return Region(first + 1, last + 1)


def assigns(node: ast.stmt, name: str) -> bool:
    if isinstance(node, ast.Assign):
        targets = [target for whole in node.targets for target in ast.walk(whole)]
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
        targets = [node.target]
    else:
        return False
    return any(isinstance(target, ast.Name) and target.id == name for target in targets)


def region(path: str | Path, selector: str) -> Region:
    """The lines of the file at `path` that `selector` names; RegionError if it names
    nothing or more than one thing."""
    path = Path(path)
    if not path.is_file():
        raise RegionError("there is no such file")
    return Source(path).region(selector)


def lines_of(path: str | Path, selector: str) -> list[str]:
    """The text of the region, as a page shows it."""
    found = region(path, selector)
    return Path(path).read_text(encoding="utf-8").splitlines()[found.first - 1:found.last]


# The pages.

def is_selector(text: str | None) -> bool:
    """Whether the text after an include's colon is a selector of ours (not a whole
    file, nor snippets' line numbers)."""
    return text is not None and not LINE_NUMBERS.fullmatch(text)


def includes(markdown: str) -> list[re.Match[str]]:
    """The page's includes that name a region with a selector of ours."""
    return [match for match in INCLUDE.finditer(markdown) if is_selector(match["selector"])]


def replace_includes(markdown: str, root: Path, page_name: str = "the page") -> str:
    """Each `--8<-- "path:selector"` line of the page as `--8<-- "path:first:last"`."""
    def replace(match: re.Match[str]) -> str:
        if not is_selector(match["selector"]):
            return match[0]
        try:
            found = region(root / match["path"], match["selector"])
        except RegionError as error:
            raise RegionError(f'{page_name}: --8<-- "{match["path"]}:{match["selector"]}": '
                              f"{error} (CONTRIBUTING.md, Show code on a page)") from None
        return f'{match["indent"]}--8<-- "{match["path"]}:{found.first}:{found.last}"'
    return INCLUDE.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs: object) -> str:
    if "--8<--" not in markdown:
        return markdown
    from mkdocs.exceptions import PluginError
    root = Path(config["config_file_path"]).parent
    try:
        return replace_includes(markdown, root, f"docs/{page.file.src_uri}")
    except RegionError as error:
        raise PluginError(str(error)) from None
