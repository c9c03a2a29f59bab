"""`make check COPY=… STEP=…` (`python -m tutorial check COPY STEP --watch`):
a learner's check that runs again on every save, the check that failed last
first, ending each run with "n of m checks pass" and how long it took."""
import os
import re
import shutil
import signal
import subprocess
import time

from tutorial.chain import REPO

TIMEOUT = 120  # seconds for one run of the step's check on a busy machine
SUMMARY = re.compile(r"(\d+) of (\d+) checks pass")
# A few of step 1's checks; those of the form's refusals are not the first.
A_FEW = "test_pages and (start_page or form)"
REFUSAL = 'f"Please enter a {name}."'


def summaries(log):
    return SUMMARY.findall(log.read_text())


def wait_for_summaries(log, count, process):
    """The first `count` summaries in the log, within TIMEOUT."""
    wait_for(log, SUMMARY, count, process)
    return summaries(log)


def wait_for(log, pattern, count, process):
    """The log, once `pattern` (a string or a regular expression) is in it `count`
    times, within TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text()
        if len(re.findall(pattern, text)) >= count:
            return text
        assert process.poll() is None, f"make check ended:\n{text}"
        time.sleep(0.5)
    raise AssertionError(f"no run number {count} within {TIMEOUT} s:\n"
                         f"{log.read_text()}")


def test_make_check_runs_again_when_a_file_is_saved(tmp_path):
    copy = shutil.copytree(REPO / "part2_chat" / "steps" / "1_pages",
                           tmp_path / "my-chat")
    log = tmp_path / "check.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed-dev", "check", f"COPY={copy}", "STEP=1",
             # A cache of its own: what failed in another test's copy is not first here.
             f"CHECK_ARGS=-k '{A_FEW}' -v -o cache_dir={tmp_path / 'cache'}"],
            cwd=REPO, stdout=output, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "COLUMNS": "200"})
    try:
        first = wait_for_summaries(log, 1, process)
        assert first[0][0] == first[0][1], "a faithful copy passes every check"
        # A save that breaks the form's refusals: the check runs again and says so.
        app_py = copy / "app.py"
        faithful = app_py.read_text()
        assert REFUSAL in faithful
        app_py.write_text(faithful.replace(REFUSAL, 'f"Enter a {name}."'))
        second = wait_for_summaries(log, 2, process)[1]
        assert int(second[0]) < int(second[1]), log.read_text()
        failing = re.search(r"^The first that fails \((.+)\):$", log.read_text(), re.M)
        assert failing, log.read_text()
        # Put it back: the check that failed runs first (pytest's --failed-first), and
        # every run says when it started and how long it took.
        app_py.write_text(faithful)
        third = wait_for_summaries(log, 3, process)[2]
        assert third[0] == third[1], log.read_text()
        text = wait_for(log, "The check took ", 3, process)
        assert text.count("Started at ") == 3 and text.count("The check took ") == 3, text
        third_run = text.split("Started at ")[3]
        # With -v, pytest-xdist prints each check's node id when it starts.
        started = [line.strip() for line in third_run.splitlines()
                   if line.startswith("tests/")]
        # Before the check that comes first otherwise (and passed last time). Not
        # necessarily first of all: a save seen as two changes restarts a run, and
        # a check that run cut short counts as failed too.
        natural_first = next(test for test in started if "start_page_has_a_form" in test)
        assert failing[1] in started and (
            started.index(failing[1]) < started.index(natural_first)), (
            f"the check that failed last ({failing[1]}) should run first: {started}")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
