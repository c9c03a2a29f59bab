"""Part 2: a room chat with Flask and Flask-SocketIO.

The NO:1 ... NO:11 comments follow one visit from the start page to a
message that everybody in the room sees; the browser's steps are in
templates/ and static/chat.js.
"""
import collections
import errno
import functools
import logging
import os
import secrets
import socket
import sys
import time
import unicodedata
from dataclasses import dataclass

import regex
from confusable_homoglyphs import confusables
from flask import (Flask, flash, redirect, render_template, request,
                   session, url_for)
from flask_socketio import (ConnectionRefusedError, SocketIO, disconnect,
                            emit, join_room, leave_room)

MAX_USERNAME_LENGTH = 32
MAX_ROOM_LENGTH = 64
MAX_MESSAGE_LENGTH = 1000

# The biggest packet we accept. A 1,000-character message is at most about
# 6 KB once JSON-escaped, so anything much larger is refused unread.
MAX_PACKET_BYTES = 16 * 1024
# Each person (a browser: all of its tabs, and across reconnections) may
# send MESSAGE_BURST messages at once, then MESSAGES_PER_SECOND. The
# benchmark (bench/) raises both through the environment; a classroom
# needs no change. A person may have MAX_PAGES_PER_PERSON chat pages open.
MESSAGES_PER_SECOND = float(os.environ.get("CHAT_MESSAGES_PER_SECOND", "5"))
MESSAGE_BURST = int(os.environ.get("CHAT_MESSAGE_BURST", "10"))
MAX_PAGES_PER_PERSON = 8
# Packets that may wait for one connection (1,000 long messages: 6 MB).
MAX_UNREAD_PACKETS = 1000

# Characters a name may not hold because they show as nothing or as a
# blank: Unicode's default-ignorable ones (variation selectors, the
# Hangul filler, the combining grapheme joiner) and the blank Braille
# pattern. "alice\u3164" would otherwise pass for "alice".
SHOWS_AS_NOTHING = regex.compile(
    r"[\p{Default_Ignorable_Code_Point}\u2800]")

logging.basicConfig(level=logging.INFO,
                    format="%(asctime)s %(levelname)s %(message)s")
log = logging.getLogger("chat")


def secret_key_from_environment():
    """The key that signs session cookies: SECRET_KEY, or random."""
    key = os.environ.get("SECRET_KEY")
    if not key:
        log.warning("SECRET_KEY is not set: using a random key, so "
                    "everybody has to sign in again after a restart.")
        key = secrets.token_hex(32)
    return key


app = Flask(__name__)
app.config["SECRET_KEY"] = secret_key_from_environment()
# No cors_allowed_origins: Socket.IO then only accepts pages served by
# this server.
socketio = SocketIO(app, max_http_buffer_size=MAX_PACKET_BYTES)


class ChatError(Exception):
    """A request we refuse, with a reason written for its sender."""


class RateLimiter:
    """A token bucket: `burst` messages at once, then `rate` a second."""

    def __init__(self, rate, burst):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.updated = time.monotonic()

    def allow(self):
        now = time.monotonic()
        refill = (now - self.updated) * self.rate
        self.tokens = min(self.burst, self.tokens + refill)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def is_full(self):
        """Refilled to the brim: forgetting it changes nothing."""
        refill = (time.monotonic() - self.updated) * self.rate
        return self.tokens + refill >= self.burst


# One bucket per person (the session's person_id), not per connection:
# more tabs, or a new connection, bring no new burst.
limiters = {}


def limiter_of(person_id):
    """The person's bucket. Buckets that have refilled are dropped when a
    new one is made, so this holds only the people who sent lately."""
    if person_id not in limiters:
        for person, limiter in list(limiters.items()):
            if limiter.is_full():
                del limiters[person]
        limiters[person_id] = RateLimiter(MESSAGES_PER_SECOND, MESSAGE_BURST)
    return limiters[person_id]


@dataclass
class Member:
    """Somebody who joined a room, over one Socket.IO connection."""

    username: str
    room: str
    person_id: str  # whose browser: its tabs share one name (see /chat)
    page_id: str


# Who is in which room, by Socket.IO connection id (request.sid). The
# server is the source of truth: events are checked against this, never
# against what a client claims.
members = {}
# How many connections each person (person_id) has open.
open_pages = collections.Counter()


