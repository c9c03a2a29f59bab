"""Part 1: the smallest Flask app, a page that says Hello World."""
import os

from flask import Flask, render_template

app = Flask(__name__)


@app.route("/")
def index():
    return "Hello World"


# The second page comes from templates/about.html: Flask looks for
# templates in the templates/ folder next to this file, and Jinja fills in
# every {{ value }}, escaped for HTML.
@app.route("/about")
def about():
    return render_template("about.html", title="About this app")


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
