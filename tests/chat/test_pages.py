"""The HTTP side of the chat: the start page (NO:1) and /chat (NO:2)."""
import re

import pytest


def test_start_page_has_a_form_with_limits(client):
    page = client.get("/").get_data(as_text=True)
    assert 'action="/chat"' in page
    assert re.search(r'name="username" required\s+maxlength="32"', page)
    assert re.search(r'name="room" required\s+maxlength="64"', page)
    assert '<label for="username">' in page and '<label for="room">' in page


def test_valid_form_opens_the_chat_and_remembers_who_you_are(client):
    response = client.get("/chat", query_string={"username": "  alice ", "room": " maths "})
    assert response.status_code == 200
    with client.session_transaction() as session:
        assert session["username"] == "alice"
        assert session["room"] == "maths"
    page = response.get_data(as_text=True)
    assert 'data-username="alice"' in page and 'data-room="maths"' in page


def test_chat_page_serves_the_socketio_client_itself(client):
    page = client.get("/chat", query_string={"username": "a", "room": "r"}).get_data(as_text=True)
    assert 'src="/static/socket.io.min.js"' in page
    assert "://" not in page.split("<main", 1)[1]  # no CDN, no hard-coded server address
    script = client.get("/static/socket.io.min.js").get_data(as_text=True)
    assert script.startswith("/*!\n * Socket.IO v4.8.")  # the licence header is kept


def test_names_reach_the_page_as_escaped_attributes_not_script(client):
    name = "O'Brien & \"Co\" <b>x</b> \\"
    page = client.get("/chat", query_string={"username": name, "room": "r"}).get_data(as_text=True)
    assert 'data-username="O&#39;Brien &amp; &#34;Co&#34; &lt;b&gt;x&lt;/b&gt; \\"' in page
    assert "<b>x</b>" not in page
    assert "<script>" not in page  # values never go into an inline script


@pytest.mark.parametrize(("query", "message"), [
    ({}, "Please enter a username."),
    ({"username": "alice"}, "Please enter a room."),
    ({"username": "   ", "room": "maths"}, "Please enter a username."),
    ({"username": "alice", "room": "\t "}, "Please enter a room."),
    ({"username": "a" * 33, "room": "maths"}, "The username can be at most 32 characters long."),
    ({"username": "alice", "room": "r" * 65}, "The room can be at most 64 characters long."),
    ({"username": "al\x00ice", "room": "maths"}, "The username cannot contain control characters."),
    ({"username": "alice", "room": "ma\x1bths"}, "The room cannot contain control characters."),
])
def test_invalid_form_goes_back_with_a_reason(client, query, message):
    response = client.get("/chat", query_string=query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert message in page
    with client.session_transaction() as session:
        assert "username" not in session


def test_longest_allowed_values_are_accepted(client):
    response = client.get("/chat", query_string={"username": "a" * 32, "room": "r" * 64})
    assert response.status_code == 200


def test_secret_key_comes_from_the_environment(chat_app):
    assert chat_app.app.config["SECRET_KEY"] == "test-secret-key"


def test_debug_mode_is_off_by_default(chat_app):
    assert not chat_app.app.debug
