"""`make test` runs the suite in parallel (pytest-xdist, --dist loadgroup):
the tests that share a module-scoped fixture must run on one worker, or
each worker starts that server again (tests/conftest.py groups them)."""
import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from xdist.scheduler import LoadGroupScheduling

from tutorial.chain import REPO


@pytest.fixture(scope="module", params=["a-checkpoint"])
def shared(request):
    return request.param


def test_a_test_with_a_shared_fixture_is_kept_in_its_group(request, shared):
    group = request.node.get_closest_marker("xdist_group")
    assert group and group.args == ("test_parallel:a-checkpoint",), (
        "tests/conftest.py should mark a test that uses a module-scoped "
        "fixture with xdist_group(<its module>:<the fixture's parameter>): "
        f"it has {group}")
    # The test's id as pytest-xdist makes it under --dist loadgroup, and the
    # work unit it then goes into: the group's alone.
    grouped_id = f"{request.node.nodeid.split('@')[0]}@{group.args[0]}"
    unit = LoadGroupScheduling._split_scope(None, grouped_id)
    assert unit == group.args[0], (
        f"pytest-xdist should send the tests of group {group.args[0]!r} to "
        f"one worker, but it takes {grouped_id} as a group of its own "
        f"({unit!r}): a ']' in a group's name hides it")
    # pytest-xdist sets `loadgroup` on its workers under --dist loadgroup.
    if os.environ.get("PYTEST_XDIST_WORKER") and getattr(
            request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith(f"@{group.args[0]}"), (
            "pytest-xdist should put the group in the test's id, which is how "
            "--dist loadgroup keeps a group on one worker: the id is "
            f"{request.node.nodeid} (a pytest newer than pytest-xdist knows?)")


def test_the_tests_of_one_server_run_one_after_another():
    """Each checkpoint's server in a module starts once, in a serial run
    too: the tests that use it are collected next to each other."""
    plan = subprocess.run(
        [sys.executable, "-m", "pytest", "--setup-plan", "-q",
         "-p", "no:cacheprovider", "tests/chat/test_security_headers.py"],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    setups = re.findall(r"SETUP    M (checkpoint\[.*\])", plan.stdout)
    assert len(setups) > 3, f"too few checkpoints planned:\n{plan.stdout}"
    again = [name for name, count in Counter(setups).items() if count > 1]
    assert again == [], (
        "tests/conftest.py (put_groups_together) should keep a checkpoint's "
        f"tests together, so its server starts once: these start again: "
        f"{again}")
