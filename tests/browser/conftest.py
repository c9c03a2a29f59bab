"""Fixtures for the browser tests: Debian's Chromium, driven by Playwright, on the real server.

One browser is shared by the whole run (pytest-playwright's `browser` fixture); every person
in a test gets a fresh browser context, which is a separate cookie jar, like a second browser.
A context may only reach the server under test: any other host is refused and recorded, so a
page that still needs a CDN fails loudly. When a test fails, every page still open is saved as
a screenshot under $BROWSER_ARTIFACTS (default: <temp folder>/chat-browser-artifacts) and the
paths are printed with the failure.
"""
import contextlib
import hashlib
import json
import os
import re
import shlex
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tutorial import chain
from harness.plugin import target
from harness.servers import Server, chromium, free_port, server_command
from harness.stack import CHAT_ENV, ScaledChat, start_checkpoint

# The shared servers' environment (stack.CHAT_ENV): a fixed SECRET_KEY, so the pages'
# session cookies still work after a restart, and the rate limit at its defaults.
SERVER_ENV = CHAT_ENV
UPGRADE_PACKET = "5"  # what Engine.IO's client sends when it switches to the WebSocket
# A Socket.IO event as the page sends it: Engine.IO message (4), Socket.IO event (2), an
# optional acknowledgement id, then ["name", ...data].
EVENT_PACKET = re.compile(r"42\d*(\[.*)", re.DOTALL)
PACKET_SEPARATOR = "\x1e"  # between the packets of one HTTP long-polling request
TIMEOUT_MS = 5000  # for every click, fill and expect(), unless a test says otherwise
# Every page reports what its Content-Security-Policy blocked (step 5 on), naming the
# directive, on the console, where the Visitor collects it: the chat must need no exception.
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) =>
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`));"""
ARTIFACTS = Path(os.environ.get("BROWSER_ARTIFACTS")
                 or Path(tempfile.gettempdir()) / "chat-browser-artifacts")

expect.set_options(timeout=TIMEOUT_MS)

# What a test leaves for the hooks below: its visitors, whether its body passed, and
# (for the whole run) the screenshots saved.
VISITORS = pytest.StashKey[list]()
CALL_PASSED = pytest.StashKey[bool]()
SCREENSHOTS = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def desktop_browser(launch_browser):
    """The full chromium, for what only the desktop browser does: it fetches a page's
    icon for its tab, which the headless shell (`browser`) has no tab to show."""
    desktop = launch_browser(executable_path=chromium())
    yield desktop
    desktop.close()


@pytest.fixture(scope="session")
def site(built_site):
    """The docs site, built as `make docs-build` does and served over HTTP: its `url`, and
    its `pages` (paths below the site's folder)."""
    folder = built_site
    port = free_port()
    server = Server(f"{shlex.quote(sys.executable)} -m http.server --bind "
                    f"127.0.0.1 --directory {shlex.quote(str(folder))} {port}",
                    cwd=folder, port=port)
    try:
        server.wait_until_serving()
        yield SimpleNamespace(url=server.url, folder=folder, pages=sorted(
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*.html")))
    finally:
        server.close()


def start_server(checkpoint, **env):
    """The checkpoint started as its README says (part 4: its whole stack), serving, with
    SERVER_ENV and `env`."""
    server = start_checkpoint(checkpoint, env={**SERVER_ENV, **env})
    try:
        return server.wait_until_serving()
    except BaseException:
        server.close()
        raise


class RestartableServer:
    """A checkpoint's server for one test, which the test may restart under open pages."""

    def __init__(self, checkpoint):
        self.checkpoint = checkpoint
        self.current = start_server(checkpoint)
        self.url = self.current.url
        self.stopped = []  # the processes stop() stopped, kept for their logs

    def stop(self):
        """Stop the chat's processes with SIGTERM, as the platform does on a deploy."""
        if isinstance(self.current, ScaledChat):  # part 4: the processes behind nginx
            processes = self.current.workers
        else:
            processes = [self.current]
        # All at once, as on a restart: one by one, a page would move to a process that is
        # about to stop and have to reconnect twice.
        with ThreadPoolExecutor() as pool:
            list(pool.map(lambda process: process.stop(), processes))
        self.stopped += processes

    def start_again(self):
        """Start the chat's processes again on the same ports, with the same SECRET_KEY."""
        if isinstance(self.current, ScaledChat):
            stack = self.current
            stack.workers = [stack.start_worker(port=worker.port) for worker in stack.workers]
            stack.wait_until_serving()
            return
        self.current = Server(server_command(self.checkpoint), cwd=self.checkpoint,
                              env=SERVER_ENV, port=self.current.port)
        self.current.wait_until_serving()

    def log(self):
        return "\n".join(process.log() for process in [*self.stopped, self.current])

    def close(self):
        for process in [*self.stopped, self.current]:  # closing twice does no harm
            process.close()


@pytest.fixture
def restartable_server(checkpoint):
    server = RestartableServer(checkpoint)
    yield server
    server.close()


@pytest.fixture
def slowly_refilling_server(checkpoint):
    """The checkpoint's server for one test, whose rate limit refills one message in 100 s
    (the burst stays 10). The page sends one message per answer from the server, so at the
    default refill (5 a second) a busy machine, answering slower than 0.2 s, never reaches
    the limit; here the eleventh-odd message is refused however slow the machine is."""
    server = start_server(checkpoint, CHAT_MESSAGES_PER_SECOND="0.01")
    yield server
    server.close()


@pytest.fixture(scope="module")
def server(checkpoint, shared_servers):
    """The checkpoint's real server, shared by the tests of every module (each uses rooms
    of its own)."""
    with shared_servers.use(checkpoint) as server:
        yield server


@pytest.fixture
def part2_step(checkpoint, request):
    """The step of part 2 the checkpoint has reached (a later part: the finished part 2)."""
    return chain.reached_by(chain.REPO, checkpoint, target(request.config).step).get(2, 0)


class Visitor:
    """One person with their own browser context (cookies) and one page of the chat, as it
    is at `step` of part 2 (the steps add what a visitor can wait for)."""

    def __init__(self, browser, server, name, step):
        self.name = name
        self.server = server
        self.step = step
        self.blocked = []  # URLs of other hosts the page tried to reach
        self.page_errors = []  # uncaught JavaScript exceptions
        self.csp_violations = []  # what the page's Content-Security-Policy blocked
        self.context = browser.new_context()
        self.context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.context.set_default_timeout(TIMEOUT_MS)
        # Anything whose address does not start with <scheme>://127.0.0.1:<port>/ is refused.
        # A regular expression is matched inside Playwright, so the server's own requests
        # never wait for Python.
        elsewhere = re.compile(rf"^(?![a-z]+://{re.escape(urlsplit(server.url).netloc)}/)")
        self.context.route(elsewhere, self._refuse)
        self.context.route_web_socket(elsewhere, self._refuse_web_socket)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        self.page.on("console", self._watch_console)
        self.web_sockets = []
        self.upgraded = False  # whether Socket.IO has moved to a WebSocket yet
        self.sent_events = []  # the names of the Socket.IO events the page sent
        self.sent_payloads = []  # (name, first argument) of each of those events
        self.page.on("websocket", self._watch_web_socket)
        self.page.on("request", self._watch_polling)
        self.closed = False

    def _watch_console(self, message):
        if message.text.startswith("CSP violation:"):
            self.csp_violations.append(message.text)

    def _refuse(self, route):
        self.blocked.append(route.request.url)
        route.abort("blockedbyclient")

    def _refuse_web_socket(self, ws):
        self.blocked.append(ws.url)
        ws.close()

    def _watch_web_socket(self, ws):
        self.web_sockets.append(ws)
        ws.on("framesent", lambda payload: self._on_frame_sent(payload))

    def _on_frame_sent(self, payload):
        if payload == UPGRADE_PACKET:
            self.upgraded = True
        self._record_sent(payload)

    def _watch_polling(self, request):
        if request.method == "POST" and "/socket.io/" in request.url:
            for packet in (request.post_data or "").split(PACKET_SEPARATOR):
                self._record_sent(packet)

    def _record_sent(self, packet):
        event = EVENT_PACKET.fullmatch(packet) if isinstance(packet, str) else None
        if event:
            # A packet that is not an event's JSON is not recorded.
            with contextlib.suppress(ValueError, IndexError, KeyError, TypeError):
                name, *arguments = json.loads(event[1])
                self.sent_events.append(name)
                self.sent_payloads.append((name, arguments[0] if arguments else None))

    def wait_until_sent(self, event, why):
        """Wait until the page has sent the Socket.IO event `event`."""
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while event not in self.sent_events:
            if time.monotonic() > deadline:
                problems = "".join(
                    f"; {what}: {found}" for what, found in (
                        ("it threw", self.page_errors),
                        ("its Content-Security-Policy refused", self.csp_violations),
                        ("it asked for other hosts, which were refused", self.blocked))
                    if found)
                raise AssertionError(f"{self.name}'s page did not send {event} within "
                                     f"{TIMEOUT_MS / 1000:g} s: {why}{problems}")
            self.page.wait_for_timeout(50)

    def wait_for_web_socket(self):
        """Wait until Socket.IO has moved this page from HTTP long-polling to a WebSocket."""
        if self.upgraded:
            return
        try:
            if not self.web_sockets:
                self.page.wait_for_event("websocket")
            self.web_sockets[-1].wait_for_event(
                "framesent", lambda payload: payload == UPGRADE_PACKET)
        except PlaywrightTimeoutError:
            raise AssertionError(
                f"{self.name}'s page did not move from HTTP long-polling to a WebSocket "
                f"within {TIMEOUT_MS / 1000:g} s: start the server with socketio.run(app), "
                "which serves WebSockets through eventlet") from None

    # The start page.
    def open_start_page(self):
        self.page.goto(self.server.url + "/")
        return self

    def fill_form(self, username, room):
        for label in ("Your name", "Room"):
            expect(self.page.get_by_label(label),
                   f"the start page should have a field labelled {label!r}").to_be_visible()
        self.page.get_by_label("Your name").fill(username)
        self.page.get_by_label("Room").fill(room)
        button = self.page.get_by_role("button", name="Join the chat")
        expect(button, "the start page should have a 'Join the chat' button").to_be_visible()
        button.click()

    def join(self, username, room):
        """Fill the form on / and wait until the chat page has loaded (its stylesheet
        and scripts with it) and joined the room: it has sent join_room (step 2),
        shown the answer (step 4) and says it is connected (step 6)."""
        self.open_start_page().fill_form(username, room)
        expect(self.page, f"the form should take {self.name} to /chat?username=…&room=…"
               ).to_have_url(re.compile(r"/chat\?"))
        # The address changes before the page's files have come (seen on a busy CI).
        self.page.wait_for_load_state("load")
        if self.step >= 2:
            self.wait_until_sent("join_room", "chat.js should connect with io() and emit "
                                 "join_room when the socket connects (NO:3, NO:4)")
        if self.step >= 6:
            expect(self.status, f"{self.name}'s status line (#status) should say Connected"
                   ).to_have_text("Connected")
        if self.step >= 4:
            expect(self.notices.filter(has_text=f"You joined room {room}."),
                   f"{self.name}'s page should say 'You joined room {room}. …' once the "
                   "server has answered join_room").to_have_count(1)
        return self

    # The chat page.
    @property
    def status(self):
        return self.page.locator("#status")

    @property
    def error(self):
        return self.page.locator("#error")

    @property
    def input(self):
        return self.page.locator("#message_input")

    @property
    def lines(self):
        return self.page.locator("#messages > li")

    @property
    def messages(self):
        return self.page.locator("#messages > li.message")

    @property
    def notices(self):
        return self.page.locator("#messages > li.notice")

    def type_and_send(self, text):
        expect(self.input, f"{self.name}'s chat page should have a message box, "
               '<input id="message_input"> in <form id="message_input_form">, that takes '
               "typing").to_be_editable()
        self.input.fill(text)
        self.input.press("Enter")

    def send(self, text):
        """Send `text` and wait for the server to accept it (the box empties)."""
        self.type_and_send(text)
        expect(self.input, f"{self.name}'s message box should empty once the server has "
               "accepted the message").to_have_value("")
        expect(self.error, f"{self.name}'s page should show no error after a message "
               "was accepted").to_be_hidden()

    def shown(self, sender, text):
        """The line of `sender`'s message `text` as this page shows it: "(you)" after the
        name on the sender's own page (step 3 on)."""
        return f"{sender} (you): {text}" if sender == self.name else f"{sender}: {text}"

    def texts(self, locator):
        """The exact textContent of each element: no whitespace folded, nothing trimmed."""
        return locator.evaluate_all("elements => elements.map(e => e.textContent)")

    def close(self):
        """Close the browser context: the page goes away without running beforeunload."""
        if not self.closed:
            self.closed = True
            self.context.close()


@pytest.fixture
def visitor(browser, part2_step, request):
    """visitor(name) opens a new browser context; visitor(name, room) also joins the chat
    through the form on the start page. Both use the module's `server` unless given one
    (which is only started when a test needs it), and `browser` unless given another
    (in_browser=desktop_browser)."""
    visitors = []

    def visitor(username="visitor", room=None, server=None, in_browser=None):
        person = Visitor(in_browser or browser, server or request.getfixturevalue("server"),
                         username, part2_step)
        visitors.append(person)
        return person.join(username, room) if room else person

    request.node.stash[VISITORS] = visitors
    yield visitor
    try:
        if request.node.stash.get(CALL_PASSED, False):  # else the failure says enough
            for person in visitors:
                assert person.blocked == [], f"{person.name}'s page reached other hosts"
                assert person.page_errors == [], f"{person.name}'s page threw"
                assert person.csp_violations == [], (
                    f"{person.name}'s page broke its Content-Security-Policy "
                    f"({'; '.join(person.csp_violations)}): move inline scripts, styles "
                    "and on...= handlers into static files")
    finally:
        for person in visitors:
            person.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Screenshot every open page of a test that just failed, while the pages still exist."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call":
        return
    item.stash[CALL_PASSED] = report.passed
    visitors = item.stash.get(VISITORS, [])
    if not report.failed or not visitors:
        return
    # A folder of its own: two checks running at once may fail the same test.
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{file_name(item.name)}-",
                                   dir=ARTIFACTS))
    saved = []
    for number, person in enumerate(visitors, 1):
        if person.closed:
            continue
        path = folder / f"{number}-{file_name(person.name)}.png"
        try:
            person.page.screenshot(path=path, timeout=TIMEOUT_MS)
            saved.append(str(path))
        except Exception as error:  # a crashed page must not hide the test's own failure
            saved.append(f"{path}: not saved ({error})")
    report.sections.append(("browser screenshots", "\n".join(saved) or "no page was open"))
    item.config.stash.setdefault(SCREENSHOTS, []).extend(saved)


def file_name(text):
    """`text` made safe as a file name; a long one is cut short and keeps a hash of the rest."""
    name = re.sub(r"[^\w.-]+", "_", text).strip("_")
    if len(name) > 100:
        name = f"{name[:90]}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
    return name


def pytest_terminal_summary(terminalreporter, config):
    saved = config.stash.get(SCREENSHOTS, [])
    if saved:
        terminalreporter.section("browser screenshots of failed tests")
        for path in saved:
            terminalreporter.write_line(path)
