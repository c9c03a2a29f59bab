"""Start a checkpoint's real server the way a learner (or the platform) does, and stop it.

Every server gets a free port on 127.0.0.1, is waited for with a deadline, and is stopped
by its process group id, so no test leaves a process behind.
"""
import itertools
import os
import random
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

START_TIMEOUT = 20
STOP_TIMEOUT = 10


# A port is free when it is handed out, and taken only once the server has started, a
# second or more later. Parallel workers (pytest-xdist: gw0, gw1, ...) each hand out ports
# from a range of their own, below the ports the kernel hands out (Linux: 32768 on), so a
# server of another worker cannot take the same port in between and answer for this one.
FIRST_WORKER_PORT = 20000
PORTS_PER_WORKER = 2000
_next_ports = itertools.count(random.randrange(PORTS_PER_WORKER))


def free_port():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.removeprefix("gw").isdigit():
        return kernels_free_port()
    first = FIRST_WORKER_PORT + int(worker.removeprefix("gw")) * PORTS_PER_WORKER
    for _ in range(PORTS_PER_WORKER):
        port = first + next(_next_ports) % PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use
                continue
            return port
    return kernels_free_port()


def kernels_free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require_programs(*names):
    """Skip the test when a program it needs is missing, or fail it where all must be
    there (REQUIRE_SYSTEM_PACKAGES=1, as in CI)."""
    missing = [name for name in names
               if not shutil.which(name, path=f"{os.environ['PATH']}{os.pathsep}/usr/sbin")]
    if missing:
        reason = f"needs {', '.join(missing)}: run scripts/install-system-packages"
        if os.environ.get("REQUIRE_SYSTEM_PACKAGES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def chromium(headless=False):
    """The Chromium the browser tests drive: $CHROMIUM, else (headless)
    Debian's chromium-headless-shell where it is installed, else chromium
    (skipped, or failed in CI, when it is missing)."""
    executable = os.environ.get("CHROMIUM")
    if not executable and headless:
        executable = shutil.which("chromium-headless-shell")
    if not executable:
        require_programs("chromium")
        executable = shutil.which("chromium")
    return executable


def listening_addresses(port):
    """The addresses ("0.0.0.0", "::", ...) a process listens on at `port`, read from
    /proc/net/tcp and, where the machine has IPv6, /proc/net/tcp6."""
    addresses = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        path = Path("/proc/net") / table
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            host, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A is LISTEN
                # Each 32-bit word of the address is printed little-endian.
                raw = bytes.fromhex(host)
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                addresses.add(socket.inet_ntop(family, raw))
    return addresses


def procfile_command(checkpoint):
    """The `web:` command of the checkpoint's Procfile, or None if it has no Procfile."""
    procfile = Path(checkpoint) / "Procfile"
    if not procfile.exists():
        return None
    for line in procfile.read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError(f"{procfile} has no web: line")


def server_command(checkpoint):
    """How the README starts a checkpoint: its Procfile's web command, else python app.py."""
    return procfile_command(checkpoint) or "python app.py"


def own_bin_dir():
    return os.path.dirname(sys.executable)


class Server:
    """A server process started with `command` (a shell-like string) in `cwd`,
    finding its programs (python, gunicorn, honcho) first in `bin_dir`."""

    # The default bin_dir: this Python's; the tests point it at a venv
    # holding the chat's requirements alone (tests/conftest.py).
    default_bin_dir = staticmethod(own_bin_dir)

    def __init__(self, command, cwd, env=None, bin_dir=None, port=None,
                 preexec_fn=None):
        self.command = f"{command} (in {cwd})"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Open for the server's lifetime; close() closes (and so deletes) it.
        self.log_file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            "w+", prefix="server-", suffix=".log")
        bin_dir = bin_dir or self.default_bin_dir()
        full_env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
                    "HOST": "127.0.0.1", "PORT": str(self.port), "PYTHONUNBUFFERED": "1"}
        for name, value in (env or {}).items():  # None removes a variable
            if value is None:
                full_env.pop(name, None)
            else:
                full_env[name] = value
        self.process = subprocess.Popen(
            shlex.split(command), cwd=cwd, env=full_env, stdin=subprocess.DEVNULL,
            stdout=self.log_file, stderr=subprocess.STDOUT, start_new_session=True,
            preexec_fn=preexec_fn)

    def wait_until_serving(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server, {self.command}, exited with "
                                     f"{self.process.returncode} before it answered; it "
                                     f"printed:\n{self.log()}")
            if self.answers():
                return self
            time.sleep(0.1)
        raise AssertionError(f"the server, {self.command}, did not answer on port "
                             f"{self.port} within {timeout} s; it printed:\n{self.log()}")

    def answers(self):
        try:
            # Any answer will do: on the platform (DYNO) it is a redirect to https.
            requests.get(self.url + "/", timeout=1, allow_redirects=False)
            return True
        # A timeout too: gunicorn's master listens before its worker has booted, so a
        # request can wait longer than a second and the server is still on its way.
        except (requests.ConnectionError, requests.Timeout):
            return False

    def log(self):
        """Everything the server printed so far (or in all, once it is closed)."""
        if self.log_file.closed:
            return self.final_log
        self.log_file.flush()
        return Path(self.log_file.name).read_text(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send `sig` to the server's process group; return the seconds it took to exit."""
        started = time.monotonic()
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
                raise AssertionError(
                    f"server ignored {sig!r} for {timeout}s:\n{self.log()}") from None
        return time.monotonic() - started

    def close(self):
        """Kill the server's processes at once and keep its log. A graceful stop
        (SIGTERM) takes gunicorn's eventlet worker 1.4 s: a test that checks how
        the server stops calls stop() first."""
        try:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        finally:
            self.final_log = self.log()
            self.log_file.close()
