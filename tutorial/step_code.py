"""The complete code of a checkpoint on a page, for typing along.

A line of its own in a page (it may be indented, inside an admonition or a tab, say)

    <!-- step-code: part2_chat/steps/2_joining -->

becomes every hand-written file of that checkpoint, compared with the checkpoint just before
it in the order of tutorial/chain.py (part 2's step 2 with step 1; the finished
part2_chat with part 2's last step; the first checkpoint with nothing). To compare with
another checkpoint, name it: `<!-- step-code: part2_chat from part1_hello -->`. The path is
the checkpoint's folder below the repository; a folder that is not a checkpoint stops the
build.

Each file is one code block titled with its path, in reading order (app.py, templates/,
static/, then the rest), in its language (python, html+jinja for templates, javascript, css,
nginx, ini, toml, text for a Procfile and the like):

- a new file is shown whole;
- a changed file is shown whole with its new and changed lines highlighted (pymdownx.highlight
  `hl_lines`, worked out with difflib when the site is built), and the lines that are gone,
  if any, are listed in a folded note ("Delete from app.py");
- an unchanged file is shown whole but folded (`??? note "<path> (unchanged)"`).

An exercise's solution (a folder under exercises/, docs/lessons.yml) is compared with the
checkpoint it starts from, which must be named:
`<!-- step-code: exercises/part2_typing from part2_chat/steps/5_bad_input -->`. Only its
new and changed files are shown; a note says the others are the checkpoint's. A solution
changes a few lines of a long file, so a changed file is shown as its changed regions first,
each with CONTEXT lines around it and the file's line numbers, then whole, folded
(`??? note "The whole app.py (212 lines)"`).

A note names the files that are gone and the vendored files (*.min.js, *.map, LICENSE
files) to copy, which are not shown. Left out altogether: README.md files (a part's prose,
which its page includes), __pycache__, hidden folders, files git ignores and a part
folder's steps/.
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tutorial import chain
from tutorial.markdown import fence_for, indent

if TYPE_CHECKING:  # for the hooks' annotations: importing this needs no MkDocs
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

PLACEHOLDER = re.compile(
    r"^(?P<indent>[ \t]*)<!--\s*step-code:\s*(?P<folder>[^\s>]+?)/?"
    r"(?:\s+from\s+(?P<since>[^\s>]+?)/?)?\s*-->[ \t]*$", re.M)
LANGUAGES = {".py": "python", ".js": "javascript", ".css": "css", ".toml": "toml",
             ".ini": "ini", ".cfg": "ini", ".json": "json", ".yml": "yaml", ".yaml": "yaml",
             ".sh": "bash", ".md": "markdown", ".html": "html"}
NAMED_LANGUAGES = {"nginx.conf": "nginx"}
EXERCISES = "exercises"  # the folder of the exercises' solutions
CONTEXT = 3  # unchanged lines shown around each change of an exercise's solution


class StepCodeError(Exception):
    """A placeholder names no checkpoint."""


@dataclass(frozen=True)
class Solution:
    """An exercise's solution folder: shown like a checkpoint, but not one."""
    folder: Path
    name: str


def solution(root: Path, folder: str | Path) -> Solution | None:
    """The Solution in `folder` (below `root`), or None if it is not one."""
    if Path(folder).parts[0] == EXERCISES and (root / folder).is_dir():
        return Solution(root / folder, Path(folder).as_posix())
    return None


def language(relative: str | Path) -> str:
    relative = Path(relative)
    if relative.name in NAMED_LANGUAGES:
        return NAMED_LANGUAGES[relative.name]
    if relative.parts[0] == "templates" and relative.suffix == ".html":
        return "html+jinja"
    return LANGUAGES.get(relative.suffix, "text")


def shown(relative: str | Path) -> bool:
    """Whether the file is typed along: hand-written, and not a README."""
    return not chain.vendored(relative) and Path(relative).name.upper() != "README.MD"


def inline_code(text: str) -> str:
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def ranges(numbers: Iterable[int]) -> str:
    """[1, 2, 3, 5] -> "1-3 5" (hl_lines' syntax)."""
    found = []
    for number in sorted(numbers):
        if found and number == found[-1][1] + 1:
            found[-1][1] = number
        else:
            found.append([number, number])
    return " ".join(str(a) if a == b else f"{a}-{b}" for a, b in found)


