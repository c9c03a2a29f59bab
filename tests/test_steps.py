"""The checkpoints as a row of small lessons: each step changes little from
the one before, its code fits a code box on a page, and it is complete."""
import pytest

from tutorial import chain
from tutorial.chain import MAX_CHANGED_LINES, MAX_LINE_LENGTH, REPO

CHECKPOINTS = chain.checkpoints(REPO)
PAIRS = chain.pairs(REPO)


@pytest.mark.parametrize(("old", "new"), PAIRS,
                         ids=[f"{new.name}" for _, new in PAIRS])
def test_each_step_is_one_small_lesson(old, new):
    counts = chain.folder_changes(old.folder, new.folder)
    total = sum(counts.values())
    assert total <= MAX_CHANGED_LINES, (
        f"{old.name} -> {new.name} changes {total} lines of code "
        f"({counts}); cut it into smaller steps")


@pytest.mark.parametrize("point", CHECKPOINTS,
                         ids=[c.name for c in CHECKPOINTS])
def test_code_lines_fit_a_code_box(point):
    long = chain.long_lines(point.folder)
    assert not long, (f"lines of {point.name} longer than "
                      f"{MAX_LINE_LENGTH} characters scroll sideways on the "
                      f"pages: {long}")


def test_part_2_has_at_least_four_steps_before_the_finished_part():
    steps = [c for c in CHECKPOINTS if c.part == 2 and not c.finished]
    assert len(steps) >= 4, [c.name for c in steps]


@pytest.mark.parametrize("point", CHECKPOINTS,
                         ids=[c.name for c in CHECKPOINTS])
def test_every_checkpoint_runs_on_its_own(point):
    """Everything app.py and its pages load is inside the folder."""
    folder = point.folder
    assert (folder / "app.py").is_file(), f"{point.name} has no app.py"
    for template in folder.glob("templates/*.html"):
        text = template.read_text()
        for name in ("socket.io.min.js", "chat.js", "style.css"):
            if f"filename='{name}'" in text:
                assert (folder / "static" / name).is_file(), (
                    f"{template.relative_to(REPO)} loads static/{name}, "
                    f"which {point.name} does not have")
