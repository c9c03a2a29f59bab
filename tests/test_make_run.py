"""`make run` as a learner uses it: start the chat, then stop it with Ctrl+C.

A terminal's Ctrl+C sends SIGINT to the whole foreground process group
(make, its shell and the server); the test sends it the same way. Stopping
the chat is the normal end of `make run`, so it should end without make's
"make: *** [Makefile:…: run] Interrupt", which reads as an error.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from servers import (START_TIMEOUT, STOP_TIMEOUT, free_port,
                     listening_addresses)

REPO = Path(__file__).resolve().parent.parent


def start_make_run(part, port):
    """`make run PART=part` on `port`, in a process group of its own, with
    this test's Python first on PATH; -o: use .venv as it is, install
    nothing."""
    env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1",
           "SECRET_KEY": "test", "PYTHONUNBUFFERED": "1",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                   f"{os.environ['PATH']}"}
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (make writes to it)
    make = subprocess.Popen(
        ["make", "-o", ".venv/.installed", "run", f"PART={part}"], cwd=REPO,
        env=env, stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True)
    return make, log


def output(log):
    log.seek(0)
    return log.read()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_ctrl_c_stops_make_run_quietly():
    port = free_port()
    make, log = start_make_run("part2_chat", port)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not listening_addresses(port):
            assert make.poll() is None, (
                f"make run exited with {make.returncode} before the chat "
                f"answered:\n{output(log)}")
            assert time.monotonic() < deadline, (
                f"make run did not start the chat on port {port} within "
                f"{START_TIMEOUT} s:\n{output(log)}")
            time.sleep(0.1)
        requests.get(f"http://127.0.0.1:{port}/", timeout=START_TIMEOUT)
        os.killpg(make.pid, signal.SIGINT)  # Ctrl+C
        make.wait(STOP_TIMEOUT)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait()
    printed = output(log)
    log.close()
    assert "make: ***" not in printed and "Traceback" not in printed, (
        "Ctrl+C should end make run quietly, with no make error and no "
        f"traceback; it printed:\n{printed}")
    assert not listening_addresses(port), (
        f"after Ctrl+C nothing should listen on port {port} any more")
