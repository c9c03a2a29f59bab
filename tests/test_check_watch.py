"""`make check COPY=… STEP=…`: a learner's check that runs again on every
save (watchfiles), ending each run with "n of m checks pass"."""
import os
import re
import shutil
import signal
import subprocess
import time

from tutorial.chain import REPO

TIMEOUT = 120  # seconds for one run of the step's check on a busy machine
SUMMARY = re.compile(r"(\d+) of (\d+) checks pass")
# A few of step 1's checks, one of which needs the start page's form.
A_FEW = "test_pages and (start_page or form)"


def summaries(log):
    return SUMMARY.findall(log.read_text())


def wait_for_summaries(log, count, process):
    """The first `count` summaries in the log, within TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = summaries(log)
        if len(found) >= count:
            return found
        assert process.poll() is None, f"make check ended:\n{log.read_text()}"
        time.sleep(0.5)
    raise AssertionError(f"no run number {count} within {TIMEOUT} s:\n"
                         f"{log.read_text()}")


def test_make_check_runs_again_when_a_file_is_saved(tmp_path):
    copy = shutil.copytree(REPO / "part2_chat" / "steps" / "1_pages",
                           tmp_path / "my-chat")
    log = tmp_path / "check.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            ["make", "-o", ".venv/.installed-dev", "check", f"COPY={copy}",
             "STEP=1", f"CHECK_ARGS=-k '{A_FEW}'"], cwd=REPO, stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "COLUMNS": "200"})
    try:
        first = wait_for_summaries(log, 1, process)
        assert first[0][0] == first[0][1], "a faithful copy passes every check"
        # A save that breaks the start page: the check runs again and says so.
        index = copy / "templates" / "index.html"
        index.write_text(index.read_text().replace('name="username"',
                                                   'name="user"'))
        second = wait_for_summaries(log, 2, process)[1]
        assert int(second[0]) < int(second[1]), log.read_text()
        assert "The first that fails" in log.read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)
