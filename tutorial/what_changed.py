"""The "What changed" page, generated from the checkpoint folders at build time.

The checkpoints and their order come from tutorial/chain.py: part1_hello, part 2's
steps (part2_chat/steps/1_pages, ...), the finished part2_chat, part3_deploy, part 4's steps,
part4_scale. In docs/what-changed.md the line PLACEHOLDER becomes a table with one row per
consecutive pair of checkpoints (lines added and removed; the line TABLE_PLACEHOLDER, if the
page has it, takes the table instead), then one section per pair: a
table of the files that were added, changed or removed, and the unified diff of each text
file. Nothing is written by hand, so the page cannot drift from the code.

Each section's anchor is the later checkpoint's path with "/" made "-": `#part2_chat-steps-
1_pages`, `#part2_chat` (from part 2's last step, or part 1, to the finished part 2),
`#part3_deploy`. anchor() makes them; other hooks link here with it.

Vendored files (*.min.js, *.map, LICENSE files) are listed but their diffs are not shown
and their lines are not counted. Left out altogether: __pycache__, hidden folders, files
that git ignores (a server's run-time files) and a part folder's steps/ (each step is a
checkpoint of its own).
"""
from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from tutorial import chain
from tutorial.markdown import fence_for, indent

if TYPE_CHECKING:  # for the hooks' annotations: importing this needs no MkDocs
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.livereload import LiveReloadServer
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

PLACEHOLDER = "<!-- what-changed -->"
# Where the summary table goes, if the page has this line; else it opens PLACEHOLDER's text.
TABLE_PLACEHOLDER = "<!-- what-changed-table -->"
# A diff with at most this many changed lines is shown open; longer ones start folded.
OPEN_UP_TO = 60


class FileChange(TypedDict):
    """What happened to one file (file_change())."""
    row: str  # its row of the section's table
    block: str | None  # its diff, or None if it is not shown
    added: int
    removed: int


def anchor(checkpoint: chain.Checkpoint) -> str:
    """The id of the section that ends at `checkpoint`: part2_chat-steps-1_pages."""
    return checkpoint.name.replace("/", "-")


def file_change(old: Path | None, new: Path | None, relative: Path, old_name: str,
                new_name: str) -> FileChange | None:
    """What happened to one file: None if nothing did, else a dict with its table `row`,
    its diff `block` (or None) and the `added` and `removed` line counts."""
    name = relative.as_posix()
    reason = chain.vendored(relative)
    kind = "added" if old is None else "removed" if new is None else "changed"
    if reason:
        if old is not None and new is not None and old.read_bytes() == new.read_bytes():
            return None
        return {"row": f"| `{name}` | {kind} (not shown: {reason}) |", "block": None,
                "added": 0, "removed": 0}
    old_lines = [] if old is None else chain.shown_lines(old)
    new_lines = [] if new is None else chain.shown_lines(new)
    if old_lines is None or new_lines is None:
        return {"row": f"| `{name}` | {kind} (not shown: not a text file) |", "block": None,
                "added": 0, "removed": 0}
    if old_lines == new_lines:
        return None
    diff = list(difflib.unified_diff(
        old_lines, new_lines, lineterm="",
        fromfile="/dev/null" if old is None else f"{old_name}/{name}",
        tofile="/dev/null" if new is None else f"{new_name}/{name}"))
    # Counted as the step budget counts them: non-blank lines only.
    removed, added = chain.removed_and_added(old_lines, new_lines)
    text = "\n".join(diff) + "\n"
    fence = fence_for(text)
    if kind == "changed":
        summary = f"changed: +{added} −{removed}"
    else:
        count = added or removed
        summary = f"{kind}: {count} line{'' if count == 1 else 's'}"
    opener = "???+" if added + removed <= OPEN_UP_TO else "???"
    block = (f'{opener} abstract "{name} ({summary})"\n\n'
             + indent(f"{fence}diff\n{text}{fence}\n") + "\n")
    return {"row": f"| `{name}` | {summary} |", "block": block,
            "added": added, "removed": removed}


def changes(old: chain.Checkpoint, new: chain.Checkpoint) -> list[FileChange]:
    """The file changes from checkpoint `old` to checkpoint `new`, in reading order."""
    old_files, new_files = chain.lesson_files(old.folder), chain.lesson_files(new.folder)
    found = []
    for relative in sorted(old_files | new_files, key=chain.reading_order):
        change = file_change(
            old.folder / relative if relative in old_files else None,
            new.folder / relative if relative in new_files else None,
            relative, old.name, new.name)
        if change:
            found.append(change)
    return found


def title(checkpoint: chain.Checkpoint) -> str:
    label = checkpoint.label
    return label[0].upper() + label[1:]


def pair_section(old: chain.Checkpoint, new: chain.Checkpoint,
                 found: list[FileChange]) -> str:
    """The markdown for one step: what changed from checkpoint `old` to `new`."""
    lines = [f"## From {old.label} to {new.label} {{#{anchor(new)}}}", "",
             f"From `{old.name}` to `{new.name}`.", ""]
    if not found:
        lines += ["The two folders hold the same files.", ""]
        return "\n".join(lines) + "\n"
    lines += ["| file | what happened |", "|---|---|", *(c["row"] for c in found), ""]
    return "\n".join(lines) + "\n" + "".join(c["block"] for c in found if c["block"])


def summary_table(
        rows: list[tuple[chain.Checkpoint, chain.Checkpoint, list[FileChange]]]) -> str:
    lines = ["| from | to | lines added | lines removed |", "|---|---|--:|--:|"]
    for old, new, found in rows:
        added = sum(c["added"] for c in found)
        removed = sum(c["removed"] for c in found)
        lines.append(f"| {title(old)} | [{title(new)}](#{anchor(new)}) | {added} | {removed} |")
    return "\n".join(lines) + "\n"


def render(root: str | Path) -> tuple[str, str]:
    """(the summary table, the sections) as markdown."""
    rows = [(old, new, changes(old, new)) for old, new in chain.pairs(root)]
    if not rows:
        return "", "There is only one checkpoint folder, so nothing has changed yet.\n"
    return (summary_table(rows),
            "\n".join(pair_section(old, new, found) for old, new, found in rows))


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs: object) -> str:
    if PLACEHOLDER not in markdown:
        return markdown
    table, sections = render(Path(config["config_file_path"]).parent)
    if TABLE_PLACEHOLDER in markdown:
        markdown = markdown.replace(TABLE_PLACEHOLDER, table)
    else:
        sections = table + "\n" + sections
    return markdown.replace(PLACEHOLDER, sections)


def on_serve(server: LiveReloadServer, config: MkDocsConfig, builder: Callable[..., object],
             **kwargs: object) -> LiveReloadServer:
    """`mkdocs serve` rebuilds when a file in any part folder (steps included) changes."""
    root = Path(config["config_file_path"]).parent
    for folder in chain.part_folders(root):
        server.watch(str(folder))
    return server
