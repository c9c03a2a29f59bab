"""Part 1: the smallest Flask app, a page that says Hello World."""
import os

from flask import Flask
from markupsafe import escape

MAX_NAME_LENGTH = 32

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello World"


# /hello/Ada says "Hello, Ada!". The name comes from the address, so anybody
# can put anything there: escape() turns <, >, &, " and ' into HTML
# entities, so the browser shows a "name" such as <img src=x onerror=...>
# as text instead of running it.
@app.route("/hello/<name>")
def hello(name):
    if len(name) > MAX_NAME_LENGTH:
        return f"A name can be at most {MAX_NAME_LENGTH} characters long.", 400
    return f"Hello, {escape(name)}!"


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
