"""Check a learner's computer before the class: prints what is missing.

    python3 scripts/check_setup.py          # from the repository folder

It needs nothing but Python itself, so it runs before anything is
installed. Exit status 0 when the class can start, 1 when something is
missing; each missing thing comes with what to do about it.
"""
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTED_PYTHONS = ((3, 11), (3, 12), (3, 13))


def check_python(version=sys.version_info[:2]):
    if tuple(version) in TESTED_PYTHONS:
        return None
    names = ", ".join(f"{major}.{minor}" for major, minor in TESTED_PYTHONS)
    return (f"Python {version[0]}.{version[1]} is not one the tutorial is "
            f"tested with ({names}). Install one from python.org, then use "
            "it: make run PYTHON=python3.12")


def check_program(name, why, install):
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin"
    if shutil.which(name, path=path):
        return None
    return f"{name} is missing ({why}). {install}"


def check_packages(venv=REPO / ".venv"):
    """The chat's packages in the repository's .venv."""
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        return ("The environment .venv is not set up yet: run `make run` "
                "once, or see Part 1 'A virtual environment'.")
    result = subprocess.run(
        [str(python), "-c", "import flask, flask_socketio, eventlet"],
        capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        return ("The chat's packages are not all installed in .venv: "
                "run `pip install -r requirements.txt` with .venv active.")
    return None


def check_port(port=5000):
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return (f"Port {port} is taken (on macOS usually the AirPlay "
                    "Receiver). Use another: PORT=5001 make run")
    return None


def problems():
    checks = [
        check_python(),
        check_program("git", "to get the tutorial",
                      "Install git from git-scm.com."),
        check_program("make", "for `make run` and `make test`; optional",
                      "Without it, follow the steps 'by hand' in Part 1."),
        check_packages(),
        check_port(),
    ]
    return [problem for problem in checks if problem]


def main():
    found = problems()
    for problem in found:
        print(f"- {problem}")
    if not found:
        print("Ready for the class: Python, git, make, the chat's packages "
              "and port 5000 are all there.")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