def compare(old_lines: list[str],
            new_lines: list[str]) -> tuple[list[int], list[tuple[int, list[str]]]]:
    """(line numbers of `new_lines` that are new or changed, the runs of
    `old_lines` that are gone: [(old line number, [lines])]). Blank lines at
    either end of a changed run are not highlighted, and runs of blank lines
    alone are not listed as gone. A line that moved or was re-indented is both:
    highlighted where it is now, and listed where it was."""
    highlighted, gone = [], []
    for tag, old_start, old_end, new_start, new_end in chain.line_changes(
            old_lines, new_lines):
        if tag in ("replace", "insert"):
            run = list(range(new_start, new_end))
            while run and not new_lines[run[0]].strip():
                run.pop(0)
            while run and not new_lines[run[-1]].strip():
                run.pop()
            highlighted += [number + 1 for number in run]
        removed = old_lines[old_start:old_end]
        if tag in ("replace", "delete") and any(line.strip() for line in removed):
            gone.append((old_start + 1, removed))
    return highlighted, gone


def regions(old_lines: list[str], new_lines: list[str],
            context: int = CONTEXT) -> list[tuple[int, int]]:
    """The (first, last) line numbers of `new_lines` (from 1, both included) that show
    each change from `old_lines` with `context` unchanged lines either side; regions that
    overlap or touch are joined, and blank lines at their ends are left out, as is a
    change to blank lines only."""
    found: list[list[int]] = []
    for tag, old_start, old_end, new_start, new_end in chain.line_changes(
            old_lines, new_lines):
        changed = old_lines[old_start:old_end] + new_lines[new_start:new_end]
        if tag == "equal" or not any(line.strip() for line in changed):
            continue
        first = max(new_start - context, 0) + 1
        last = min(new_end + context, len(new_lines))
        if found and first <= found[-1][1] + 1:
            found[-1][1] = max(found[-1][1], last)
        else:
            found.append([first, last])
    trimmed = []
    for first, last in found:
        while first < last and not new_lines[first - 1].strip():
            first += 1
        while last > first and not new_lines[last - 1].strip():
            last -= 1
        trimmed.append((first, last))
    return trimmed


def code_block(relative: Path, lines: Iterable[str], highlighted: Sequence[int] = (),
               first_line: int | None = None) -> str:
    """A fenced block titled with the file's path, with `highlighted` (numbers within the
    block, from 1) marked; numbered from `first_line` if given, and then titled with the
    lines it shows (an excerpt)."""
    name = relative.as_posix()
    lines = list(lines)
    text = "".join(line + "\n" for line in lines)
    fence = fence_for(text)
    options = f'title="{name}"'
    if first_line is not None:
        options = (f'title="{name}, lines {first_line}–{first_line + len(lines) - 1}"'
                   f' linenums="{first_line}"')
    if highlighted:
        options += f' hl_lines="{ranges(highlighted)}"'
    return f"{fence}{language(relative)} {options}\n{text}{fence}\n"


def excerpts(relative: Path, old_lines: list[str], new_lines: list[str],
             highlighted: Sequence[int]) -> str:
    """An exercise's changed file: each changed region with its line numbers, then the
    whole file, folded."""
    parts = []
    for first, last in regions(old_lines, new_lines):
        marked = [number - first + 1 for number in highlighted if first <= number <= last]
        parts.append(code_block(relative, new_lines[first - 1:last], marked, first))
    whole = code_block(relative, new_lines, highlighted)
    parts.append(f'??? note "The whole {relative.as_posix()} ({len(new_lines)} lines)"\n\n'
                 + indent(whole, "    "))
    return "\n".join(parts)


def change_note(relative: Path, gone: list[tuple[int, list[str]]],
                details_link: str | None, places: int | None = None) -> str:
    """Above a changed file: what is highlighted and, folded, the lines that
    are gone, each run with the line it started at, as in a diff (a learner
    deletes the `-` lines from their copy). With `places`, the file is shown
    as that many excerpts, then whole."""
    name = relative.as_posix()
    note = f"`{name}` changes: the highlighted lines are new or changed"
    if places is not None:
        where = "in one place" if places == 1 else f"in {places} places"
        each = "it" if places == 1 else "each"
        note = (f"`{name}` changes {where}, shown with up to {CONTEXT} lines around "
                f"{each} and then the whole file: the highlighted lines are new or "
                "changed")
    if not gone:
        return note + ".\n"
    count = sum(1 for _, lines in gone for line in lines if line.strip())
    note += f"; {count} line{'' if count == 1 else 's'} of the old file "
    note += "are gone" if count != 1 else "is gone"
    if details_link:
        note += f" (in context: [What changed]({details_link}))"
    text = ""
    for first, lines in gone:
        text += f"@@ line {first} of the old {name} @@\n"
        text += "".join(f"-{line}\n" for line in lines)
    fence = fence_for(text)
    block = f"{fence}diff\n{text}{fence}\n"
    return (note + ".\n\n" + f'??? note "Delete from {name}"\n\n'
            + indent(block, "    "))


