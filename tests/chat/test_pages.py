"""The HTTP side of the chat: the start page (NO:1) and /chat (NO:2), then (step 2) what
the chat page hands to its script."""
import re

import pytest
from werkzeug.test import EnvironBuilder

from harness.apps import load_app_module
from harness.stack import PLATFORM_ENV
from expect import (elements, expect_in_page, expect_not_in_page, expect_sent_back,
                    find_element, page_of)

# Also on the exercises' solutions: an exercise keeps its base's pages.
pytestmark = pytest.mark.solutions

TRICKY_NAME = "O'Brien & \"Co\" <b>x</b> \\"
# The same, as Jinja escapes it for HTML.
ESCAPED_NAME = "O&#39;Brien &amp; &#34;Co&#34; &lt;b&gt;x&lt;/b&gt; \\"


def open_chat(client, username, room):
    return page_of(client.get("/chat", query_string={"username": username, "room": room}),
                   f"/chat with a valid name ({username!r}) and room ({room!r})")


@pytest.mark.step(1)
def test_start_page_has_a_form_with_limits(client):
    page = page_of(client.get("/"), "the start page /")
    find_element(page, "form", "a form that sends the name and room to /chat",
                 action="/chat")
    username = find_element(page, "input", "a name field", name="username")
    room = find_element(page, "input", "a room field", name="room")
    for field, limit in ((username, "32"), (room, "64")):
        assert "required" in field.attrs and field.attrs.get("maxlength") == limit, (
            f"the {field.attrs['name']} field should be required and stop at the server's "
            f'limit: required maxlength="{limit}"; it is {field}')
    find_element(page, "label", "a label for the name field", for_="username")
    find_element(page, "label", "a label for the room field", for_="room")


@pytest.mark.step(1)
def test_valid_form_opens_the_chat_and_remembers_who_you_are(client):
    page = open_chat(client, "  alice ", " maths ")
    with client.session_transaction() as session:
        remembered = {key: session.get(key) for key in ("username", "room")}
    assert remembered == {"username": "alice", "room": "maths"}, (
        "/chat should put the trimmed name and room into the session (session['username'], "
        f"session['room']): the session holds {remembered}")
    expect_in_page(page, "<h1>Room: <span>maths</span></h1>", "the room as its heading")
    expect_in_page(page, "You are <strong>alice</strong>", "who you are, in <strong>")


@pytest.mark.step(1)
def test_names_are_shown_as_text_never_as_html(client):
    page = open_chat(client, TRICKY_NAME, "<i>r</i>")
    expect_in_page(page, f"<strong>{ESCAPED_NAME}</strong>",
                   "the name escaped for HTML (let Jinja's {{ username }} do it)")
    expect_in_page(page, "<span>&lt;i&gt;r&lt;/i&gt;</span>", "the room escaped for HTML")
    expect_not_in_page(page, "<b>x</b>", "a name must never become markup")
    expect_not_in_page(page, "<script>", "values never go into an inline script")


@pytest.mark.parametrize(("query", "message"), [
    ({}, "Please enter a username."),
    ({"username": "alice"}, "Please enter a room."),
    ({"username": "   ", "room": "maths"}, "Please enter a username."),
    ({"username": "alice", "room": "\t "}, "Please enter a room."),
    ({"username": "a" * 33, "room": "maths"}, "The username can be at most 32 characters long."),
    ({"username": "alice", "room": "r" * 65}, "The room can be at most 64 characters long."),
    ({"username": "al\x00ice", "room": "maths"},
     "The username cannot contain control characters."),
    ({"username": "alice", "room": "ma\x1bths"}, "The room cannot contain control characters."),
])
@pytest.mark.step(1)
def test_invalid_form_goes_back_with_a_reason(client, query, message):
    expect_sent_back(client, query, message)


# Format characters (Unicode category Cf) are invisible: U+202E turns the text after it
# around, U+200B is a space of no width. In a name they make lookalikes of other names.
@pytest.mark.parametrize(("query", "message"), [
    ({"username": "\u202eecila", "room": "maths"},
     "The username cannot contain invisible formatting characters."),
    ({"username": "ali\u200bce", "room": "maths"},
     "The username cannot contain invisible formatting characters."),
    ({"username": "alice", "room": "ma\u202eths"},
     "The room cannot contain invisible formatting characters."),
    ({"username": "alice", "room": "\u200bmaths"},
     "The room cannot contain invisible formatting characters."),
], ids=["U+202E in the name", "U+200B in the name", "U+202E in the room",
        "U+200B in the room"])
@pytest.mark.step(4)
def test_format_characters_in_a_name_or_room_go_back_with_a_reason(client, query, message):
    expect_sent_back(client, query, message)


