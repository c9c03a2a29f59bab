"""The tutorial's chain of checkpoints: the one model the docs, the tests,
the scripts and `make carry` share.

A part folder (`part2_chat/`) is the finished part. A part may be cut into
steps, each a complete, runnable folder of its own under `steps/`
(`part2_chat/steps/1_pages/`). The order is: part 1, part 2's steps, the
finished part 2, part 3, part 4's steps, the finished part 4, and so on.
Each exercise's solution (`exercises/<part>_<name>/`, from docs/lessons.yml)
is its base checkpoint plus the exercise.

Here too: which files of a checkpoint are lessons (hand-written, vendored),
how the lines changed between two of them are counted, and the limits a
step keeps to.
"""
import difflib
import functools
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutorial import lessons

REPO = Path(__file__).resolve().parent.parent
EXERCISES_FOLDER = "exercises"  # the exercises' solutions, one folder each
# "About 120" lines a step or an exercise: changed non-blank lines of its
# hand-written files (templates, CSS and JS included; vendored files and
# README prose left out).
MAX_CHANGED_LINES = 130
# Lesson code fits a code box on a page without scrolling sideways.
MAX_LINE_LENGTH = 79

PART_FOLDER = re.compile(r"part(\d+)_\w+")
STEP_FOLDER = re.compile(r"(\d+)_\w+")


@dataclass(frozen=True)
class Checkpoint:
    folder: Path
    part: int
    step: int  # the finished part counts as the step after its last one
    finished: bool  # True for the part folder itself

    @property
    def name(self) -> str:
        """Its path below the repository, e.g. part2_chat/steps/1_pages."""
        return self.folder.relative_to(self.folder.parents[
            2 if not self.finished else 0]).as_posix()

    @property
    def label(self) -> str:
        """How the pages call it: "part 2, step 1" or "part 2, step 7
        (finished)", the step a learner's check names."""
        if self.finished and self.step == 1:
            return f"part {self.part}"
        if self.finished:
            return f"part {self.part}, step {self.step} (finished)"
        return f"part {self.part}, step {self.step}"


def part_folders(root: str | Path) -> list[Path]:
    """The part folders in `root`, in the order of their numbers."""
    folders = [path for path in Path(root).iterdir()
               if path.is_dir() and PART_FOLDER.fullmatch(path.name)]
    return sorted(folders, key=lambda path: int(PART_FOLDER.fullmatch(path.name)[1]))


def step_folders(part_folder: str | Path) -> list[Path]:
    """The step folders of one part, in the order of their numbers."""
    steps = Path(part_folder) / "steps"
    if not steps.is_dir():
        return []
    folders = [path for path in steps.iterdir()
               if path.is_dir() and STEP_FOLDER.fullmatch(path.name)]
    return sorted(folders, key=lambda path: int(STEP_FOLDER.fullmatch(path.name)[1]))


def checkpoints(root: str | Path) -> list[Checkpoint]:
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


def find(root: str | Path, folder: str | Path) -> Checkpoint | None:
    """The Checkpoint of `folder` (a path inside `root`), or None."""
    folder = Path(folder).resolve()
    for checkpoint in checkpoints(root):
        if checkpoint.folder.resolve() == folder:
            return checkpoint
    return None


def reached(root: str | Path, checkpoint: Checkpoint) -> dict[int, int]:
    """{part: step} for what `checkpoint` contains: every earlier part finished, and its
    own part up to its own step."""
    steps = {}
    for earlier in checkpoints(root):
        steps[earlier.part] = earlier.step
        if earlier == checkpoint:
            return steps
    raise ValueError(f"{checkpoint} is not a checkpoint of {root}")


def is_in_steps(relative: str | Path) -> bool:
    """Whether a path inside a part folder belongs to one of its steps (steps/...)."""
    return bool(Path(relative).parts) and Path(relative).parts[0] == "steps"


# The files of a checkpoint: what the docs show and the tests count.

def is_part_folder(folder: str | Path) -> bool:
    return bool(PART_FOLDER.fullmatch(Path(folder).name))


def pairs(root: str | Path) -> list[tuple[Checkpoint, Checkpoint]]:
    """Every consecutive pair (earlier, later) of checkpoints in `root`."""
    found = checkpoints(root)
    return list(zip(found, found[1:]))


