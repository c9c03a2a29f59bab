"""Fixtures for the chat tests, which run once for every checkpoint that has the chat."""
import uuid

import pytest

from chat_user import ChatUser
from checkpoints import load_app_module
from expect import LearnerClient, ask, connect, describe
from stack import start_checkpoint

SECRET_KEY = "test-secret-key"


@pytest.fixture
def chat_app(checkpoint, monkeypatch):
    """The checkpoint's app.py, freshly imported: its Flask app, socketio and state."""
    monkeypatch.setenv("SECRET_KEY", SECRET_KEY)
    monkeypatch.syspath_prepend(str(checkpoint))
    try:
        module = load_app_module(checkpoint)
    except Exception as error:
        raise AssertionError(f"importing {checkpoint / 'app.py'} failed with "
                             f"{type(error).__name__}: {error}") from error
    assert hasattr(module, "app"), f"{checkpoint / 'app.py'} should create `app = Flask(__name__)`"
    module.app.config["TESTING"] = True
    module.app.test_client_class = LearnerClient
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
    same cookies, as the page does, then joins the room (unless join=False)."""
    clients = []

    def login(username, room, join=True, **page_id):
        http = chat_app.app.test_client()
        response = http.get("/chat", query_string={"username": username, "room": room})
        assert response.status_code == 200, (
            f"/chat with username {username!r} and room {room!r} should open the chat "
            f"page: it answered {response.status_code} {response.headers.get('Location', '')}")
        sio = connect(chat_app, http)
        assert sio.is_connected(), (
            f"{username}'s Socket.IO connection was refused, although /chat had put the "
            "name and room into the session: on_connect should accept a session with a "
            "usable username and room")
        clients.append(sio)
        if join:
            answer = ask(sio, "join_room", {"username": username, "room": room, **page_id})
            assert isinstance(answer, dict) and answer.get("ok") is True, (
                f"join_room from {username} for room {room!r} should be accepted with "
                f"{{'ok': True, ...}}: it answered {describe(answer)}. Return a dict from "
                "the join_room handler")
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
