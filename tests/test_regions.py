"""tutorial/regions.py: the pages name a region of the lesson code from outside the file
(`--8<-- "part2_chat/app.py:def on_join_room"`), and a name that no longer resolves stops
the build."""
import re
from types import SimpleNamespace

import pytest

from tutorial import regions
from tutorial.chain import REPO

APP = '''\
"""The app."""
if __name__ == "__main__":
    import eventlet
    eventlet.monkey_patch()

import os

# A limit of ours,
# said twice.
MAX_LENGTH = (
    1000)
HTTPS_ONLY = "DYNO" in os.environ
CONFIG = {"secure": HTTPS_ONLY}

# not about the class


class Limiter:
    def allow(self):
        return True


# NO:4
# The page asks to join.
@socketio.on("join_room")
@logged
def on_join_room(data=None):
    if data:
        return {"ok": True}
    return {"ok": False}


def add_member(name):
    print(name)


# message_queue: every emit goes through Redis.
socketio = SocketIO(app,
                    message_queue=URL)

if __name__ == "__main__":
    socketio.run(app)
'''

CHAT_JS = '''\
"use strict";

// NO:3
const socket = io();

// Every line is text.
function addLine(className, ...parts) {
  const line = document.createElement("li");
  line.textContent = "}";  // a brace in a string is no brace
}

// NO:5
socket.on("join_room_announcement", (data) => {
  addLine("notice", ["strong", data.username]);
});
'''

INDEX_HTML = '''\
{% extends "base.html" %}
{% block content %}
<main>
  <!-- The form sends a GET request
       to /chat. -->
  <form action="/chat">
    <input id="username" name="username"
           required>
    <form-note>nested</form-note>
  </form>
  <main id="chat" class="chat"
        data-room="{{ room }}">
  </main>
</main>
{% endblock %}
'''

STYLE_CSS = '''\
main {
  margin: 0;
}

/* The list scrolls,
   not the page. */
#messages {
  background: url(https://example.org/a.png);
  overflow-y: auto;
}
'''

NGINX_CONF = '''\
events {}
# The chat processes, behind one address.
upstream chat {
    server 127.0.0.1:5001;  # one } too many in a comment
}
'''

README = '''\
# Part 4

## Run it

Start it.

```sh
## not a heading
```

### Detail

More.

## Deploy

Push it.

'''


@pytest.fixture
def folder(tmp_path):
    for name, text in {"app.py": APP, "static/chat.js": CHAT_JS,
                       "templates/index.html": INDEX_HTML, "README.md": README,
                       "static/style.css": STYLE_CSS, "nginx.conf": NGINX_CONF}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def numbered(text, first, last):
    return text.splitlines()[first - 1:last]


@pytest.mark.parametrize("name, selector, first, last", [
    # Python: a def with its decorators and the comments directly above it
    ("app.py", "def on_join_room", 23, 30),
    ("app.py", "def add_member", 33, 34),
    ("app.py", "class Limiter", 18, 20),  # a blank line parts it from the comment
    ("app.py", "def allow", 19, 20),
    # an assignment outside functions, however many lines it takes
    ("app.py", "MAX_LENGTH =", 8, 11),
    ("app.py", "HTTPS_ONLY =", 12, 12),
    # a first line: the statement that starts there, with its block
    ("app.py", "if data:", 28, 29),
    ("app.py", 'CONFIG = {"secure"', 13, 13),
    # a first line that is a comment: the comment and the statement after it
    ("app.py", "# message_queue:", 37, 39),
    # a range; its first selector may match more than once: the nearest above counts
    ("app.py", "HTTPS_ONLY = .. CONFIG =", 12, 13),
    ("app.py", 'if __name__ == "__main__": .. eventlet.monkey_patch()', 2, 4),
    ("app.py", "def on_join_room .. def add_member", 23, 34),
    # JavaScript: to where the brackets close, with the comments above
    ("static/chat.js", "const socket = io()", 3, 4),
    ("static/chat.js", "function addLine", 6, 10),
    ("static/chat.js", 'socket.on("join_room_announcement"', 12, 15),
    # CSS and nginx.conf: a rule to its closing brace, with the comments above
    ("static/style.css", "#messages {", 5, 10),
    ("static/style.css", "main {", 1, 3),
    ("nginx.conf", "upstream chat {", 2, 5),
    # templates: to the closing tag, with a comment of several lines above
    ("templates/index.html", "<form action", 4, 10),
    ("templates/index.html", "#username", 7, 8),
    ("templates/index.html", "#chat", 11, 13),
    ("templates/index.html", "#chat .. data-room=", 11, 12),
    ("templates/index.html", "{% block content %}", 2, 15),
    # Markdown: a heading's section, up to the next heading of its level or above
    ("README.md", "## Run it", 3, 13),
    ("README.md", "## Run it .. ## Deploy", 3, 17),
])
def test_a_selector_names_its_region(folder, name, selector, first, last):
    text = (folder / name).read_text()
    assert regions.lines_of(folder / name, selector) == numbered(text, first, last)