@pytest.mark.step(1)
def test_longest_allowed_values_are_accepted(client):
    open_chat(client, "a" * 32, "r" * 64)


@pytest.mark.step(1)
def test_secret_key_comes_from_the_environment(chat_app):
    assert chat_app.app.config.get("SECRET_KEY") == "test-secret-key", (
        "app.config['SECRET_KEY'] should come from the SECRET_KEY environment variable")


@pytest.mark.step(1)
def test_debug_mode_is_off_by_default(chat_app):
    assert not chat_app.app.debug, "debug mode should be off unless FLASK_DEBUG=1"


@pytest.mark.step(2)
def test_chat_page_hands_the_name_and_room_to_its_script(client):
    page = open_chat(client, "alice", "maths")
    find_element(page, "main", 'data-username and data-room on <main id="chat">',
                 id="chat", data_username="alice", data_room="maths")


@pytest.mark.step(2)
def test_chat_page_serves_the_socketio_client_itself(client):
    page = open_chat(client, "a", "r")
    scripts = [script.attrs.get("src") for script in elements(page, "script")]
    assert "/static/socket.io.min.js" in scripts, (
        "the chat page should load the Socket.IO client from this app, "
        f'<script src="/static/socket.io.min.js">: its scripts are {scripts}')
    expect_not_in_page(page.split("<main", 1)[-1], "://",
                       "no CDN and no hard-coded server address (io() with no URL)")
    response = client.get("/static/socket.io.min.js")
    script = response.get_data(as_text=True)
    assert response.status_code == 200 and script.startswith("/*!\n * Socket.IO v4.8."), (
        "static/socket.io.min.js should be Socket.IO's client 4.8, its licence header kept: "
        f"/static/socket.io.min.js answered {response.status_code}, {script[:40]!r}")


@pytest.mark.step(2)
def test_names_reach_the_page_as_escaped_attributes_not_script(client):
    page = open_chat(client, TRICKY_NAME, "r")
    expect_in_page(page, f'data-username="{ESCAPED_NAME}"',
                   "the name in data-username, escaped for HTML")
    expect_not_in_page(page, "<b>x</b>", "a name must never become markup")
    expect_not_in_page(page, "<script>", "values never go into an inline script")


# The .chat rule of static/style.css, and each height it sets, in order.
CHAT_RULE = re.compile(r"^\.chat \{(?P<body>[^}]*)\}", re.M)
HEIGHT = re.compile(r"(?<![-\w])height:\s*([^;]+);")


@pytest.mark.step(2)
def test_the_chat_page_is_as_tall_as_the_part_of_a_phone_screen_you_see(client):
    """100vh is the height with a phone's toolbars hidden: with them shown, the message
    box would sit under them. 100dvh follows the toolbars; 100vh before it is for browsers
    that do not know dvh, which skip the line they cannot read."""
    css = client.get("/static/style.css").get_data(as_text=True)
    rule = CHAT_RULE.search(css)
    assert rule, "static/style.css should have a rule for the chat page, .chat { ... }"
    heights = [value.strip() for value in HEIGHT.findall(rule["body"])]
    assert heights == ["100vh", "100dvh"], (
        "the chat page (.chat in static/style.css) should be as tall as what a phone shows, "
        "height: 100dvh, after height: 100vh for older browsers: its heights are "
        f"{heights or 'none'}")

@pytest.mark.step(3)
def test_the_start_page_says_what_a_room_is(client):
    page = page_of(client.get("/"), "the start page /")
    room = find_element(page, "input", "a room field", name="room")
    hint_id = room.attrs.get("aria-describedby")
    assert hint_id, (
        "the room field should point to a line that says what a room is, "
        f'aria-describedby="<its id>", so a screen reader reads it with the field: {room}')
    hint = re.search(rf'<(\w+)[^>]*\bid="{re.escape(hint_id)}"[^>]*>(.*?)</\1>', page,
                     re.S)
    assert hint, f'the start page should have the element id="{hint_id}" the room field names'
    text = " ".join(hint[2].split())
    assert "same room" in text and "messages" in text, (
        "the line about rooms should say that people in the same room see each other's "
        f"messages: it says {text!r}")


@pytest.mark.step(3)
def test_the_message_box_says_what_it_is_for(client):
    page = open_chat(client, "alice", "maths")
    box = find_element(page, "input", "the message box", id="message_input")
    assert (box.attrs.get("placeholder") or "").strip(), (
        'the message box should say what to type in it, placeholder="Type a message": '
        f"it is {box}")

# Quotes, an ampersand and a tag: a room as typed, which the form must get back exactly.
TRICKY_ROOM = 'maths & "physics" <b>'


def start_page_fields(client, query):
    """{name: value} of the start page's fields after /chat refused `query`."""
    response = client.get("/chat", query_string=query, follow_redirects=True)
    page = page_of(response, f"the start page after /chat refused {query}")
    return {field.attrs.get("name"): field.attrs.get("value") or ""
            for field in elements(page, "input")}


