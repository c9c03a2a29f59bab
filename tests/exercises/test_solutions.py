"""Each exercise's solution folder is its base checkpoint, copied whole, plus
the exercise: nothing of the base is missing or out of date, the change is
one small lesson, and its lines fit a code box."""
import pytest

from tutorial import chain
from tutorial.chain import (MAX_CHANGED_LINES, MAX_LINE_LENGTH, REPO,
                            exercises_by_id)

EXERCISES = exercises_by_id()
# The lines of its base an exercise may change (it deletes none).
MAX_REPLACED_LINES = 8


def files(folder):
    return chain.lesson_files(folder)


def lines(path):
    return chain.file_lines(path)


@pytest.fixture(params=EXERCISES.values(), ids=EXERCISES)
def exercise(request):
    return request.param


def test_the_solution_has_every_file_of_its_base(exercise):
    solution, base = REPO / exercise.folder, REPO / exercise.base
    missing = sorted(r.as_posix() for r in files(base) - files(solution))
    assert not missing, (f"{exercise.folder} lacks {missing} of its base "
                         f"{exercise.base}: copy the base folder whole")
    changed = [r.as_posix() for r in files(base)
               if (chain.vendored(r) or r.name == "README.md")
               and (solution / r).read_bytes() != (base / r).read_bytes()]
    assert not changed, (f"{exercise.folder} changes {changed}, which should "
                         f"be as in {exercise.base}")


def test_the_solution_keeps_its_base_up_to_date(exercise):
    """An exercise adds lines and changes a few, but deletes none: a line of
    the base that the solution lacks, with nothing in its place, is a change
    to the base that the solution has not followed."""
    solution, base = REPO / exercise.folder, REPO / exercise.base
    lost, replaced = {}, 0
    for relative in chain.hand_written_files(base):
        old, new = lines(base / relative), lines(solution / relative)
        for tag, start, end, _, _ in chain.line_changes(old, new):
            changed = [line.strip() for line in old[start:end] if line.strip()]
            if tag == "delete" and changed:
                lost.setdefault(relative.as_posix(), []).extend(changed)
            elif tag == "replace":
                replaced += len(changed)
    assert not lost and replaced <= MAX_REPLACED_LINES, (
        f"{exercise.folder} lacks lines of {exercise.base}: "
        + (f"{lost}" if lost else f"it replaces {replaced} of them")
        + ". Has the base changed since the solution was made? Copy the "
        "base again and redo the exercise on it")


def test_the_exercise_is_one_small_lesson(exercise):
    solution, base = REPO / exercise.folder, REPO / exercise.base
    counts = chain.folder_changes(base, solution)
    assert counts, f"{exercise.folder} is the same as {exercise.base}"
    assert sum(counts.values()) <= MAX_CHANGED_LINES, (
        f"{exercise.folder} changes {counts} lines of {exercise.base}: an "
        f"exercise should change at most {MAX_CHANGED_LINES}")


def test_the_solution_fits_a_code_box(exercise):
    long = chain.long_lines(REPO / exercise.folder)
    assert not long, (f"lines of {exercise.folder} longer than "
                      f"{MAX_LINE_LENGTH} characters scroll sideways on the "
                      f"pages: {long}")
