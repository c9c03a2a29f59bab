"""Shared by the whole suite: the --checkpoint option, and the `checkpoint` parameter that
makes the chat tests (tests/chat/, tests/browser/) run once for every chat checkpoint."""
from checkpoints import chat_checkpoints
from stack import uses_message_queue


def pytest_addoption(parser):
    parser.addoption(
        "--checkpoint", metavar="FOLDER",
        help="run the chat checkpoint tests against FOLDER (for example your own copy "
             "of part2_chat) instead of the repository's own part folders")


def pytest_generate_tests(metafunc):
    if "checkpoint" in metafunc.fixturenames:
        folders = chat_checkpoints(metafunc.config.getoption("--checkpoint"))
        if metafunc.definition.get_closest_marker("socketio_test_client"):
            # Flask-SocketIO's test client cannot work through a message queue: part 4
            # is tested through its real servers only.
            folders = [folder for folder in folders if not uses_message_queue(folder)]
        metafunc.parametrize("checkpoint", folders, ids=[f.name for f in folders],
                             scope="module")
