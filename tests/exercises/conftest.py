"""Fixtures for the exercises' tests. tests/exercises/test_<name>.py checks one
exercise of docs/lessons.yml and says which one: `EXERCISE = "typing"`.

Its tests run against the exercise's solution folder (exercises/part2_typing/),
or, with --checkpoint, against a learner's answer:

    .venv/bin/python -m pytest tests/exercises/test_typing.py --checkpoint ~/my-chat

The fixtures are those of the chat tests (tests/chat/conftest.py) under other
names: `checkpoint` would make tests/conftest.py run them on every checkpoint.
"""
import functools
import os
import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from chat.expect import describe, disconnect_all, log_in
from harness.chat_user import ChatUser
from harness.plugin import target
from tutorial.chain import REPO, exercises_by_id
from exercise_checks import PAGE_WAIT, import_app
from harness.stack import CHAT_ENV

EXERCISES = exercises_by_id()

# How long a check waits for a page to show what it should: Playwright's
# 5 s, or what the environment variable PAGE_WAIT says. The mutants' checks
# (test_mutants.py) are meant to fail, and a failing wait is most of their
# time: they wait less.
if os.environ.get(PAGE_WAIT):
    expect.set_options(timeout=float(os.environ[PAGE_WAIT]) * 1000)

# The shared servers' environment: a known SECRET_KEY, and the rate limit at
# its defaults, whatever the shell says (the benchmark raises it).
SERVER_ENV = CHAT_ENV


@pytest.fixture(scope="module")
def solution(request):
    """The folder under test: the learner's (--checkpoint), else the
    exercise's solution."""
    return (target(request.config).copy
            or REPO / EXERCISES[request.module.EXERCISE].folder)


@pytest.fixture
def app_module(solution, monkeypatch):
    """The solution's app.py, freshly imported: its app, socketio and
    state."""
    for name, value in SERVER_ENV.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    monkeypatch.syspath_prepend(str(solution))
    return import_app(solution)


@pytest.fixture
def client(app_module):
    return app_module.app.test_client()


@pytest.fixture
def login(app_module):
    """login(username, room) opens /chat and connects a Socket.IO test
    client with its cookies, then joins the room (unless join=False)."""
    clients = []
    yield functools.partial(log_in, app_module, clients)
    disconnect_all(clients)


@pytest.fixture(scope="module")
def server(solution, shared_servers):
    """The solution's real server, started as its step's page says, and
    shared as the chat tests share theirs (harness.stack.SharedServers)."""
    with shared_servers.use(solution) as server:
        yield server


@pytest.fixture
def chat_user(request, solution):
    """chat_user(username, room) is a real Socket.IO client of the real
    server (or of the server at `url`), joined to the room (unless
    join=False). (It names `solution`: a test of the solution's server runs
    on a learner's copy too.)"""
    users = []

    def chat_user(username, room, join=True, url=None):
        # The shared server starts only for a test that uses it.
        url = url or request.getfixturevalue("server").url
        user = ChatUser(url, username, room)
        users.append(user)
        if join:
            answer = user.join()
            assert isinstance(answer, dict) and answer.get("ok") is True, (
                f"join_room from {username} should be accepted: it "
                f"answered {describe(answer)}")
        return user

    yield chat_user
    for user in users:
        user.close()


@pytest.fixture
def chat_page(browser, server):
    """chat_page(username, room, **context options) opens the chat page in
    a browser context of its own (its own cookies, time zone, locale) that
    can reach nothing but the server."""
    contexts = []

    def chat_page(username, room, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(5000)
        elsewhere = re.compile(
            rf"^(?![a-z]+://{re.escape(urlsplit(server.url).netloc)}/)")
        context.route(elsewhere, lambda route: route.abort())
        page = context.new_page()
        page.goto(f"{server.url}/chat?username={username}&room={room}")
        return page

    yield chat_page
    for context in contexts:
        context.close()
