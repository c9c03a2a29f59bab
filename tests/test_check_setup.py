"""scripts/check_setup.py: what a learner's computer still needs."""
import socket
import subprocess
import sys

from tutorial.chain import REPO
import check_setup  # scripts/ is on the tests' path (pyproject.toml)

SCRIPT = REPO / "scripts" / "check_setup.py"


def test_a_python_the_tutorial_is_not_tested_with_is_named():
    assert check_setup.check_python((3, 11)) is None
    problem = check_setup.check_python((3, 9))
    assert "Python 3.9" in problem and "PYTHON=python3.12" in problem


def test_a_missing_program_is_named_with_what_to_do(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    problem = check_setup.check_program("git", "to get it", "Install git.")
    assert problem == "git is missing (to get it). Install git."


def test_a_missing_environment_says_how_to_make_it(tmp_path):
    assert "make run" in check_setup.check_packages(tmp_path / ".venv")


def test_a_taken_port_is_named():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert f"Port {port} is taken" in check_setup.check_port(port)


def test_the_script_runs_with_plain_python_and_reports():
    result = subprocess.run([sys.executable, str(SCRIPT)], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode in (0, 1), result.stderr
    assert result.stdout.strip(), "the script should always say something"
    assert ("Ready for the class" in result.stdout) == (result.returncode == 0)
