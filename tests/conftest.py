"""Shared by the whole suite: the --checkpoint and --step options, and the
`checkpoint` parameter that makes the chat tests (tests/chat/,
tests/browser/) run once for every checkpoint that has reached the step
each test is marked with.

Which folders a test runs on comes from its markers and the chain
(tutorial/chain.py), never from its file's name:

- `@pytest.mark.step(n, part=2)`: the step that introduces the behaviour;
  the test runs on every checkpoint that has reached it;
- `@pytest.mark.solutions`: also on every exercise solution that has;
- `@pytest.mark.only_finished(part=4)`: on that part's finished folder,
  not on each of its steps;
- `@pytest.mark.socketio_test_client`: not on a part that relays through a
  message queue (Flask-SocketIO's test client cannot).

A test that no folder under test has reached is deselected, not skipped.
"""
import uuid
from pathlib import Path

import pytest

from stack import uses_message_queue
from tutorial import chain
from tutorial.chain import REPO

PART2_STEPS = [c.step for c in chain.checkpoints(REPO) if c.part == 2]
# The value of `checkpoint` for a test no folder under test has reached.
UNREACHED = pytest.param(None, marks=pytest.mark.unreached, id="unreached")


def pytest_addoption(parser):
    parser.addoption(
        "--checkpoint", metavar="FOLDER",
        help="run the chat checkpoint tests against FOLDER (for example your "
             "own copy of part2_chat) instead of the repository's own folders; "
             "tests/exercises/test_<name>.py: check your answer in FOLDER")
    parser.addoption(
        "--step", metavar="N", type=int, choices=PART2_STEPS,
        help="with --checkpoint: your copy is at step N of part 2, so run "
             "only the tests of what steps 1 to N teach")


def pytest_configure(config):
    for line in (
            "step(n, part=2): the step of the part that introduces the "
            "behaviour this test checks",
            "solutions: also run on the exercise solutions that have "
            "reached the test's step",
            "only_finished(part): on that part, run on its finished folder "
            "only, not on each of its steps",
            "unreached: no folder under test has reached this test's step "
            "(deselected)"):
        config.addinivalue_line("markers", line)


def has_reached(folder, marker, custom_step=None):
    """Whether the folder has the behaviour a test marked with `marker`
    checks (a test without a step marker: every one has)."""
    if marker is None:
        return True
    part, step = marker.kwargs.get("part", 2), marker.args[0]
    return chain.reached_by(REPO, folder, custom_step).get(part, 0) >= step


def folders_under_test(definition, custom):
    """The repository's folders a test runs on, by its markers."""
    folders = [c.folder for c in chain.checkpoints(REPO) if c.part >= 2]
    if definition.get_closest_marker("solutions"):
        folders += [REPO / e.folder for e in chain.exercises(REPO)
                    if chain.reached_by(REPO, REPO / e.folder).get(2)]
    finished_only = definition.get_closest_marker("only_finished")
    if finished_only:
        part = finished_only.kwargs["part"]
        folders = [f for f in folders if not is_step_of(f, part)]
    return folders


def is_step_of(folder, part):
    checkpoint = chain.find(REPO, folder)
    return bool(checkpoint and checkpoint.part == part
                and not checkpoint.finished)


def pytest_generate_tests(metafunc):
    if "checkpoint" not in metafunc.fixturenames:
        return
    config, definition = metafunc.config, metafunc.definition
    custom = config.getoption("--checkpoint")
    if custom:
        folders = [Path(custom).expanduser().resolve()]
    else:
        folders = folders_under_test(definition, custom)
    marker = definition.get_closest_marker("step")
    custom_step = config.getoption("--step")
    folders = [folder for folder in folders
               if has_reached(folder, marker, custom_step)]
    if definition.get_closest_marker("socketio_test_client"):
        folders = [folder for folder in folders
                   if not uses_message_queue(folder)]
    metafunc.parametrize(
        "checkpoint", folders or [UNREACHED],
        ids=[id_of(f) for f in folders] or None, scope="module")


def id_of(folder):
    """part2_chat, or part2_chat/steps/1_pages as part2_chat-1_pages, or
    exercises/part2_typing as exercises-part2_typing."""
    parts = folder.parts
    if parts[-2] == "exercises":
        return f"exercises-{parts[-1]}"
    if len(parts) >= 3 and parts[-2] == "steps":
        return f"{parts[-3]}-{parts[-1]}"
    return folder.name


def pytest_collection_modifyitems(config, items):
    """Leave out, rather than skip, a test that no folder under test has
    reached: a learner at step 2 sees the tests of steps 1 and 2 only."""
    unreached = [item for item in items if item.get_closest_marker("unreached")]
    if unreached:
        config.hook.pytest_deselected(items=unreached)
        items[:] = [item for item in items
                    if not item.get_closest_marker("unreached")]


@pytest.fixture
def room():
    """A room name no other test uses."""
    return f"room-{uuid.uuid4().hex[:8]}"