def clean_text(value, name, max_length):
    """Trim `value` and check it is usable text, or raise ChatError."""
    if not isinstance(value, str):
        raise ChatError(f"The {name} must be text.")
    value = value.strip()
    if not value:
        raise ChatError(f"Please enter a {name}.")
    if len(value) > max_length:
        raise ChatError(
            f"The {name} can be at most {max_length} characters long.")
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ChatError(f"The {name} cannot contain control characters.")
    return value


def clean_name(value, name, max_length):
    """clean_text, and no format characters (Unicode's Cf): they are
    invisible, so "ali\u200bce" would pass for "alice". Messages keep
    them: emoji such as "woman technologist" are joined with U+200D."""
    value = clean_text(value, name, max_length)
    if any(unicodedata.category(char) == "Cf" for char in value):
        raise ChatError(
            f"The {name} cannot contain invisible formatting characters.")
    if SHOWS_AS_NOTHING.search(value):
        raise ChatError(f"The {name} cannot contain characters that show "
                        "as nothing or as a blank.")
    return value


@functools.lru_cache(maxsize=4096)
def plain_letter(char):
    """Of `char` and the letters Unicode lists as looking like it
    (confusables.txt), the one that comes first: a Cyrillic "а" and a
    Latin "a" both become "a"."""
    found = confusables.is_confusable(char, greedy=True)
    if not found:
        return char
    return min([char] + [glyph["c"] for glyph in found[0]["homoglyphs"]])


def name_key(name):
    """A name as people read it: NFKC makes lookalike forms plain (the
    fullwidth ones, ligatures), casefold() ignores case, and letters of
    other scripts that look the same become one."""
    name = unicodedata.normalize("NFKC", name).casefold()
    return "".join(plain_letter(char) for char in name)


def check_name_free(username, room, person_id):
    """Refuse a name that another person in the room uses, so nobody can
    speak as somebody else. The same person (the same session: a second
    tab, a reconnection) may. The name is free when its last page leaves."""
    key = name_key(username)
    for member in members.values():
        if (member.room == room and name_key(member.username) == key
                and member.person_id != person_id):
            raise ChatError(f"Somebody called {member.username} is in room "
                            f"{room} already. Please choose another name.")


def read_fields(data, *names):
    """The text fields `names` of an event's payload, or ChatError."""
    if not isinstance(data, dict):
        raise ChatError(f"Send an object with the keys {', '.join(names)}.")
    missing = [name for name in names if name not in data]
    if missing:
        raise ChatError(f"The payload is missing {', '.join(missing)}.")
    for name in names:
        if not isinstance(data[name], str):
            raise ChatError(f"The {name} must be text.")
    return [data[name] for name in names]


def check_identity(claimed_username, claimed_room, username, room):
    """Refuse a payload that claims another name or room."""
    if claimed_username != username:
        raise ChatError(f"You are chatting as {username}; "
                        "you cannot speak for someone else.")
    if claimed_room != room:
        raise ChatError(f"You are in room {room}; go back to the "
                        "start page to change rooms.")


def members_of(room):
    return sorted(member.username for member in members.values()
                  if member.room == room)


@app.context_processor
def limits():
    """Let the templates show the limits the server enforces."""
    return {"max_username_length": MAX_USERNAME_LENGTH,
            "max_room_length": MAX_ROOM_LENGTH,
            "max_message_length": MAX_MESSAGE_LENGTH}


# The session cookie is never readable by JavaScript (HttpOnly), and is
# not sent along when another site posts to this one (SameSite).
app.config.update(SESSION_COOKIE_HTTPONLY=True,
                  SESSION_COOKIE_SAMESITE="Lax")

# What our pages may load and do: only files from this server, so no
# inline script or style (an injected one never runs); Socket.IO to this
# server only ('self' covers its ws:// too); no plugins, no <base> tag,
# forms sent to this server only, and no other site may frame a page.
CONTENT_SECURITY_POLICY = ("default-src 'self'; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; "
                           "form-action 'self'; frame-ancestors 'none'")


