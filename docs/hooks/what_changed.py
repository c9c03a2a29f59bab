"""MkDocs hook: the "What changed" page, generated from the part folders at build time.

Every consecutive pair of checkpoint folders (part1_hello, part2_chat, part3_deploy, ... in
the order of their numbers) becomes one section of docs/what-changed.md, in place of the
line PLACEHOLDER: a table of the files that were added, changed or removed, and the unified
diff of each text file. Nothing is written by hand, so the page cannot drift from the code.

Vendored files (*.min.js, *.map, LICENSE files) are listed but their diffs are not shown.
Left out altogether: __pycache__, files that git ignores (a server's run-time files), and the
`--8<--` comments that mark regions for the docs' snippet includes.
"""
import difflib
import re
import subprocess
from pathlib import Path

PLACEHOLDER = "<!-- what-changed -->"
PART_FOLDER = re.compile(r"part(\d+)_\w+")
SNIPPET_MARKER = re.compile(r"--8<--\s*\[(start|end):\w+\]")
# A diff with at most this many changed lines is shown open; longer ones start folded.
OPEN_UP_TO = 60


def part_folders(root):
    """The checkpoint folders in `root`, in the order of their numbers."""
    folders = [path for path in Path(root).iterdir()
               if path.is_dir() and PART_FOLDER.fullmatch(path.name)]
    return sorted(folders, key=lambda path: int(PART_FOLDER.fullmatch(path.name)[1]))


def consecutive_pairs(root):
    folders = part_folders(root)
    return list(zip(folders, folders[1:]))


def ignored(relative):
    """Files that are not part of the lesson at all: Python's compiled caches."""
    return "__pycache__" in relative.parts or relative.suffix == ".pyc"


def why_not_shown(relative):
    """Why a file's diff is left out (it is only listed), or None when it is shown."""
    name = relative.name
    if name.endswith(".min.js") or name.endswith(".map"):
        return "a vendored library"
    if "LICENSE" in name.upper():
        return "a licence text"
    return None


def git_ignored(folder, relatives):
    """The paths among `relatives` that git ignores (a server's run-time files, say).
    Outside a git checkout, or without git, nothing counts as ignored."""
    if not relatives:
        return set()
    try:
        result = subprocess.run(
            ["git", "check-ignore", "--stdin", "-z"], cwd=folder,
            input="\0".join(path.as_posix() for path in relatives), capture_output=True,
            text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return set()
    if result.returncode not in (0, 1):  # 1: nothing ignored; 128: not a git checkout
        return set()
    return {Path(name) for name in result.stdout.split("\0") if name}


def files_of(folder):
    """Every file under `folder` that belongs to the lesson, as paths relative to it:
    no hidden folders, no compiled Python, nothing git ignores."""
    found = set()
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if (path.is_file() and not ignored(relative)
                and not any(part.startswith(".") for part in relative.parts[:-1])):
            found.add(relative)
    return found - git_ignored(folder, sorted(found))


def text_lines(path):
    """The file's lines without snippet markers, or None if it is not UTF-8 text."""
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if "\0" in text:
        return None
    return [line for line in text.splitlines(keepends=True) if not SNIPPET_MARKER.search(line)]


def fence_for(text):
    """A backtick fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def indent(text, prefix="    "):
    return "".join(prefix + line if line.strip() else line
                   for line in text.splitlines(keepends=True))


def file_section(old, new, relative, old_folder, new_folder):
    """One file's row for the summary table, and its diff block (or None)."""
    name = relative.as_posix()
    reason = why_not_shown(relative)
    if old is None:
        kind = "added"
    elif new is None:
        kind = "removed"
    else:
        kind = "changed"
    if reason:
        if old is not None and new is not None and old.read_bytes() == new.read_bytes():
            return None
        return (f"| `{name}` | {kind} (not shown: {reason}) |", None)
    old_lines = [] if old is None else text_lines(old)
    new_lines = [] if new is None else text_lines(new)
    if old_lines is None or new_lines is None:
        return (f"| `{name}` | {kind} (not shown: not a text file) |", None)
    if old_lines == new_lines:
        return None
    diff = list(difflib.unified_diff(
        old_lines, new_lines,
        fromfile="/dev/null" if old is None else f"{old_folder.name}/{name}",
        tofile="/dev/null" if new is None else f"{new_folder.name}/{name}"))
    diff = [line if line.endswith("\n") else line + "\n" for line in diff]
    added = sum(1 for line in diff if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff if line.startswith("-") and not line.startswith("---"))
    text = "".join(diff)
    fence = fence_for(text)
    if kind == "changed":
        summary = f"changed: +{added} −{removed}"
    else:
        count = added or removed
        summary = f"{kind}: {count} line{'' if count == 1 else 's'}"
    opener = "???+" if added + removed <= OPEN_UP_TO else "???"
    block = (f'{opener} abstract "{name} ({summary})"\n\n'
             + indent(f"{fence}diff\n{text}{fence}\n") + "\n")
    return (f"| `{name}` | {summary} |", block)


def pair_section(old_folder, new_folder):
    """The markdown for one step: what changed from `old_folder` to `new_folder`."""
    old_files, new_files = files_of(old_folder), files_of(new_folder)
    rows, blocks = [], []
    for relative in sorted(old_files | new_files, key=lambda path: path.as_posix()):
        old = old_folder / relative if relative in old_files else None
        new = new_folder / relative if relative in new_files else None
        result = file_section(old, new, relative, old_folder, new_folder)
        if result is None:
            continue
        row, block = result
        rows.append(row)
        if block:
            blocks.append(block)
    lines = [f"## From `{old_folder.name}` to `{new_folder.name}` {{#{new_folder.name}}}", ""]
    if not rows:
        lines += ["The two folders hold the same files.", ""]
        return "\n".join(lines)
    lines += ["| file | what happened |", "|---|---|", *rows, ""]
    return "\n".join(lines) + "\n" + "".join(blocks)


def render(root):
    pairs = consecutive_pairs(root)
    if not pairs:
        return "There is only one checkpoint folder, so nothing has changed yet.\n"
    return "\n".join(pair_section(old, new) for old, new in pairs)


def on_page_markdown(markdown, page, config, files, **kwargs):
    if PLACEHOLDER not in markdown:
        return markdown
    root = Path(config["config_file_path"]).parent
    return markdown.replace(PLACEHOLDER, render(root))


def on_serve(server, config, builder, **kwargs):
    """`mkdocs serve` rebuilds when a file in any part folder changes."""
    root = Path(config["config_file_path"]).parent
    for folder in part_folders(root):
        server.watch(str(folder))
    return server