def previous(root: str | Path, checkpoint: Checkpoint) -> Checkpoint | None:
    """The checkpoint just before `checkpoint`, or None for the first one."""
    earlier = None
    for candidate in checkpoints(root):
        if candidate == checkpoint:
            return earlier
        earlier = candidate
    raise ValueError(f"{checkpoint} is not a checkpoint of {root}")


def _git_ignored(folder: Path, relatives: list[Path]) -> set[Path]:
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


def lesson_files(folder: str | Path) -> set[Path]:
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


def vendored(relative: str | Path) -> str | None:
    """Why a file is not hand-written ("a vendored library", "a licence text"), or None."""
    name = Path(relative).name
    if name.endswith(".min.js") or name.endswith(".map"):
        return "a vendored library"
    if "LICENSE" in name.upper():
        return "a licence text"
    return None


def reading_order(relative: str | Path) -> tuple[int, str]:
    """Sort key: app.py, then templates/, then static/, then the rest, each by path."""
    relative = Path(relative)
    parts = relative.parts
    group = (0 if parts == ("app.py",) else 1 if parts[0] == "templates"
             else 2 if parts[0] == "static" else 3)
    return group, relative.as_posix()


def hand_written_files(folder: str | Path) -> list[Path]:
    """The checkpoint's files that are not vendored, in reading order."""
    return sorted((relative for relative in lesson_files(folder) if not vendored(relative)),
                  key=reading_order)


def shown_lines(path: str | Path) -> list[str] | None:
    """The file's lines (without line ends) as the pages show them; None if it is not
    UTF-8 text."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None
    if "\0" in text:
        return None
    return text.splitlines()


def code_files(folder: str | Path) -> list[Path]:
    """The hand-written files a learner types: no README (a part's prose,
    which its page includes), in reading order."""
    return [relative for relative in hand_written_files(folder)
            if relative.name.upper() != "README.MD"]


# Changed lines: one count for the step budget, the exercises and the pages.

def line_changes(old_lines: Sequence[str],
                 new_lines: Sequence[str]) -> Sequence[tuple[str, int, int, int, int]]:
    """difflib's opcodes from `old_lines` to `new_lines` (every one, also
    'equal'), with the same matcher everywhere (no junk heuristic)."""
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines,
                                      autojunk=False)
    return matcher.get_opcodes()


def removed_and_added(old_lines: Sequence[str],
                      new_lines: Sequence[str]) -> tuple[int, int]:
    """(non-blank lines removed, non-blank lines added) from `old_lines` to
    `new_lines`: a changed line is both, once gone and once new."""
    removed = added = 0
    for tag, old_start, old_end, new_start, new_end in line_changes(
            old_lines, new_lines):
        if tag != "equal":
            removed += sum(1 for line in old_lines[old_start:old_end]
                           if line.strip())
            added += sum(1 for line in new_lines[new_start:new_end]
                         if line.strip())
    return removed, added


def changed_lines(old_lines: Sequence[str], new_lines: Sequence[str]) -> int:
    """How many non-blank lines are added or removed: the one count of
    the step budget, the exercises' budget and the What changed page."""
    return sum(removed_and_added(old_lines, new_lines))


def file_lines(path: str | Path) -> list[str]:
    """shown_lines() of `path`, or [] for a file that is not there."""
    path = Path(path)
    return (shown_lines(path) or []) if path.is_file() else []


def folder_changes(old_folder: str | Path, new_folder: str | Path) -> dict[str, int]:
    """{file: changed lines} of the code files (code_files()) from one
    folder to another, for the files with any."""
    counts = {}
    names = {*code_files(old_folder), *code_files(new_folder)}
    for relative in sorted(names, key=reading_order):
        count = changed_lines(file_lines(Path(old_folder) / relative),
                              file_lines(Path(new_folder) / relative))
        if count:
            counts[relative.as_posix()] = count
    return counts


# The exercises: each solution folder is its base checkpoint plus one task.

