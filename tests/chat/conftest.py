"""Fixtures for the chat tests, which run once for every checkpoint that has the chat."""
import uuid

import pytest

from chat_user import ChatUser
from checkpoints import load_app_module
from stack import start_checkpoint

SECRET_KEY = "test-secret-key"


@pytest.fixture
def chat_app(checkpoint, monkeypatch):
    """The checkpoint's app.py, freshly imported: its Flask app, socketio and state."""
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.syspath_prepend(str(checkpoint))
    module = load_app_module(checkpoint)
    module.app.config["TESTING"] = True
    return module


@pytest.fixture
def client(chat_app):
    return chat_app.app.test_client()


@pytest.fixture
def room():
    """A room name no other test uses."""
    return f"room-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def login(chat_app):
    """login(username, room) opens /chat and connects a Socket.IO test client with the
    same cookies, as the page does."""
    clients = []

    def login(username, room, join=True, **page_id):
        http = chat_app.app.test_client()
        response = http.get("/chat", query_string={"username": username, "room": room})
        assert response.status_code == 200, response.headers.get("Location")
        sio = chat_app.socketio.test_client(chat_app.app, flask_test_client=http)
        clients.append(sio)
        if join:
            ack = sio.emit("join_room", {"username": username, "room": room, **page_id},
                           callback=True)
            assert ack["ok"], ack
        return sio

    yield login
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()


@pytest.fixture(scope="module")
def server(checkpoint):
    """The checkpoint's real server, started as its README says."""
    server = start_checkpoint(checkpoint, env={"SECRET_KEY": SECRET_KEY})
    try:
        yield server.wait_until_serving()
    finally:
        server.close()


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
