"""`make run` as a learner uses it: start the chat, then stop it with Ctrl+C.

A terminal's Ctrl+C sends SIGINT to the whole foreground process group
(make, its shell and the server); the test sends it the same way. Stopping
the chat is the normal end of `make run`, so it should end without make's
"make: *** [Makefile:…: run] Interrupt", which reads as an error.

Part 4's `make run` starts its own Redis from Procfile.local: on a port of
its own, beside the Redis a system may run on the usual one.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from harness.servers import (START_TIMEOUT, STOP_TIMEOUT, free_port,
                     listening_addresses)
from harness.stack import uses_message_queue
from tutorial import chain
from tutorial.chain import REPO


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


# Part 4's own Redis: `make run` starts it from Procfile.local, beside a Redis the system may
# run on Redis's usual port (installing redis-server on Debian or Ubuntu starts one on 6379).
USUAL_REDIS_PORT = 6379
PART4_STACKS = [folder for folder in
                [c.folder for c in chain.checkpoints(REPO)]
                + [REPO / e.folder for e in chain.exercises(REPO)]
                if uses_message_queue(folder)]


def redis_url_of_the_chat(folder, chat_line):
    """The Redis a chat process of Procfile.local uses: REDIS_URL on its line, else the
    default its app.py gives REDIS_URL."""
    on_the_line = re.search(r"\bREDIS_URL=(\S+)", chat_line)
    if on_the_line:
        return on_the_line[1]
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    result = subprocess.run([sys.executable, "-c", "import app; print(app.REDIS_URL)"],
                            cwd=folder, env={**env, "SECRET_KEY": "test"},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("folder", PART4_STACKS,
                         ids=[folder.relative_to(REPO).as_posix() for folder in PART4_STACKS])
def test_part4s_own_redis_is_off_the_usual_port_and_the_chat_uses_it(folder):
    procfile = (folder / "Procfile.local").read_text()
    redis_line = re.search(r"^redis: redis-server .*--port (\d+)", procfile, re.M)
    assert redis_line, f"{folder}/Procfile.local should start redis-server with --port"
    port = int(redis_line[1])
    assert port != USUAL_REDIS_PORT, (
        f"{folder}/Procfile.local should start its Redis on a port of its own, not on "
        f"{USUAL_REDIS_PORT}, where a Redis of the system's own may listen already")
    chat_lines = re.findall(r"^chat\d+: .*$", procfile, re.M)
    assert chat_lines, f"{folder}/Procfile.local should start chat processes"
    for line in chat_lines:
        url = redis_url_of_the_chat(folder, line)
        assert urlsplit(url).port == port, (
            f"{line!r} should use the Redis that Procfile.local starts, on port {port}: "
            f"it uses {url}")
