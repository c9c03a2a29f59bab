"""Part 2, step 2: joining a room, live, with Flask-SocketIO.

The NO:1 ... NO:5 comments follow one visit from the start page to the
room hearing that somebody joined; the browser's steps are in
templates/ and static/chat.js.
"""
import logging
import os
import secrets
import unicodedata

from flask import (Flask, flash, redirect, render_template, request,
                   session, url_for)
from flask_socketio import ConnectionRefusedError, SocketIO, emit, join_room

MAX_USERNAME_LENGTH = 32
MAX_ROOM_LENGTH = 64

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
socketio = SocketIO(app)


class ChatError(Exception):
    """A request we refuse, with a reason written for its sender."""


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


@app.context_processor
def limits():
    """Let the templates show the limits the server enforces."""
    return {"max_username_length": MAX_USERNAME_LENGTH,
            "max_room_length": MAX_ROOM_LENGTH}


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
        username = clean_text(request.args.get("username", ""),
                              "username", MAX_USERNAME_LENGTH)
        room = clean_text(request.args.get("room", ""),
                          "room", MAX_ROOM_LENGTH)
    except ChatError as error:
        flash(str(error))
        return redirect(url_for("home"))
    session["username"] = username
    session["room"] = room
    return render_template("chat.html", username=username, room=room)


@socketio.on("connect")
def on_connect(auth=None):
    # Only pages opened through /chat get in: a connection without a
    # usable name and room in its session is turned away at the door.
    try:
        clean_text(session.get("username"), "username", MAX_USERNAME_LENGTH)
        clean_text(session.get("room"), "room", MAX_ROOM_LENGTH)
    except ChatError:
        raise ConnectionRefusedError(
            "Choose a username and a room on the start page first.") from None


# NO:4
# The page asks to join its room. The name and room come from the
# session, never from the event's data.
@socketio.on("join_room")
def on_join_room(data=None):
    username, room = session["username"], session["room"]
    join_room(room)
    log.info("%s joined room %s", username, room)
    # Everybody else in the room hears about the newcomer (NO:5).
    emit("join_room_announcement", {"username": username, "room": room},
         to=room, include_self=False)
    return {"ok": True}


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    if host != "127.0.0.1":
        log.warning("Listening on %s: anyone who can reach this computer "
                    "can join the chat.", host)
    print(f"Chat running on http://{host}:{port}/ (press Ctrl+C to stop)",
          flush=True)
    # socketio.run() uses eventlet because it is installed: one process
    # holds many open WebSocket connections. Debug mode only when
    # FLASK_DEBUG=1: the debugger lets whoever sees an error page run
    # Python code on this computer.
    socketio.run(app, host=host, port=port,
                 debug=os.environ.get("FLASK_DEBUG") == "1")
