"""The pins: requirements.txt alone runs every checkpoint (what `make run`
installs); requirements-dev.txt adds the tests, the docs and the benchmark.
"""
import os
import re
import subprocess
import sys

import pytest

from tutorial import chain
from tutorial.chain import REPO
from harness.venvs import pip, venv_holding

CHECKPOINTS = chain.checkpoints(REPO)

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)$", re.M)


def pins(name):
    return {package.lower(): version
            for package, version in PIN.findall((REPO / name).read_text())}


@pytest.fixture(scope="module")
def runtime_python():
    """The python of a new venv holding requirements.txt and nothing else."""
    return venv_holding(REPO / "requirements.txt")


def test_the_runtime_pins_are_complete_and_exact(runtime_python):
    check = subprocess.run(pip(runtime_python, "check"),
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout
    freeze = subprocess.run(pip(runtime_python, "freeze"),
                            capture_output=True, text=True, timeout=60)
    installed = {package.lower(): version
                 for package, version in PIN.findall(freeze.stdout)}
    assert installed == pins("requirements.txt"), (
        "requirements.txt should pin exactly what it installs, "
        "transitive packages included")


@pytest.mark.parametrize("point", CHECKPOINTS,
                         ids=[c.name for c in CHECKPOINTS])
def test_every_checkpoint_imports_with_the_runtime_pins_alone(
        runtime_python, point):
    result = subprocess.run(
        [runtime_python, "-c", "import app"], cwd=point.folder,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "SECRET_KEY": "test", "PYTHONWARNINGS": "ignore"})
    assert result.returncode == 0, (
        f"{point.name}/app.py needs a package requirements.txt does not "
        f"pin:\n{result.stderr}")


def test_the_dev_pins_add_to_the_runtime_pins_without_changing_them():
    dev_text = (REPO / "requirements-dev.txt").read_text()
    assert re.search(r"^-r requirements\.txt$", dev_text, re.M)
    runtime, dev = pins("requirements.txt"), pins("requirements-dev.txt")
    assert not set(runtime) & set(dev), (
        "a package pinned in both files: keep it in requirements.txt only")
    for package in ("pytest", "playwright", "mkdocs", "matplotlib"):
        assert package in dev and package not in runtime, package


def test_this_python_is_one_the_project_is_tested_with():
    assert (3, 11) <= sys.version_info[:2] <= (3, 13)
