"""Shared by the whole suite: the --checkpoint and --step options, and the
`checkpoint` parameter that makes the chat tests (tests/chat/,
tests/browser/) run once for every checkpoint that has reached the step
each test is marked with."""
import uuid
from pathlib import Path

import pytest

from checkpoints import (PART2_STEPS, REPO, chat_checkpoints, has_reached,
                         order, solution_folders)
from stack import uses_message_queue


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
    config.addinivalue_line(
        "markers", "step(n, part=2): the step of the part that introduces "
        "the behaviour this test checks")


# The exercises' solutions (exercises/) must pass their base step's fast
# chat tests, the ones on Flask's and Flask-SocketIO's test clients;
# tests/exercises/ starts their real servers.
EXERCISE_CHAT_TESTS = {"test_events.py", "test_pages.py"}


def pytest_generate_tests(metafunc):
    if "checkpoint" not in metafunc.fixturenames:
        return
    config = metafunc.config
    custom_step = config.getoption("--step")
    folders = chat_checkpoints(config.getoption("--checkpoint"))
    if (not config.getoption("--checkpoint")
            and Path(metafunc.module.__file__).name in EXERCISE_CHAT_TESTS):
        folders += solution_folders()
    marker = metafunc.definition.get_closest_marker("step")
    folders = [folder for folder in folders
               if has_reached(folder, marker, custom_step)]
    if (not config.getoption("--checkpoint")
            and Path(metafunc.module.__file__).name in PART2_BROWSER_TESTS):
        # The browser scenarios test part 2's page. Part 4's steps change the
        # server behind it, which tests/test_part4_scale.py and the real-
        # server chat tests check on every step; here the finished part 4 is
        # enough, and keeps the suite within its time.
        folders = [folder for folder in folders
                   if not is_part4_step(folder)]
    if metafunc.definition.get_closest_marker("socketio_test_client"):
        # Flask-SocketIO's test client cannot work through a message queue:
        # part 4 is tested through its real servers only.
        folders = [folder for folder in folders
                   if not uses_message_queue(folder)]
    metafunc.parametrize("checkpoint", folders, ids=[id_of(f) for f in folders],
                         scope="module")


PART2_BROWSER_TESTS = {"test_chat_page_in_browser.py",
                       "test_start_page_in_browser.py"}


def is_part4_step(folder):
    checkpoint = order.find(REPO, folder)
    return bool(checkpoint and checkpoint.part == 4 and not checkpoint.finished)


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
    """Leave out, rather than skip, a test that no checkpoint under test has
    reached: a learner at step 2 sees the tests of steps 1 and 2 only."""
    kept, unreached = [], []
    for item in items:
        skip = item.get_closest_marker("skip")
        if ("checkpoint" in getattr(item, "fixturenames", ()) and skip
                and str(skip.kwargs.get("reason", "")).startswith(
                    "got empty parameter set")):
            unreached.append(item)
        else:
            kept.append(item)
    if unreached:
        config.hook.pytest_deselected(items=unreached)
        items[:] = kept


@pytest.fixture
def room():
    """A room name no other test uses."""
    return f"room-{uuid.uuid4().hex[:8]}"