@app.after_request
def add_security_headers(response):
    """Every page and file of this app says what the browser must refuse."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # frame-ancestors, for browsers too old to know it: no clickjacking.
    headers["X-Frame-Options"] = "DENY"
    # A file is what its Content-Type says: never "sniffed" as a script.
    headers["X-Content-Type-Options"] = "nosniff"
    # The chat page's address holds the name and the room: other sites
    # never see it in the Referer header.
    headers["Referrer-Policy"] = "same-origin"
    return response


# NO:1
# The start page: a form that asks for a username and a room.
@app.route("/")
def home():
    return render_template("index.html")


# NO:2
# The form arrives here. Valid values go into the signed session cookie:
# from now on the server reads the name and the room from there, so a
# client cannot pick another name later.
@app.route("/chat")
def chat():
    try:
        username = clean_name(request.args.get("username", ""),
                              "username", MAX_USERNAME_LENGTH)
        room = clean_name(request.args.get("room", ""),
                          "room", MAX_ROOM_LENGTH)
        check_name_free(username, room, session.get("person_id"))
    except ChatError as error:
        flash(str(error))
        # Back to the form, the room filled in: type only another name.
        return redirect(url_for("home", room=request.args.get("room")))
    session["username"] = username
    session["room"] = room
    # A random id for this browser, made once: its tabs are one person.
    session.setdefault("person_id", secrets.token_urlsafe(16))
    # page_id tells this page's reconnections apart from another tab of
    # the same person.
    return render_template("chat.html", username=username, room=room,
                           page_id=secrets.token_urlsafe(16))


@socketio.on("connect")
def on_connect(auth=None):
    # Only pages opened through /chat get in: a connection without a
    # usable name and room in its session is turned away at the door.
    try:
        clean_text(session.get("username"), "username", MAX_USERNAME_LENGTH)
        clean_text(session.get("room"), "room", MAX_ROOM_LENGTH)
        # And the person_id that /chat adds (an older session has none).
        clean_text(session.get("person_id"), "person id", 64)
    except ChatError:
        raise ConnectionRefusedError(
            "Choose a username and a room on the start page first.") from None
    # Each tab is a connection: a cap per person keeps one browser from
    # holding a hundred of them.
    if open_pages[session["person_id"]] >= MAX_PAGES_PER_PERSON:
        raise ConnectionRefusedError(
            f"You have {MAX_PAGES_PER_PERSON} chat pages open already: "
            "close one, then reload this page.")
    open_pages[session["person_id"]] += 1


# NO:4
# The page asks to join its room. The name and room come from the
# session; the payload only has to agree with them.
@socketio.on("join_room")
def on_join_room(data=None, *_):
    username, room = session["username"], session["room"]
    check_identity(*read_fields(data, "username", "room"), username, room)
    page_id = data.get("page_id")  # checked too, before anything changes
    if page_id is not None:  # (a page of an older version sends none)
        page_id = clean_text(page_id, "page id", 64)
    if request.sid not in members:  # joining twice changes nothing
        # Taken since the form was sent? (Or the page skipped it.)
        check_name_free(username, room, session["person_id"])
        add_member(username, room, page_id)
    return {"ok": True, "members": members_of(room)}


def add_member(username, room, page_id):
    """Put this connection into `room` and announce it, unless it
    replaces a dead connection of the same page."""
    join_room(room)
    ghost = find_ghost(page_id, username, room)
    if ghost:
        # This page reconnected before the server noticed its old
        # connection had died: take over quietly, so the room sees no
        # leave and no second join.
        members[request.sid] = members.pop(ghost)
        disconnect(ghost)
        return
    members[request.sid] = Member(username, room, session["person_id"],
                                  page_id)
    log.info("%s joined room %s", username, room)
    # Everybody else in the room hears about the newcomer (NO:5).
    emit("join_room_announcement", {"username": username, "room": room},
         to=room, include_self=False)


def find_ghost(page_id, username, room):
    """The id of an older connection from the same page, if any."""
    if not isinstance(page_id, str) or not page_id:
        return None
    for sid, member in members.items():
        if (member.page_id, member.username, member.room) == (
                page_id, username, room):
            return sid
    return None


# NO:7
# A message arrives. It goes to the sender's own room and nowhere else.
@socketio.on("send_message")
def on_send_message(data=None, *_):
    member = members.get(request.sid)
    if member is None:
        raise ChatError("Join a room before sending messages.")
    claimed_username, claimed_room, message = read_fields(
        data, "username", "room", "message")
    check_identity(claimed_username, claimed_room,
                   member.username, member.room)
    message = clean_text(message, "message", MAX_MESSAGE_LENGTH)
    if not limiter_of(member.person_id).allow():
        raise ChatError("You are sending messages too quickly. "
                        "Wait a moment and try again.")
    # The whole room, the sender included, receives it (NO:8).
    emit("receive_message", {"username": member.username,
                             "room": member.room, "message": message},
         to=member.room)
    return {"ok": True}


# NO:10
# The page says goodbye (the Leave button). Closing the tab or losing the
# network ends up in on_disconnect below, which announces it the same way.
@socketio.on("leave_room")
def on_leave_room(data=None, *_):
    member = members.get(request.sid)
    if member is None:
        return {"ok": True}  # not in a room: there is nothing to leave
    check_identity(*read_fields(data, "username", "room"),
                   member.username, member.room)
    del members[request.sid]
    leave_room(member.room)
    announce_leave(member)
    return {"ok": True}


@socketio.on("disconnect")
def on_disconnect(reason=None):
    open_pages[session["person_id"]] -= 1
    if not open_pages[session["person_id"]]:
        del open_pages[session["person_id"]]
    member = members.pop(request.sid, None)
    if member:
        announce_leave(member)


def announce_leave(member):
    log.info("%s left room %s", member.username, member.room)
    # The others in the room hear that this person left (NO:11).
    emit("leave_room_announcement",
         {"username": member.username, "room": member.room},
         to=member.room)


@socketio.on_error_default
def on_error(error):
    """Turn an exception in any event handler into an answer."""
    event = request.event["message"]
    if isinstance(error, ChatError):
        log.info("Refused %s from %s: %s", event, request.sid, error)
        return {"ok": False, "error": str(error)}
    log.exception("Unexpected error while handling %s", event)
    return {"ok": False,
            "error": "Something went wrong on the server. Please try again."}


def cut_off_slow_readers():
    """Every second, cut off each open connection with more than
    MAX_UNREAD_PACKETS waiting: a page that never reads piles them up."""
    while True:
        socketio.sleep(1)
        for connection in list(socketio.server.eio.sockets.values()):
            unread = 0 if connection.closed else connection.queue.qsize()
            if unread > MAX_UNREAD_PACKETS:
                log.warning("Cutting off %s: too much unread", connection.sid)
                connection.close(wait=False, abort=True)


socketio.start_background_task(cut_off_slow_readers)


def port_in_use(host, port):
    """Whether another server already listens on `host` at `port`.

    socketio.run() listens through eventlet, which lets other programs
    share the port (SO_REUSEPORT): a second copy of the chat would start
    without a word and take about half of the connections. A test socket
    without that option is refused while anybody listens there.
    """
    family, *_, address = socket.getaddrinfo(host, port)[0]
    with socket.socket(family) as probe:
        # A port whose server stopped a moment ago counts as free. Not on
        # Windows: there this option would even take a port in use.
        if os.name != "nt":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return error.errno == errno.EADDRINUSE
    return False


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    if port_in_use(host, port):
        sys.exit(f"Port {port} is already in use, probably by another copy "
                 "of this chat. Stop it (Ctrl+C in its terminal), or start "
                 f"this one on another port: PORT={port + 1} python app.py")
    if host != "127.0.0.1":
        log.warning("Listening on %s: anyone who can reach this computer "
                    "can join the chat.", host)
    print(f"Chat running on http://{host}:{port}/ (press Ctrl+C to stop)",
          flush=True)
    # socketio.run() uses eventlet because it is installed: one process
    # holds many open WebSocket connections. Debug mode only when
    # FLASK_DEBUG=1: the debugger lets whoever sees an error page run
    # Python code on this computer.
    # eventlet closes a socket idle for 60 s (Socket.IO pings every 25 s)
    # and serves CHAT_MAX_CONNECTIONS at once (make class sets it).
    socketio.run(app, host=host, port=port, socket_timeout=60,
                 max_size=int(os.environ.get("CHAT_MAX_CONNECTIONS", 1024)),
                 debug=os.environ.get("FLASK_DEBUG") == "1")