@pytest.mark.parametrize(("query", "refused"), [
    ({"username": "ali\u200bce", "room": TRICKY_ROOM}, "a name with an invisible character"),
    ({"username": "   ", "room": TRICKY_ROOM}, "a blank name"),
    ({"username": "a" * 33, "room": TRICKY_ROOM}, "a name that is too long"),
], ids=["invisible character", "blank", "too long"])
@pytest.mark.step(5)
def test_a_refused_name_comes_back_with_the_room_still_filled_in(client, query, refused):
    fields = start_page_fields(client, query)
    assert fields.get("room") == TRICKY_ROOM, (
        f"after /chat refused {refused}, the room field should still hold the room as "
        f"typed, {TRICKY_ROOM!r}: redirect to url_for('home', room=...) and give the field "
        f"value=\"{{{{ request.args.room }}}}\". The fields are {fields}")
    assert fields.get("username") == "", (
        f"the name was refused ({refused}): its field should be empty, to type another; "
        f"the fields are {fields}")


@pytest.mark.socketio_test_client
@pytest.mark.step(5)
def test_a_name_in_use_comes_back_with_the_room_still_filled_in(login, client, room):
    login("alice", room)
    fields = start_page_fields(client, {"username": "alice", "room": room})
    assert (fields.get("username"), fields.get("room")) == ("", room), (
        f"when the name is taken, the start page should come back with the room filled in "
        f"({room!r}) and the name empty, to choose another: the fields are {fields}")


@pytest.mark.step(5)
def test_a_link_can_fill_in_the_room(client):
    """/?room=maths, as the projector page's QR code gives it (make class)."""
    page = page_of(client.get("/", query_string={"room": TRICKY_ROOM}), "/?room=...")
    expect_in_page(page, 'value="maths &amp; &#34;physics&#34; &lt;b&gt;"',
                   "the room from the address in the room field, escaped for HTML")
    expect_not_in_page(page, "<b>", "a room from the address must never become markup")

# Part 3 on: whose word the app takes for the browser's address and scheme.
FORWARDED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
PEER = "192.0.2.1"  # the address the connection really comes from


def seen_by_the_server(app):
    """The client's address and scheme in a request's WSGI environ after the app has
    handled it: what gunicorn's access log prints, as Flask's request saw them."""
    environ = EnvironBuilder("/", headers=FORWARDED,
                             environ_base={"REMOTE_ADDR": PEER}).get_environ()
    body = app(environ, lambda status, headers, exc_info=None: None)
    getattr(body, "close", lambda: None)()
    return environ["REMOTE_ADDR"], environ["wsgi.url_scheme"]


@pytest.mark.parametrize(("dyno", "seen", "why"), [
    (None, (PEER, "http"), "off the platform nobody but the client itself sets "
     "X-Forwarded-For and X-Forwarded-Proto, so they must change nothing (apply ProxyFix "
     "only when DYNO is set)"),
    ("web.1", ("203.0.113.9", "https"), "on the platform (DYNO set) the router says in "
     "X-Forwarded-For and X-Forwarded-Proto where the browser came from, and ProxyFix "
     "should pass that on"),
], ids=["off-the-platform", "on-the-platform"])
@pytest.mark.step(1, part=3)
def test_only_the_platform_s_router_is_believed_about_the_browser(checkpoint, monkeypatch,
                                                                 dyno, seen, why):
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    if dyno:
        monkeypatch.setenv("DYNO", dyno)
        monkeypatch.setenv("TRUSTED_HOSTS", PLATFORM_ENV["TRUSTED_HOSTS"])
    else:
        monkeypatch.delenv("DYNO", raising=False)
    got = seen_by_the_server(load_app_module(checkpoint).app)
    assert got == seen, (
        f"{why}: with {FORWARDED} from {PEER} the app saw {got}, not {seen}")


# Step 7: characters that show as nothing or as a blank are not in a name: Unicode's
# default-ignorable code points (which are not all format characters) and blank Braille.
SHOWS_AS_NOTHING = "The username cannot contain characters that show as nothing or as a blank."


@pytest.mark.parametrize("username", ["ali\u034fce", "alice\ufe0f", "alice\u3164",
                                      "alice\u2800"],
                         ids=["combining grapheme joiner", "variation selector",
                              "Hangul filler", "blank Braille"])
@pytest.mark.step(7)
def test_a_name_with_characters_that_show_as_nothing_goes_back(client, username):
    expect_sent_back(client, {"username": username, "room": "maths"}, SHOWS_AS_NOTHING,
                     fix="clean_name() should refuse SHOWS_AS_NOTHING.search(value)")
