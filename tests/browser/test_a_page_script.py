"""Before the other chat tests: does the chat page's own script run in the browser at all?

A learner's chat.js that does not parse (a `const` declared twice, say) otherwise shows up
only as "bob did not receive join_room_announcement within 5 s" in every test after this
one. Here one visit to the chat page names the problem itself: the error and its file:line,
a script or stylesheet that did not load, or what the Content-Security-Policy blocked.

The file's name makes pytest run it first: tests/browser/ comes before tests/chat/, and
test_a_page_script.py before the other files here.
"""
import re
import time
from urllib.parse import urlsplit

import pytest

WAIT_S = 5  # for the page to work, or to fail
PLACE_WAIT_S = 1  # for the file and line of an error the page threw

# Each uncaught error also reaches the page's "error" event, which knows the file and line
# even of a SyntaxError, whose error has no stack (Playwright's pageerror gives none). The
# event reports it on the console, where ScriptWatch below reads it.
REPORT_SCRIPT_ERRORS = """window.addEventListener("error", (e) =>
  console.error(`Script error at ${e.filename}:${e.lineno}: ${e.message}`));"""
SCRIPT_ERROR = re.compile(r"Script error at (\S*:\d+): (?:Uncaught )?(.*)", re.DOTALL)
# A place in a script, as Chromium writes it in a stack: http://127.0.0.1:5000/static/chat.js:12:7
PLACE = re.compile(r"\b[a-z]+://[^/\s]+/([^\s:()]+):(\d+)(?::\d+)?")
LOADED_BY_THE_PAGE = {"script", "stylesheet"}
CONNECTED = re.compile(r"^Connected$")


def place(text):
    """static/chat.js:12 for the first place in `text` (a stack, or a URL:line), or None."""
    found = PLACE.search(text or "")
    return f"{found[1]}:{found[2]}" if found else None


class ScriptWatch:
    """What went wrong on one page: uncaught errors, with where they were thrown, and the
    scripts and stylesheets that did not load."""

    def __init__(self, page, server_url):
        self.origin = urlsplit(server_url).netloc
        self.errors = []  # Playwright's errors, from pageerror
        self.places = {}  # "SyntaxError: …" -> "static/chat.js:12", from the "error" event
        self.failed_loads = {}  # URL -> why it did not load
        page.add_init_script(REPORT_SCRIPT_ERRORS)
        page.on("pageerror", lambda error: self.errors.append(error))
        page.on("console", self._watch_console)
        page.on("response", self._watch_response)
        page.on("requestfailed", self._watch_failure)

    def _watch_console(self, message):
        found = SCRIPT_ERROR.fullmatch(message.text)
        if found and place(found[1]):
            self.places.setdefault(found[2], place(found[1]))

    def _loaded_by_the_page(self, request):
        url = urlsplit(request.url)
        return (request.resource_type in LOADED_BY_THE_PAGE
                or (url.netloc == self.origin and url.path.startswith("/static/")))

    def _watch_response(self, response):
        if response.status >= 400 and self._loaded_by_the_page(response.request):
            self.failed_loads[response.url] = f"the server answered {response.status}"

    def _watch_failure(self, request):
        # A 404 also ends as a failed request (net::ERR_ABORTED): its status says more.
        if self._loaded_by_the_page(request) and request.url not in self.failed_loads:
            self.failed_loads[request.url] = request.failure or "it failed"

    def name(self, url):
        """static/chat.js for a file of the server under test, else the whole URL."""
        parts = urlsplit(url)
        return parts.path.lstrip("/") if parts.netloc == self.origin else url

    def _place_of(self, error):
        """(where, what): "static/chat.js:12" or None, and "SyntaxError: …"."""
        text = f"{error.name}: {error.message}" if error.name else error.message
        return place(error.stack) or self.places.get(text), text

    def all_placed(self):
        return all(where for where, _ in map(self._place_of, self.errors))

    def problems(self):
        found = []
        for where, text in map(self._place_of, self.errors):
            found.append(f"{where}: {text}" if where else text)
        found += [f"{self.name(url)} did not load ({why})"
                  for url, why in self.failed_loads.items()]
        return found


def page_works(person, room):
    """Whether the page got as far as it does at its step: it sent join_room (step 2), showed
    the server's answer (step 4) and says Connected (step 6)."""
    if "join_room" not in person.sent_events:
        return False
    if person.step >= 4 and not person.notices.filter(
            has_text=f"You joined room {room}.").count():
        return False
    return person.step < 6 or bool(person.status.filter(has_text=CONNECTED).count())


# Part 4's steps serve the same page files as part 3 (the finished part 4,
# behind nginx, is checked here; the steps' servers by the other tests).
@pytest.mark.step(2)
@pytest.mark.only_finished(part=4)
def test_the_chat_page_script_runs_in_the_browser(visitor, server, room):
    """One visit to the chat page, until it works (or 5 s): nothing it threw, failed to
    load or had blocked. A page that runs but does not do its job yet passes here: the
    tests below say what it should do."""
    alice = visitor("alice")
    watch = ScriptWatch(alice.page, server.url)
    # Waits for the page's load event: every script has run, or failed, by then.
    alice.page.goto(f"{server.url}/chat?username=alice&room={room}")
    deadline = time.monotonic() + WAIT_S
    while not (watch.problems() or alice.csp_violations or alice.blocked
               or page_works(alice, room)) and time.monotonic() < deadline:
        alice.page.wait_for_timeout(50)
    # The "error" event's report of where an error was thrown comes after the error itself.
    deadline = time.monotonic() + PLACE_WAIT_S
    while not watch.all_placed() and time.monotonic() < deadline:
        alice.page.wait_for_timeout(50)
    problems = watch.problems()
    problems += [f"its Content-Security-Policy blocked something ({violation}): move "
                 "inline scripts, styles and on...= handlers into static files"
                 for violation in alice.csp_violations]
    problems += [f"it asked for {url}, another host, which was refused: serve what the "
                 "page needs from static/" for url in alice.blocked]
    assert problems == [], (
        f"The page's script failed in the browser: {'; '.join(problems)}. Fix it first: "
        "the chat tests below need a working page.")