@pytest.mark.parametrize("name, selector, message", [
    ("app.py", "def leave_room", "there is no def leave_room in the file"),
    ("app.py", "class Room", "there is no class Room in the file"),
    ("app.py", "os =", "there is no statement that assigns os"),
    ("app.py", 'if __name__ == "__main__":',
     "'if __name__ == \"__main__\":' is ambiguous: it names 2 regions, from lines 2, 41"),
    ("app.py", 'return {"ok"', "'return {\"ok\"' is ambiguous: it names 2 regions"),
    ("app.py", "message_queue=URL)", "no Python statement starts on line 39"),
    ("app.py", "def add_member .. def on_join_room",
     "'def add_member' starts after 'def on_join_room' ends"),
    ("static/chat.js", "function leave", "there is no line that starts with 'function leave'"),
    ("templates/index.html", "#rooms", 'there is no element with id="rooms"'),
    ("missing.py", "def chat", "there is no such file"),
])
def test_a_selector_that_names_nothing_or_more_than_one_thing_is_an_error(
        folder, name, selector, message):
    with pytest.raises(regions.RegionError, match=re.escape(message)):
        regions.region(folder / name, selector)


def test_an_include_becomes_snippets_line_numbers(folder):
    page = ('Text.\n\n--8<-- "app.py:def add_member"\n\n'
            '    --8<-- "static/chat.js:function addLine"\n'
            '--8<-- "app.py"\n--8<-- "app.py:2:4"\n')
    assert regions.replace_includes(page, folder) == (
        'Text.\n\n--8<-- "app.py:33:34"\n\n'
        '    --8<-- "static/chat.js:6:10"\n'
        '--8<-- "app.py"\n--8<-- "app.py:2:4"\n')


def test_the_build_stops_naming_the_page_the_file_and_the_selector(folder):
    plugin_error = pytest.importorskip("mkdocs.exceptions").PluginError
    page = SimpleNamespace(file=SimpleNamespace(src_uri="part2-4-leaving.md"))
    config = {"config_file_path": str(folder / "mkdocs.yml")}
    with pytest.raises(plugin_error) as error:
        regions.on_page_markdown('--8<-- "app.py:def on_leave_room"\n', page, config, None)
    assert str(error.value) == (
        'docs/part2-4-leaving.md: --8<-- "app.py:def on_leave_room": '
        "there is no def on_leave_room in the file (CONTRIBUTING.md, Show code on a page)")


def docs_includes():
    return [(page.name, match["path"], match["selector"])
            for page in sorted((REPO / "docs").glob("*.md"))
            for match in regions.includes(page.read_text())]


@pytest.mark.parametrize("page, path, selector", docs_includes())
def test_every_include_on_the_pages_names_one_region(page, path, selector):
    assert regions.lines_of(REPO / path, selector), f"{page}: {path}:{selector}"


def test_the_lesson_code_carries_no_snippet_markers():
    """The pages name their regions from outside: a learner's copy of a folder, and the
    finished chat people reuse, carry no `--8<--` lines."""
    folders = [REPO / name for name in ("part1_hello", "part2_chat", "part3_deploy",
                                        "part4_scale", "exercises")]
    found = [f"{path.relative_to(REPO)}:{number}" for folder in folders
             for path in sorted(folder.rglob("*")) if path.is_file()
             and not path.name.endswith((".min.js", ".map", ".pyc"))
             for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
             if regions.SECTION_MARKER.search(line)]
    assert not found, f"{len(found)} snippet markers, e.g. {', '.join(found[:5])}"
