"""Fixtures for the chat tests, which run once for every checkpoint that has the chat."""
import functools

import pytest

from harness.chat_user import ChatUser
from harness.apps import import_app
from expect import LearnerClient, disconnect_all, log_in

SECRET_KEY = "test-secret-key"


@pytest.fixture
def chat_app(checkpoint, monkeypatch, request):
    """The checkpoint's app.py, freshly imported: its Flask app, socketio and state
    (with the environment variables of the test's app_env mark, if it has one)."""
    marker = request.node.get_closest_marker("app_env")
    for name, value in {"SECRET_KEY": SECRET_KEY,
                        **(marker.kwargs if marker else {})}.items():
        monkeypatch.setenv(name, value)
    return import_app(checkpoint, LearnerClient)


@pytest.fixture
def client(chat_app):
    return chat_app.app.test_client()


@pytest.fixture
def login(chat_app):
    """login(username, room) opens /chat and connects a Socket.IO test client
    with the same cookies, as the page does, then joins the room (unless
    join=False)."""
    clients = []
    yield functools.partial(log_in, chat_app, clients)
    disconnect_all(clients)


@pytest.fixture(scope="module")
def server(checkpoint, shared_servers):
    """The checkpoint's real server, started as its README says, shared with the other
    modules' tests (each uses rooms of its own)."""
    with shared_servers.use(checkpoint) as server:
        yield server


@pytest.fixture
def chat_user(server):
    """chat_user(username, room) is a real Socket.IO client of the real server."""
    users = []

    def chat_user(username, room, transport="websocket"):
        user = ChatUser(server.url, username, room, transport)
        users.append(user)
        return user

    yield chat_user
    for user in users:
        user.close()
