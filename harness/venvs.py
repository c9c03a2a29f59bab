"""A new virtual environment holding one requirements file and nothing else,
as the platform builds one (tests/test_part3_deploy.py) or `make run` does
(tests/test_requirements.py, and the chat's servers: chat_bin).

Each is built once for each requirements file's contents (and Python) and
shared by every process: the parallel workers and the pytest runs inside
tests (a learner's copy of part 3 has part 3's requirements). They are kept
in the venv that runs the tests, .venv/test-venvs, from one run to the next
(`make clean` removes them); outside a venv, in a folder the first pytest
process makes and removes ($CHAT_TEST_VENVS). A build waits for the same one
in another process under a lock. No pip is put into them: the tests' own pip
installs into them (pip --python), which saves a second pip per venv.
"""
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

from tutorial.chain import REPO

FOLDER = "CHAT_TEST_VENVS"  # the environment variable naming the run's folder
# Where the venvs last from run to run: inside the venv running the tests.
KEPT = (Path(sys.prefix) / "test-venvs" if sys.prefix != sys.base_prefix
        else None)


def make_folder():
    """Make the run's folder and name it in the environment; return it, or
    None if the venvs are kept (KEPT) or a pytest process that started this
    one has made the folder already."""
    if KEPT or os.environ.get(FOLDER):
        return None
    os.environ[FOLDER] = tempfile.mkdtemp(prefix="chat-test-venvs-")
    return Path(os.environ[FOLDER])


def remove_folder(folder):
    shutil.rmtree(folder, ignore_errors=True)
    del os.environ[FOLDER]


def venv_holding(requirements):
    """The python of a venv holding `requirements` (a requirements file)."""
    folder = KEPT or Path(os.environ[FOLDER])  # made by tests/conftest.py
    folder.mkdir(exist_ok=True)
    contents = requirements.read_bytes() + sys.version.encode()
    key = hashlib.sha256(contents).hexdigest()[:16]
    env_dir, built = folder / f"venv-{key}", folder / f"venv-{key}.built"
    with open(folder / f"venv-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not built.exists():
            shutil.rmtree(env_dir, ignore_errors=True)  # a build that failed
            venv.create(env_dir)
            install = subprocess.run(
                pip(env_dir / "bin" / "python", "install", "--quiet", "-r",
                    requirements), capture_output=True, text=True, timeout=600)
            assert install.returncode == 0, (
                f"pip could not install {requirements}:\n{install.stderr}")
            built.touch()
    return env_dir / "bin" / "python"


def pip(python, *arguments):
    """A pip command on the venv of `python`, which has no pip of its own: the
    tests' pip, pointed at it."""
    return [sys.executable, "-m", "pip", "--python", python, *arguments,
            "--disable-pip-version-check"]


def chat_bin():
    """The bin folder the chat's servers run from: a venv holding
    requirements.txt alone, as `make run` builds it. From the tests' own venv
    each server would also import what the test tools bring (aiohttp, which
    python-socketio imports when it is there): about 0.9 CPU-seconds instead
    of 0.6 for each of the 200-odd servers a run starts."""
    return venv_holding(REPO / "requirements.txt").parent
