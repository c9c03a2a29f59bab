import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--checkpoint", metavar="FOLDER",
        help="run the chat checkpoint tests against FOLDER (for example your own copy "
             "of part2_chat) instead of the repository's own part folders")
