"""The tutorial's checkpoints, in the order a learner meets them.

A part folder (`part2_chat/`) is the finished part. A part may be cut into steps, each a
complete, runnable folder of its own under `steps/` (`part2_chat/steps/1_pages/`). The
order is: part 1, part 2's steps, the finished part 2, part 3, part 4's steps, the
finished part 4, and so on. Both the docs hooks and the tests read the order from here.
"""
import re
from dataclasses import dataclass
from pathlib import Path

PART_FOLDER = re.compile(r"part(\d+)_\w+")
STEP_FOLDER = re.compile(r"(\d+)_\w+")


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    part: int
    step: int  # the finished part counts as the step after its last one
    finished: bool  # True for the part folder itself

    @property
    def name(self):
        """Its path below the repository, e.g. part2_chat/steps/1_pages."""
        return self.folder.relative_to(self.folder.parents[
            2 if not self.finished else 0]).as_posix()

    @property
    def label(self):
        """How the pages call it: "part 2, step 1" or "part 2 (finished)"."""
        if self.finished and self.step == 1:
            return f"part {self.part}"
        if self.finished:
            return f"part {self.part} (finished)"
        return f"part {self.part}, step {self.step}"


def part_folders(root):
    """The part folders in `root`, in the order of their numbers."""
    folders = [path for path in Path(root).iterdir()
               if path.is_dir() and PART_FOLDER.fullmatch(path.name)]
    return sorted(folders, key=lambda path: int(PART_FOLDER.fullmatch(path.name)[1]))


def step_folders(part_folder):
    """The step folders of one part, in the order of their numbers."""
    steps = Path(part_folder) / "steps"
    if not steps.is_dir():
        return []
    folders = [path for path in steps.iterdir()
               if path.is_dir() and STEP_FOLDER.fullmatch(path.name)]
    return sorted(folders, key=lambda path: int(STEP_FOLDER.fullmatch(path.name)[1]))


def checkpoints(root):
    """Every checkpoint in `root`, steps before the part they lead to."""
    found = []
    for part_folder in part_folders(root):
        part = int(PART_FOLDER.fullmatch(part_folder.name)[1])
        steps = step_folders(part_folder)
        for step_folder in steps:
            step = int(STEP_FOLDER.fullmatch(step_folder.name)[1])
            found.append(Checkpoint(step_folder, part, step, finished=False))
        found.append(Checkpoint(part_folder, part, len(steps) + 1, finished=True))
    return found


def find(root, folder):
    """The Checkpoint of `folder` (a path inside `root`), or None."""
    folder = Path(folder).resolve()
    for checkpoint in checkpoints(root):
        if checkpoint.folder.resolve() == folder:
            return checkpoint
    return None


def reached(root, checkpoint):
    """{part: step} for what `checkpoint` contains: every earlier part finished, and its
    own part up to its own step."""
    steps = {}
    for earlier in checkpoints(root):
        steps[earlier.part] = earlier.step
        if earlier == checkpoint:
            return steps
    raise ValueError(f"{checkpoint} is not a checkpoint of {root}")


def is_in_steps(relative):
    """Whether a path inside a part folder belongs to one of its steps (steps/...)."""
    return bool(Path(relative).parts) and Path(relative).parts[0] == "steps"


# The files of a checkpoint: what the docs show and the tests count.

SNIPPET_MARKER = "--8<--"  # lines that mark regions for the pages' snippet includes


def is_part_folder(folder):
    return bool(PART_FOLDER.fullmatch(Path(folder).name))


def pairs(root):
    """Every consecutive pair (earlier, later) of checkpoints in `root`."""
    found = checkpoints(root)
    return list(zip(found, found[1:]))


def previous(root, checkpoint):
    """The checkpoint just before `checkpoint`, or None for the first one."""
    earlier = None
    for candidate in checkpoints(root):
        if candidate == checkpoint:
            return earlier
        earlier = candidate
    raise ValueError(f"{checkpoint} is not a checkpoint of {root}")


def _git_ignored(folder, relatives):
    """The paths among `relatives` that git ignores (a server's run-time files, say).
    Outside a git checkout, or without git, nothing counts as ignored."""
    import subprocess
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


def lesson_files(folder):
    """Every file of the checkpoint in `folder`, as paths relative to it: no hidden
    folders, no compiled Python, nothing git ignores, and for a part folder nothing from
    its steps/ (each step is a checkpoint of its own)."""
    folder = Path(folder)
    found = set()
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if (path.is_file() and "__pycache__" not in relative.parts
                and relative.suffix != ".pyc"
                and not any(part.startswith(".") for part in relative.parts[:-1])
                and not (is_part_folder(folder) and is_in_steps(relative))):
            found.add(relative)
    return found - _git_ignored(folder, sorted(found))


def vendored(relative):
    """Why a file is not hand-written ("a vendored library", "a licence text"), or None."""
    name = Path(relative).name
    if name.endswith(".min.js") or name.endswith(".map"):
        return "a vendored library"
    if "LICENSE" in name.upper():
        return "a licence text"
    return None


def reading_order(relative):
    """Sort key: app.py, then templates/, then static/, then the rest, each by path."""
    relative = Path(relative)
    parts = relative.parts
    group = (0 if parts == ("app.py",) else 1 if parts[0] == "templates"
             else 2 if parts[0] == "static" else 3)
    return group, relative.as_posix()


def hand_written_files(folder):
    """The checkpoint's files that are not vendored, in reading order."""
    return sorted((relative for relative in lesson_files(folder) if not vendored(relative)),
                  key=reading_order)


def shown_lines(path):
    """The file's lines (without line ends) as the pages show them, without the lines that
    carry snippet region markers; None if it is not UTF-8 text."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if "\0" in text:
        return None
    return [line for line in text.splitlines() if SNIPPET_MARKER not in line]


# Markdown helpers the hooks share (what_changed.py, step_code.py).

def fence_for(text):
    """A backtick fence longer than any run of backticks inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def indent(text, prefix="    "):
    """`text` with `prefix` before every non-blank line."""
    return "".join(prefix + line if line.strip() else line
                   for line in text.splitlines(keepends=True))
