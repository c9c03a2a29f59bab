"""`make test` runs the suite in parallel (pytest-xdist, --dist loadgroup):
the tests that share a module-scoped fixture must run on one worker, or
each worker starts that server again (tests/conftest.py groups them)."""
import os

import pytest


@pytest.fixture(scope="module")
def shared():
    return "started once"


def test_a_test_with_a_shared_fixture_is_kept_in_its_group(request, shared):
    group = request.node.get_closest_marker("xdist_group")
    assert group and group.args == ("test_parallel",), (
        "tests/conftest.py should mark a test that uses a module-scoped "
        f"fixture with xdist_group(<its module>): it has {group}")
    # pytest-xdist sets `loadgroup` on its workers under --dist loadgroup.
    if os.environ.get("PYTEST_XDIST_WORKER") and getattr(
            request.config.option, "loadgroup", False):
        assert request.node.nodeid.endswith("@test_parallel"), (
            "pytest-xdist should put the group in the test's id, which is how "
            "--dist loadgroup keeps a group on one worker: the id is "
            f"{request.node.nodeid} (a pytest newer than pytest-xdist knows?)")
