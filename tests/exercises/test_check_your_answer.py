"""`pytest tests/exercises/test_<name>.py --checkpoint FOLDER` checks a
learner's answer: a copy of the solution passes, and a copy of the step it
starts from fails, saying in words what is missing."""
import os
import shutil
import subprocess
import sys

import pytest

from tutorial.chain import REPO, exercises_by_id

EXERCISES = exercises_by_id()

# (exercise, -k selection, what a failure on the bare base step must say)
CASES = [
    pytest.param("greet", "greets", 'Add @app.route("/hello/<name>")',
                 id="greet"),
    pytest.param("typing", "flood or someone_else",
                 "typing events at once should reach bob once",
                 id="typing"),
]


def check(exercise, folder, select):
    return subprocess.run(
        [sys.executable, "-m", "pytest", exercise.test, "--checkpoint",
         str(folder), "-k", select, "-q", "-rf", "--tb=short",
         "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "1000"})


@pytest.mark.parametrize(("name", "select", "missing"), CASES)
def test_a_copy_of_the_solution_passes_and_the_base_step_fails(
        tmp_path, name, select, missing):
    exercise = EXERCISES[name]
    answer = shutil.copytree(REPO / exercise.folder, tmp_path / "my-chat")
    passed = check(exercise, answer, select)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    base = shutil.copytree(REPO / exercise.base, tmp_path / "my-step",
                           ignore=shutil.ignore_patterns("steps"))
    failed = check(exercise, base, select)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert missing in failed.stdout, failed.stdout
