"""Each exercise's solution folder is its base checkpoint, copied whole, plus
the exercise: nothing of the base is missing or out of date, the change is
one small lesson, and its lines fit a code box."""
import difflib

import pytest

from checkpoints import EXERCISES, REPO, order

MAX_LINE_LENGTH = 79
MAX_CHANGED_LINES = 130  # as for a step (tests/test_steps.py)
# An exercise adds lines and changes a few; a base line missing from the
# solution beyond these is most likely a change to the base that the
# solution was not given (copy the base again and redo the exercise).
MAX_REPLACED_LINES = 8


def files(folder):
    return order.lesson_files(folder)


def lines(path):
    return order.shown_lines(path) if path.exists() else []


@pytest.fixture(params=EXERCISES.values(), ids=EXERCISES)
def exercise(request):
    return request.param


def test_the_solution_has_every_file_of_its_base(exercise):
    solution, base = REPO / exercise.folder, REPO / exercise.base
    missing = sorted(r.as_posix() for r in files(base) - files(solution))
    assert not missing, (f"{exercise.folder} lacks {missing} of its base "
                         f"{exercise.base}: copy the base folder whole")
    changed = [r.as_posix() for r in files(base)
               if (order.vendored(r) or r.name == "README.md")
               and (solution / r).read_bytes() != (base / r).read_bytes()]
    assert not changed, (f"{exercise.folder} changes {changed}, which should "
                         f"be as in {exercise.base}")


def test_the_solution_keeps_its_base_up_to_date(exercise):
    solution, base = REPO / exercise.folder, REPO / exercise.base
    gone = {}
    for relative in order.hand_written_files(base):
        new = set(line.strip() for line in lines(solution / relative))
        lost = [line.strip() for line in lines(base / relative)
                if line.strip() and line.strip() not in new]
        if lost:
            gone[relative.as_posix()] = lost
    count = sum(len(lost) for lost in gone.values())
    assert count <= MAX_REPLACED_LINES, (
        f"{exercise.folder} lacks {count} lines of {exercise.base} ({gone}): "
        "has the base changed since? Copy it again and redo the exercise")


def test_the_exercise_is_one_small_lesson(exercise):
    solution, base = REPO / exercise.folder, REPO / exercise.base
    counts = {}
    for relative in sorted(files(base) | files(solution)):
        if order.vendored(relative) or relative.name == "README.md":
            continue
        diff = difflib.unified_diff(lines(base / relative),
                                    lines(solution / relative), n=0)
        changed = [line for line in diff if line[:1] in "+-"
                   and line[:3] not in ("+++", "---") and line[1:].strip()]
        if changed:
            counts[relative.as_posix()] = len(changed)
    assert counts, f"{exercise.folder} is the same as {exercise.base}"
    assert sum(counts.values()) <= MAX_CHANGED_LINES, (
        f"{exercise.folder} changes {counts} lines of {exercise.base}: an "
        f"exercise should change at most {MAX_CHANGED_LINES}")


def test_the_solution_fits_a_code_box(exercise):
    solution = REPO / exercise.folder
    long = [f"{exercise.folder}/{relative.as_posix()}:{number}"
            for relative in order.hand_written_files(solution)
            if relative.name != "README.md"
            for number, line in enumerate(lines(solution / relative), 1)
            if len(line) > MAX_LINE_LENGTH]
    assert not long, (f"lines longer than {MAX_LINE_LENGTH} characters "
                      f"scroll sideways on the pages: {long}")
