"""The checks the chat tests share, each failing with a sentence that names the
behaviour that is missing.

A learner runs these tests against a copy that may be a step behind: an answer
may be missing, a handler may crash, a page may lack an element. None of that
may surface as a bare TypeError or KeyError; every check here turns it into
"what should have happened, what happened instead, and where to look".
"""
from html.parser import HTMLParser
from urllib.parse import urlsplit

from flask.testing import FlaskClient

OK = {"ok": True}


# Connections.

def socketio_of(chat_app):
    """The checkpoint's SocketIO object (step 2 on)."""
    assert hasattr(chat_app, "socketio"), (
        "app.py should create `socketio = SocketIO(app)`: the live chat (step 2) "
        "runs on Flask-SocketIO")
    return chat_app.socketio


def connect(chat_app, http=None):
    """A Socket.IO test client with the cookies of the Flask test client `http`, as the
    page's browser has; it may have been refused (check is_connected())."""
    socketio = socketio_of(chat_app)
    try:
        return socketio.test_client(chat_app.app, flask_test_client=http)
    except Exception as error:
        raise AssertionError(
            f"connecting to Socket.IO raised {type(error).__name__}: {error}. The connect "
            "handler should accept a usable session, or refuse the connection with "
            "ConnectionRefusedError") from error


# Answers (Socket.IO acknowledgements).

def describe(answer):
    """An answer as a learner should read it in a failure."""
    if answer is None or answer == []:
        return "nothing (the handler returned None, or there is no handler for it)"
    return repr(answer)


def ask(sio, event, *payload):
    """Emit `event` from Flask-SocketIO's test client; return the server's answer (None
    if it gave none)."""
    if not sio.is_connected():
        raise AssertionError(f"cannot send {event}: the server has closed this connection")
    try:
        answer = sio.emit(event, *payload, callback=True)
    except Exception as error:
        sent = f" with {payload[0]!r}" if payload else " with no payload"
        raise AssertionError(
            f"handling {event}{sent} raised {type(error).__name__}: "
            f"{str(error).rstrip('.')}. A handler should answer instead: "
            "{'ok': True, ...} when it accepts, and {'ok': False, 'error': "
            "'<a reason for the person>'} when it refuses (an error handler, "
            "@socketio.on_error_default, turns a ChatError into that answer)") from error
    return None if answer == [] else answer


def is_refusal(answer):
    return isinstance(answer, dict) and answer.get("ok") is False


