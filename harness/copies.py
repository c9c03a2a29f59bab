"""A learner's copy, made and checked as a learner does: a copy of a folder
of the repository, perhaps with a line changed (a mistake a learner could
make), and the tests run on it with --checkpoint, in a pytest of its own.

tests/test_check_your_work.py (the steps' copies) and tests/exercises/
(the exercises' answers) share these."""
import json
import os
import re
import shutil
import subprocess
import sys
from types import SimpleNamespace

from tutorial.chain import REPO

# What a server leaves in a folder while it runs, and a part's later steps:
# not part of a learner's copy.
NOT_COPIED = shutil.ignore_patterns("steps", "nginx-tmp", "nginx.pid",
                                    "__pycache__")


def copy_of(folder, tmp_path, name="my-chat"):
    """A learner's copy of `folder` (a path below the repository), in
    `tmp_path`/`name`."""
    return shutil.copytree(REPO / folder, tmp_path / name, ignore=NOT_COPIED)


def replaced(path, old, new):
    """Replace `old` (which must be there, once) with `new` in the file at
    `path`: a change made by exact text fails loudly once the text has
    changed, instead of changing nothing."""
    source = path.read_text()
    assert source.count(old) == 1, (
        f"{path} should have {old!r} once, but has it {source.count(old)} "
        "times: update this test")
    path.write_text(source.replace(old, new))


def run_check(files, folder, *options, timeout=300):
    """pytest `files` (a path or a list) with --checkpoint `folder`, as a
    learner's check runs, with -rf (a "FAILED <id> - <reason>" line per
    failure), short tracebacks, no cache, and `options`."""
    files = [files] if isinstance(files, str) else list(files)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *files, "--checkpoint", str(folder),
         "-rf", "--tb=short", "-p", "no:cacheprovider", *options],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "1000"})  # the summary's reasons in full


# Several checks in one Python, one pytest.main() after the other: each
# check's pytest starts in a second where the check itself may take a tenth
# of that. The checks' test files do not change between the runs (only the
# copies do, and each check imports its copy's app.py afresh), which is what
# makes pytest.main() safe to call again. Run with `python -c`, so that
# nothing of the tests is imported before pytest imports (and rewrites) it.
RUN_CHECKS = """
import contextlib, io, json, sys
import pytest
results = []
for arguments in json.loads(sys.argv[1]):
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = pytest.main(arguments)
    results.append({"returncode": int(status), "stdout": output.getvalue()})
print(json.dumps(results))
"""


def run_checks(checks, timeout=600, env=None):
    """run_check(files, folder, *options) for each (files, folder, options)
    of `checks`, in one pytest process, one after the other, with `env`
    added to the environment: the results, each with returncode and stdout
    (stderr is in stdout)."""
    arguments = [[*([files] if isinstance(files, str) else files),
                  "--checkpoint", str(folder), "-rf", "--tb=short",
                  "-p", "no:cacheprovider", *options]
                 for files, folder, options in checks]
    done = subprocess.run(
        [sys.executable, "-c", RUN_CHECKS, json.dumps(arguments)], cwd=REPO,
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "1000", **(env or {})})
    assert done.returncode == 0, (
        f"the checks' process failed:\n{done.stdout}\n{done.stderr}")
    return [SimpleNamespace(stderr="", **result)
            for result in json.loads(done.stdout.splitlines()[-1])]


def failed(result):
    """The run's "FAILED <node id> - <reason>" lines (-rf), in one process
    or in several."""
    return [line for line in result.stdout.splitlines()
            if line.startswith("FAILED ")]


def first_that_fails(result):
    """The node id and the sentence of the check's closing "The first that
    fails"."""
    found = re.search(r"^The first that fails \((.+)\):\n  (.*)$",
                      result.stdout, re.M)
    assert found, ("the check should end naming the first that fails:\n"
                   + result.stdout)
    return found[1], found[2]
