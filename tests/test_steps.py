"""The checkpoints as a row of small lessons: each step changes little from
the one before, its code fits a code box on a page, and it is complete."""
import difflib

import pytest

from checkpoints import CHECKPOINTS, REPO, order

# "About 120" lines a step, counted as changed non-blank lines of the
# hand-written files (templates, CSS and JS included; vendored files, the
# snippet region markers and README prose left out).
MAX_CHANGED_LINES = 130
MAX_LINE_LENGTH = 79
PAIRS = list(zip(CHECKPOINTS, CHECKPOINTS[1:]))


def code_files(checkpoint):
    return [relative for relative in order.hand_written_files(checkpoint.folder)
            if relative.name != "README.md"]


def lines_of(checkpoint, relative):
    path = checkpoint.folder / relative
    if not path.exists():
        return []
    return order.shown_lines(path) or []


def changed_lines(old, new):
    """{file: number of non-blank lines added or removed} from old to new."""
    counts = {}
    for relative in sorted({*code_files(old), *code_files(new)}):
        diff = difflib.unified_diff(lines_of(old, relative),
                                    lines_of(new, relative), lineterm="", n=0)
        changed = [line for line in diff
                   if line[:1] in "+-" and line[:3] not in ("+++", "---")
                   and line[1:].strip()]
        if changed:
            counts[relative.as_posix()] = len(changed)
    return counts


@pytest.mark.parametrize(("old", "new"), PAIRS,
                         ids=[f"{new.name}" for _, new in PAIRS])
def test_each_step_is_one_small_lesson(old, new):
    counts = changed_lines(old, new)
    total = sum(counts.values())
    assert total <= MAX_CHANGED_LINES, (
        f"{old.name} -> {new.name} changes {total} lines of code "
        f"({counts}); cut it into smaller steps")


@pytest.mark.parametrize("point", CHECKPOINTS,
                         ids=[c.name for c in CHECKPOINTS])
def test_code_lines_fit_a_code_box(point):
    checkpoint = point
    long = [f"{checkpoint.name}/{relative}:{number}"
            for relative in code_files(checkpoint)
            for number, line in enumerate(lines_of(checkpoint, relative), 1)
            if len(line) > MAX_LINE_LENGTH]
    assert not long, (f"lines longer than {MAX_LINE_LENGTH} characters "
                      f"scroll sideways on the pages: {long}")


def test_part_2_has_at_least_four_steps_before_the_finished_part():
    steps = [c for c in CHECKPOINTS if c.part == 2 and not c.finished]
    assert len(steps) >= 4, [c.name for c in steps]


@pytest.mark.parametrize("point", CHECKPOINTS,
                         ids=[c.name for c in CHECKPOINTS])
def test_every_checkpoint_runs_on_its_own(point):
    """Everything app.py and its pages load is inside the folder."""
    checkpoint = point
    folder = checkpoint.folder
    assert (folder / "app.py").is_file(), f"{checkpoint.name} has no app.py"
    for template in folder.glob("templates/*.html"):
        text = template.read_text()
        for name in ("socket.io.min.js", "chat.js", "style.css"):
            if f"filename='{name}'" in text:
                assert (folder / "static" / name).is_file(), (
                    f"{template.relative_to(REPO)} loads static/{name}, "
                    f"which {checkpoint.name} does not have")
