"""Exercise "A limit from a config var" (docs/exercises-part3.md): the
longest message comes from CHAT_MAX_MESSAGE_LENGTH, 1000 when it is not
set; a bad value stops the app at start with a line that says what is
wrong."""
import os
import subprocess
import sys

import pytest

from chat.expect import (OK, ask, expect_answer, expect_refused,
                         find_element, page_of)
from exercise_checks import import_app, two_people_chat

EXERCISE = "limit"
NAME = "CHAT_MAX_MESSAGE_LENGTH"


@pytest.fixture
def limited_app(solution, monkeypatch):
    """import_app(limit): the app started with the config var set to
    `limit` (None: not set)."""
    monkeypatch.setenv("SECRET_KEY", "a-config-var")

    def limited_app(limit):
        if limit is None:
            monkeypatch.delenv(NAME, raising=False)
        else:
            monkeypatch.setenv(NAME, limit)
        return import_app(solution)

    return limited_app


def joined(module, username, room):
    http = module.app.test_client()
    page = page_of(http.get("/chat", query_string={
        "username": username, "room": room}), "/chat")
    sio = module.socketio.test_client(module.app, flask_test_client=http)
    ask(sio, "join_room", {"username": username, "room": room})
    return page, sio


def send(sio, text):
    return ask(sio, "send_message", {"username": "alice", "room": "r",
                                     "message": text})


@pytest.mark.parametrize(("limit", "longest"), [
    (None, 1000), ("200", 200), (" 1500 ", 1500), ("2000", 2000)])
def test_the_longest_message_follows_the_config_var(
        limited_app, limit, longest):
    module = limited_app(limit)
    page, alice = joined(module, "alice", "r")
    said = "not set" if limit is None else f"{limit!r}"
    find_element(page, "input", f"the message box, with maxlength "
                 f"{longest} when {NAME} is {said}", id="message_input",
                 maxlength=str(longest))
    expect_answer(send(alice, "x" * longest), OK,
                  f"send_message of {longest} characters when {NAME} is "
                  f"{said}")
    expect_refused(send(alice, "x" * (longest + 1)), "send_message",
                   f"of {longest + 1} characters when {NAME} is {said}",
                   contains=str(longest))


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "2001", "1e3"])
def test_a_bad_value_stops_the_app_with_a_reason(solution, bad):
    result = subprocess.run(
        [sys.executable, "-c", "import app"], cwd=solution,
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "SECRET_KEY": "a-config-var", NAME: bad,
             "PYTHONWARNINGS": "ignore"})
    said = result.stderr + result.stdout
    assert result.returncode != 0, (
        f"with {NAME}={bad!r} the app should refuse to start (exit with a "
        "status that is not 0): it started")
    assert NAME in said and bad in said and "Traceback" not in said, (
        f"with {NAME}={bad!r} the app should stop with one line that names "
        f"{NAME} and the bad value, and no traceback: it printed {said!r}")
    assert "2000" in said.replace(",", ""), (
        f"with {NAME}={bad!r} the line should say what the value should be, "
        f"a whole number from 1 to 2000: it printed {said!r}")
    assert len(said.strip().splitlines()) == 1, (
        f"with {NAME}={bad!r} the app should print one line, not "
        f"{len(said.strip().splitlines())}: it printed {said!r}")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)
