"""Where the checkpoints are, what each has reached, and how a test loads
one's app.py.

The order of the checkpoints (part 1, part 2's steps, part 2, part 3, part
4's steps, part 4) comes from docs/hooks/checkpoints.py, which the docs
site uses too. A test says which step introduces its behaviour with
`@pytest.mark.step(n)` (a step of part 2) or `@pytest.mark.step(n, part=4)`,
and runs on every checkpoint that has reached that step.
"""
import importlib.util
import itertools
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


order = _load("checkpoint_order", REPO / "docs" / "hooks" / "checkpoints.py")
CHECKPOINTS = order.checkpoints(REPO)
# The steps of part 2 a learner's copy can be checked at (--step N).
PART2_STEPS = [c.step for c in CHECKPOINTS if c.part == 2]
FINISHED_PART2 = max(PART2_STEPS)
# The exercises (docs/lessons.yml), by id; each solution folder is its base
# checkpoint plus the exercise, so it has reached what its base has.
EXERCISES = {exercise.id: exercise for exercise in _load(
    "lessons", REPO / "docs" / "hooks" / "lessons.py").load()[1]}

_loaded = itertools.count()


def chat_checkpoints(custom=None):
    """The folders the chat tests run on: `custom` (a learner's copy) if
    given, else every checkpoint of part 2 and later."""
    if custom:
        return [Path(custom).expanduser().resolve()]
    return [c.folder for c in CHECKPOINTS if c.part >= 2]


def solution_folders():
    """The exercises' solution folders that hold the chat (part 2 on)."""
    return [REPO / e.folder for e in EXERCISES.values()
            if reached(REPO / e.base).get(2)]


def reached(folder, custom_step=None):
    """{part: step} of what `folder` contains. A learner's copy (a folder
    outside the repository) is part 2 at `custom_step`, or finished."""
    bases = {REPO / e.folder: REPO / e.base for e in EXERCISES.values()}
    checkpoint = order.find(REPO, bases.get(Path(folder), folder))
    if checkpoint is None:
        return {1: 1, 2: custom_step or FINISHED_PART2}
    return order.reached(REPO, checkpoint)


def introduced_by(marker):
    """(part, step) of a test's @pytest.mark.step(n, part=2) marker."""
    return marker.kwargs.get("part", 2), marker.args[0]


def has_reached(folder, marker, custom_step=None):
    """Whether the checkpoint in `folder` has the behaviour a test marked
    with `marker` checks (a test without a step marker: every one has)."""
    if marker is None:
        return True
    part, step = introduced_by(marker)
    return reached(folder, custom_step).get(part, 0) >= step


def load_app_module(folder):
    """Import `folder`/app.py as a fresh module, so every test starts with
    empty state."""
    name = f"checkpoint_app_{next(_loaded)}"
    spec = importlib.util.spec_from_file_location(name, Path(folder) / "app.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # Flask finds templates/ and static/ by it
    spec.loader.exec_module(module)
    return module
