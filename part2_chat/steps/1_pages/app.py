"""Part 2, step 1: the start page and the chat page, with Flask alone.

NO:1 and NO:2 mark the two pages of one visit; the live chat itself
arrives in step 2.
"""
import logging
import os
import secrets
import unicodedata

from flask import (Flask, flash, redirect, render_template, request,
                   session, url_for)

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


if __name__ == "__main__":
    # 127.0.0.1 keeps the app private to this computer; set HOST=0.0.0.0
    # to open it to the network. Debug mode (auto-reload and the in-browser
    # debugger) only when asked for, because the debugger runs any Python
    # code typed into it.
    app.run(
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        debug=os.environ.get("FLASK_DEBUG") == "1",
    )