def render(root: str | Path, folder: str | Path, since: str | Path | None = None,
           what_changed_link: str | None = None) -> str:
    """The markdown that replaces the placeholder for checkpoint `folder` (a path below
    `root`), compared with checkpoint `since` or the one before it. `what_changed_link` is
    the link to the What changed page from the page that shows the code (or None), to which
    the checkpoint's anchor is added."""
    root = Path(root)
    checkpoint = chain.find(root, root / folder)
    exercise = checkpoint is None and since and solution(root, folder)
    if exercise:
        checkpoint = exercise
    if checkpoint is None:
        names = ", ".join(c.name for c in chain.checkpoints(root))
        raise StepCodeError(f"step-code: {folder} is not a checkpoint folder; "
                            f"the checkpoints are: {names}")
    if since is None:
        before = chain.previous(root, checkpoint)
    else:
        before = chain.find(root, root / since)
        if before is None:
            raise StepCodeError(f"step-code: {since} (after 'from') is not a checkpoint folder")
    details_link = None
    if what_changed_link and since is None:
        details_link = f"{what_changed_link}#{checkpoint.name.replace('/', '-')}"
    old_files = chain.lesson_files(before.folder) if before else set()
    new_files = chain.lesson_files(checkpoint.folder)
    parts = []
    for relative in sorted(new_files, key=chain.reading_order):
        if not shown(relative):
            continue
        lines = chain.shown_lines(checkpoint.folder / relative)
        if lines is None:
            continue
        old_lines = (chain.shown_lines(before.folder / relative)
                     if relative in old_files else None)
        if old_lines is None:
            parts.append(f"`{relative.as_posix()}` is a new file:\n\n"
                         + code_block(relative, lines))
        elif old_lines == lines and exercise:
            continue
        elif old_lines == lines:
            parts.append(f'??? note "{relative.as_posix()} (unchanged)"\n\n'
                         + indent(code_block(relative, lines), "    "))
        elif exercise:
            highlighted, gone = compare(old_lines, lines)
            places = len(regions(old_lines, lines))
            parts.append(change_note(relative, gone, details_link, places) + "\n"
                         + excerpts(relative, old_lines, lines, highlighted))
        else:
            highlighted, gone = compare(old_lines, lines)
            parts.append(change_note(relative, gone, details_link) + "\n"
                         + code_block(relative, lines, highlighted))
    removed = sorted((r for r in old_files - new_files if shown(r)), key=chain.reading_order)
    if removed:
        parts.append("Delete " + ", ".join(f"`{r.as_posix()}`" for r in removed)
                     + ": this step no longer has "
                     + ("it" if len(removed) == 1 else "them") + ".\n")
    copied = sorted((r for r in new_files if chain.vendored(r)
                     and (r not in old_files or (checkpoint.folder / r).read_bytes()
                          != (before.folder / r).read_bytes())), key=chain.reading_order)
    if copied:
        parts.append("Copy " + ", ".join(f"`{r.as_posix()}`" for r in copied)
                     + f" from `{checkpoint.name}/` in the repository: "
                     + ("it is" if len(copied) == 1 else "they are")
                     + " copied in from elsewhere, not typed, so not shown here.\n")
    if exercise:
        parts.append(f"The other files are those of `{before.name}/`, "
                     "unchanged.\n")
    return "\n".join(parts)


def replace_placeholders(markdown: str, root: str | Path,
                         what_changed_link: str | None = None) -> str:
    def replace(match: re.Match[str]) -> str:
        text = render(root, match["folder"], match["since"], what_changed_link)
        return indent(text, match["indent"]).rstrip("\n")
    return PLACEHOLDER.sub(replace, markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs: object) -> str:
    if "step-code:" not in markdown:
        return markdown
    from mkdocs.exceptions import PluginError
    root = Path(config["config_file_path"]).parent
    link = None
    if files.get_file_from_path("what-changed.md") is not None:
        here = posixpath.dirname(page.file.src_uri) or "."
        link = posixpath.relpath("what-changed.md", here)
    try:
        return replace_placeholders(markdown, root, link)
    except StepCodeError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