def exercises(root: str | Path = REPO) -> tuple[lessons.Exercise, ...]:
    """The exercises of docs/lessons.yml, in its order."""
    data = Path(root) / "docs" / "lessons.yml"
    return _exercises(data, data.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _exercises(data: Path, modified: int) -> tuple[lessons.Exercise, ...]:
    """Read once per version of the file (`modified`), not once a call."""
    return tuple(lessons.load(data)[1])


def solution_base(root: str | Path, folder: str | Path) -> Checkpoint | None:
    """The base checkpoint of the exercise solution in `folder`, or None if
    `folder` is not a solution folder."""
    folder = Path(folder).resolve()
    for exercise in exercises(root):
        if (Path(root) / exercise.folder).resolve() == folder:
            return find(root, Path(root) / exercise.base)
    return None


def after(root: str | Path, checkpoint: Checkpoint) -> list[Checkpoint]:
    """The checkpoints after `checkpoint`, in order."""
    found = checkpoints(root)
    return found[found.index(checkpoint) + 1:]


def solutions_on(root: str | Path, checkpoint: Checkpoint) -> list[lessons.Exercise]:
    """The exercises whose base is `checkpoint` or a later checkpoint."""
    order = checkpoints(root)
    since = order.index(checkpoint)
    return [exercise for exercise in exercises(root)
            if order.index(find(root, Path(root) / exercise.base)) >= since]


# What a copy must pass: the behaviour it has reached.

def reached_by(root: str | Path, folder: str | Path,
               step: Checkpoint | None = None) -> dict[int, int]:
    """{part: step} of what `folder` contains: a checkpoint's own, a
    solution's base's, or for a learner's copy (a folder that is neither)
    what checkpoint `step` contains (default: the finished part 2)."""
    checkpoint = find(root, folder) or solution_base(root, folder)
    if checkpoint is None:
        checkpoint = step or named(root, "part2_chat")
    return reached(root, checkpoint)


def part_of(root: str | Path, folder: str | Path,
            step: Checkpoint | None = None) -> int:
    """The part `folder` is at, as reached_by() reads it."""
    return max(reached_by(root, folder, step))


def step_name(checkpoint: Checkpoint) -> str:
    """What the pages call a checkpoint's step, and --step takes: 3 (part
    2's steps, the finished part 2 as 7), 4.2, part3 (a part without
    steps)."""
    if checkpoint.part == 2:
        return str(checkpoint.step)
    if checkpoint.finished and checkpoint.step == 1:
        return f"part{checkpoint.part}"
    return f"{checkpoint.part}.{checkpoint.step}"


STEP_FORMS = ("N (part 2's step N, 1-7), P.N (part P's step N, e.g. 4.2), "
              "partP (the finished part P), or a checkpoint's folder "
              "(part4_scale/steps/2_presence)")


def named(root: str | Path, text: str) -> Checkpoint:
    """The checkpoint a learner names: "3" (part 2's step 3, as its page
    calls it), "4.2" (part 4's step 2), "part3" (the finished part 3) or
    its folder, "part2_chat/steps/3_messages". ValueError for anything
    else, naming the forms."""
    found = checkpoints(root)
    text = text.strip().rstrip("/")
    part, dot, step = text.partition(".")
    if text.isdigit():
        part, step = "2", text
    elif not (dot and part.isdigit() and step.isdigit()):
        part, step = "", ""
    for checkpoint in found:
        if (checkpoint.name == text
                or text == f"part{checkpoint.part}" and checkpoint.finished
                or (part, step) == (str(checkpoint.part),
                                    str(checkpoint.step))):
            return checkpoint
    raise ValueError(f"{text!r} names no checkpoint: use {STEP_FORMS}")


def exercises_by_id(root: str | Path = REPO) -> dict[str, lessons.Exercise]:
    """{id: exercise} of docs/lessons.yml."""
    return {exercise.id: exercise for exercise in exercises(root)}


def long_lines(folder: str | Path) -> list[str]:
    """"file:line" of every line of the code files in `folder` longer than
    MAX_LINE_LENGTH: it would scroll sideways in a code box."""
    return [f"{relative.as_posix()}:{number}"
            for relative in code_files(folder)
            for number, line in enumerate(file_lines(Path(folder) / relative),
                                          1)
            if len(line) > MAX_LINE_LENGTH]