def carries(got, expected):
    """Whether `got` is `expected`, where a payload (a dict) may carry more
    fields than expected: the protocol lets a checkpoint add fields (part 4
    adds message ids, an exercise adds the time a message was sent)."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(
            key in got and carries(got[key], value)
            for key, value in expected.items())
    if isinstance(expected, (list, tuple)):
        return (isinstance(got, (list, tuple)) and len(got) == len(expected)
                and all(map(carries, got, expected)))
    return got == expected


def expect_answer(answer, expected, event, hint=""):
    """`answer` is `expected` (added fields allowed)."""
    assert carries(answer, expected), (
        f"{event} should answer {expected!r}: it answered {describe(answer)}.{_hint(hint)}")


def expect_accepted(answer, event, hint=""):
    """`answer` says yes ({"ok": True, ...}), whatever else it carries."""
    assert isinstance(answer, dict) and answer.get("ok") is True, (
        f"{event} should be accepted with an answer {{'ok': True, ...}}: it answered "
        f"{describe(answer)}.{_hint(hint)}")


def expect_refused(answer, event, why, error=None, starts_with=None, contains=None,
                   fix=None):
    """`answer` is a refusal {"ok": False, "error": reason}; `why` says what was wrong
    with the request, `error` (exact), `starts_with` or `contains` what the reason says,
    `fix` what to change when the usual advice (refuse it in the handler) is not it."""
    if error is not None:
        wanted = {"ok": False, "error": error}
    else:
        said = (f"starting {starts_with!r}" if starts_with is not None
                else f"containing {contains!r}" if contains is not None else "for the person")
        wanted = f"{{'ok': False, 'error': <a reason {said}>}}"
    fix = fix or (f"Refuse it in app.py's {event} handler (raise ChatError) and let the "
                  "error handler answer with the reason")
    message = (f"{event} {why} should be refused with {wanted}: it answered "
               f"{describe(answer)}. {fix}")
    assert is_refusal(answer) and isinstance(answer.get("error"), str), message
    if error is not None:
        assert answer == wanted, message
    if starts_with is not None:
        assert answer["error"].startswith(starts_with), message
    if contains is not None:
        assert contains in answer["error"], message


def _hint(hint):
    return f" {hint}" if hint else ""


# Events a test client received.

def received(sio, event=None, who="this client"):
    """The events a test client got since the last call, as [(name, payload), ...],
    only those named `event` if given."""
    if not sio.is_connected():
        raise AssertionError(f"{who} was disconnected by the server")
    events = [(e["name"], e["args"][0] if e["args"] else None) for e in sio.get_received()]
    return [item for item in events if event is None or item[0] == event]


def expect_events(got, expected, because):
    """`got` (from received()) is `expected`, the same events in the same order
    (added fields allowed); `because` says what should have happened, in words."""
    assert carries(got, expected), f"{because}: expected {expected}, got {got or 'nothing'}"


# Pages.

class LearnerClient(FlaskClient):
    """Flask's test client, but a page that crashes (a missing template, say) fails
    with the route and the error instead of a traceback from deep inside Flask."""

    def open(self, *args, **kwargs):
        try:
            return super().open(*args, **kwargs)
        except Exception as error:
            path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
            raise AssertionError(f"opening {path or 'the page'} crashed with "
                                 f"{type(error).__name__}: {error}") from error


def page_of(response, what):
    """The HTML of a page that must open (status 200)."""
    location = response.headers.get("Location")
    assert response.status_code == 200, (
        f"{what} should open with status 200: it answered {response.status_code}"
        + (f", a redirect to {location}" if location else ""))
    return response.get_data(as_text=True)


class Element:
    def __init__(self, tag, attrs):
        self.tag = tag
        self.attrs = attrs

    def __repr__(self):
        attrs = "".join(f' {k}="{v}"' if v is not None else f" {k}"
                        for k, v in self.attrs.items())
        return f"<{self.tag}{attrs}>"


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found.append(Element(tag, dict(attrs)))

    handle_startendtag = handle_starttag


def elements(page, tag):
    """Every <tag> of `page`, with its attributes unescaped."""
    parser = _Elements()
    parser.feed(page)
    return [element for element in parser.found if element.tag == tag]


def find_element(page, tag, description, **attrs):
    """The one <tag> whose attributes include `attrs` (use a trailing _ for `for_`)."""
    wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
    matches = [element for element in elements(page, tag)
               if all(element.attrs.get(k) == v for k, v in wanted.items())]
    tags = elements(page, tag)
    assert matches, (f"the page should have {description}: found no <{tag}> with "
                     f"{wanted}; its <{tag}> elements are {tags or 'none'}")
    return matches[0]


def expect_in_page(page, text, description):
    assert text in page, f"the page should have {description}: {text!r} is not in it"


def expect_not_in_page(page, text, description):
    assert text not in page, f"{description}: {text!r} is in the page"


def expect_sent_back(client, query, message, fix=None):
    """/chat refuses the form: back to / with `message` flashed, nobody signed in;
    `fix` says what to change when it does not."""
    response = client.get("/chat", query_string=query)
    location = response.headers.get("Location", "")
    # From step 5 the address carries the room back to the form: /?room=maths.
    assert (response.status_code, urlsplit(location).path) == (302, "/"), (
        f"/chat with {query} should redirect back to / (302): it answered "
        f"{response.status_code} {location}")
    page = page_of(client.get("/"), "the start page after a refusal")
    where = "the reason, flashed by /chat" + (f": {fix}" if fix else "")
    expect_in_page(page, message, where)
    with client.session_transaction() as session:
        assert "username" not in session, (
            f"a refused form must not sign anybody in: the session holds {dict(session)}")


def log_in(chat_app, clients, username, room, join=True, browser=None, **page_id):
    """Open /chat as `username` in `room`, connect a Socket.IO test client
    with the same cookies, as the page does, and join the room (unless
    join=False). The client is added to `clients`, for closing later.
    `browser` (a Flask test client) is the browser whose cookies to use: the
    same person's second tab; by default a new browser, a new person."""
    http = chat_app.app.test_client() if browser is None else browser
    response = http.get("/chat",
                        query_string={"username": username, "room": room})
    assert response.status_code == 200, (
        f"/chat with username {username!r} and room {room!r} should open the "
        f"chat page: it answered {response.status_code} "
        f"{response.headers.get('Location', '')}")
    sio = connect(chat_app, http)
    assert sio.is_connected(), (
        f"{username}'s Socket.IO connection was refused, although /chat had "
        "put the name and room into the session: on_connect should accept a "
        "session with a usable username and room")
    clients.append(sio)
    if join:
        answer = ask(sio, "join_room",
                     {"username": username, "room": room, **page_id})
        assert isinstance(answer, dict) and answer.get("ok") is True, (
            f"join_room from {username} for room {room!r} should be accepted "
            f"with {{'ok': True, ...}}: it answered {describe(answer)}. "
            "Return a dict from the join_room handler")
    return sio


def disconnect_all(clients):
    for sio in clients:
        if sio.is_connected():
            sio.disconnect()
