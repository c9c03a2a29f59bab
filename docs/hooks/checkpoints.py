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
