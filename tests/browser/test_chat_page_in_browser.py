"""The chat page (templates/chat.html and static/chat.js) in Chromium, several people at once."""
import re
import time

import pytest
from playwright.sync_api import expect

# Part 4's steps change the server behind the page, which the real-server
# chat tests and tests/test_part4_scale.py check on every step; here the
# finished part 4 is enough, and keeps the suite within its time.
pytestmark = pytest.mark.only_finished(part=4)

# Quotes, an ampersand, a tag and backslashes: all must come back exactly as typed.
TRICKY_MESSAGE = r"""O'Brien & "Co" <b>x</b> \ back\slash"""
TRICKY_NAME = r"""O'Brien & "Co" <b>x</b> \ b\s"""  # the same, within the 32-character limit
SCRIPT_MESSAGE = """<img src=x onerror="window.__xss=1">"""
SCRIPT_NAME = "<img src=x onerror=__xss=1>"
# Socket.IO waits up to 5 s between attempts (part 4's nginx tries a chat process again
# at once: max_fails=0).
RECONNECT_TIMEOUT_MS = 30_000
TIMEOUT_S = 5  # for the icon, which the browser fetches after the page


@pytest.mark.step(2)
def test_a_visit_asks_for_nothing_the_server_lacks(visitor, server, room,
                                                  desktop_browser):
    """From step 2 the pages name their icon (static/favicon.svg, in templates/base.html),
    so the browser does not ask for /favicon.ico and get 404 on every visit. (The full
    browser: the headless shell fetches no icon.)"""
    alice = visitor("alice", in_browser=desktop_browser)
    answers = []
    alice.page.on("response", lambda answer: answers.append(answer))
    alice.join("alice", room)
    deadline = time.monotonic() + TIMEOUT_S
    while not any(a.url.endswith("/static/favicon.svg") for a in answers):
        assert time.monotonic() < deadline, (
            "the browser should fetch the pages' icon, named in templates/base.html by "
            "<link rel=\"icon\" href=\"{{ url_for('static', filename='favicon.svg') }}\">")
        alice.page.wait_for_timeout(50)
    missing = [f"{a.status} {a.url}" for a in answers if a.status >= 400]
    assert missing == [], f"a visit should ask for nothing that fails: {missing}"
    assert "/favicon.ico" not in server.log(), (
        "the browser asked for /favicon.ico: the pages should name their icon")


@pytest.mark.step(2)
def test_the_room_sees_you_join(visitor, room):
    alice = visitor("alice", room)
    bob = visitor("bob", room)
    expect(alice.notices.filter(has_text="has joined"),
           "alice's page should say that bob joined her room").to_have_text(
        ["bob has joined the room"])
    expect(bob.notices.filter(has_text="has joined"),
           "bob's page should not announce his own join").to_have_count(0)


@pytest.mark.step(3)
def test_two_people_chat_and_see_every_message_in_order(visitor, room):
    alice = visitor("alice", room)
    bob = visitor("bob", room)
    expect(alice.notices.filter(has_text="has joined"),
           "alice's page should say that bob joined").to_have_text(["bob has joined the room"])

    conversation = [(alice, "hi bob"), (bob, "hi alice"), (alice, "how are you?"),
                    (alice, "still there?"), (bob, "yes, all good")]
    for person, text in conversation:
        person.send(text)
    for person in (alice, bob):
        expect(person.messages, f"{person.name}'s page should show the whole conversation, "
               "in order, as 'name: message' ('name (you): message' for your own)"
               ).to_have_text([person.shown(sender.name, text)
                               for sender, text in conversation])


@pytest.mark.step(3)
def test_your_own_messages_say_so_in_words_and_stand_out(visitor, room):
    alice = visitor("alice", room)
    bob = visitor("bob", room)
    alice.send("mine")
    bob.send("yours")
    expect(alice.messages, "alice's page should mark her own message in words, not only "
           "in colour: 'alice (you): mine', and bob's as 'bob: yours'").to_have_text(
        ["alice (you): mine", "bob: yours"])
    expect(bob.messages, "bob's page should mark his own message, and only his").to_have_text(
        ["alice: mine", "bob (you): yours"])
    for person in (alice, bob):
        looks = person.messages.evaluate_all("""lines => lines.map(line => {
            const style = getComputedStyle(line);
            return [style.backgroundColor, style.borderLeftStyle, style.borderLeftColor,
                    style.color, style.fontWeight].join(" ");
        })""")
        assert looks[0] != looks[1], (
            f"on {person.name}'s page your own message should also look different from "
            f"the others' (a class such as 'mine', styled in static/style.css): both look "
            f"like {looks[0]!r}")


@pytest.mark.step(3)
def test_someone_in_another_room_sees_none_of_it(visitor, room):
    alice, bob = visitor("alice", room), visitor("bob", room)
    carol = visitor("carol", room + "-other")
    alice.send("for this room only")
    expect(bob.messages, "bob should see alice's message").to_have_text(
        ["alice: for this room only"])
    # Each message comes back to its sender after anything sent to that room earlier.
    carol.send("marker")
    expect(room_lines(carol), "carol, alone in another room, should see only her own "
           "message").to_have_text(["carol (you): marker"])
    alice.send("still just us")
    expect(room_lines(alice), "alice should see bob join and her two messages, nothing "
           "from carol's room").to_have_text(
        ["bob has joined the room", "alice (you): for this room only",
         "alice (you): still just us"])
    expect(room_lines(bob), "bob should see alice's two messages, nothing from carol's "
           "room").to_have_text(["alice: for this room only", "alice: still just us"])


def room_lines(person):
    """The lines of a page but the one that answers its own join (step 4 on)."""
    return person.lines.filter(has_not_text=re.compile(r"^You joined room "))


@pytest.mark.step(3)
def test_names_and_messages_show_exactly_as_typed_and_never_run(visitor, room):
    alice = visitor(TRICKY_NAME, room)
    bob = visitor("bob", room)
    alice.send(TRICKY_MESSAGE)
    alice.send(SCRIPT_MESSAGE)
    mallory = visitor(SCRIPT_NAME, room)

    joins = {alice: ["bob has joined the room", f"{SCRIPT_NAME} has joined the room"],
             bob: [f"{SCRIPT_NAME} has joined the room"]}
    for person in (alice, bob):
        expect(person.messages, f"{person.name}'s page should show both messages"
               ).to_have_count(2)
        expect(person.notices.filter(has_text="has joined"),
               f"{person.name}'s page should show who joined after it").to_have_count(
            len(joins[person]))
        expected = [person.shown(TRICKY_NAME, TRICKY_MESSAGE),
                    person.shown(TRICKY_NAME, SCRIPT_MESSAGE)]
        shown = (person.texts(person.messages),
                 person.texts(person.notices.filter(has_text="has joined")))
        assert shown == (expected, joins[person]), (
            f"{person.name}'s page should show names and messages exactly as typed, "
            "built with textContent, never innerHTML: it shows "
            f"{shown}, not {(expected, joins[person])}")
    for person in (alice, mallory):
        name = person.texts(person.page.locator("header strong"))
        assert name == [person.name], (
            f"the page should say who you are, exactly as typed: it shows {name}")
    for person in (alice, bob, mallory):
        expect(person.page.locator("#messages b, #messages img"),
               "a name or message must never become markup").to_have_count(0)
        assert person.page.evaluate("typeof window.__xss") == "undefined", (
            "a script in a name or a message ran")


@pytest.mark.step(4)
def test_joining_shows_who_is_already_there(visitor, room):
    alice = visitor(TRICKY_NAME, room)
    bob = visitor("bob", room)
    expect(alice.notices, "the first in a room should read that nobody else is there, "
           "then who joins").to_have_text(
        [f"You joined room {room}. Nobody else is here yet.", "bob has joined the room"])
    expect(bob.notices, "a newcomer should read who is already there, from join_room's "
           "answer").to_have_count(1)
    assert bob.texts(bob.notices) == [f"You joined room {room}. Also here: {TRICKY_NAME}."], (
        f"bob's page should name who is already there exactly as typed: it shows "
        f"{bob.texts(bob.notices)}")


@pytest.mark.step(4)
def test_closing_a_page_announces_the_leave(visitor, room):
    alice, bob = visitor("alice", room), visitor("bob", room)
    # Socket.IO starts on HTTP long-polling and moves to a WebSocket a moment later. A page
    # that vanishes while still polling is only noticed by the server's ping timeout (about
    # 50 s), so wait for the WebSocket, as any page open for more than an instant has.
    bob.wait_for_web_socket()
    bob.close()  # the whole context goes, without running beforeunload
    expect(alice.notices.last, "alice's page should say that bob left when he closed "
           "his page").to_have_text("bob has left the room")
    alice.send("anyone?")
    expect(alice.notices.filter(has_text="has left"),
           "bob's leave should be announced once").to_have_count(1)


@pytest.mark.step(4)
def test_the_leave_button_says_goodbye_and_goes_back_to_the_start(visitor, server, room):
    alice, bob = visitor("alice", room), visitor("bob", room)
    leave = bob.page.locator("#leave")
    expect(leave, 'the chat page should have a Leave button, <button id="leave">'
           ).to_be_visible()
    leave.click()
    expect(bob.page, "Leave should take bob back to the start page (data-home-url)"
           ).to_have_url(server.url + "/")
    expect(alice.notices.last, "alice's page should say that bob left").to_have_text(
        "bob has left the room")
    alice.send("anyone?")
    expect(alice.notices.filter(has_text="has left"),
           "bob's leave should be announced once").to_have_count(1)


@pytest.mark.step(5)
def test_a_refused_message_shows_the_reason_until_a_send_succeeds(visitor, room):
    alice = visitor("alice", room)
    # The box stops at 1000 characters; without that limit the server still refuses.
    expect(alice.input, "the message box should stop at the server's limit, "
           'maxlength="1000"').to_have_attribute("maxlength", "1000")
    alice.input.evaluate("input => input.removeAttribute('maxlength')")
    alice.type_and_send("x" * 1001)
    expect(alice.error, "the page should show the server's reason in #error (role=alert)"
           ).to_have_text("The message can be at most 1000 characters long.")
    expect(alice.input, "a refused message should stay in the box").to_have_value("x" * 1001)
    alice.send("a shorter one")  # also checks the error is hidden again
    expect(alice.messages, "only the accepted message should be shown").to_have_text(
        ["alice (you): a shorter one"])


@pytest.mark.step(5)
def test_a_refused_connection_shows_its_reason(visitor, room):
    """A chat page whose session the server cannot read (it expired, say) is turned away."""
    person = visitor("alice")

    def spoil_the_session(route):
        response = route.fetch()  # the cookies the server sets land in the browser
        person.context.add_cookies([{**cookie, "value": "expired"}
                                    for cookie in person.context.cookies()])
        route.fulfill(response=response, headers={
            name: value for name, value in response.headers.items()
            if name.lower() != "set-cookie"})

    person.page.route(re.compile(r"/chat\?"), spoil_the_session)
    person.open_start_page().fill_form("alice", room)
    expect(person.error, "a refused connection should show the server's reason in #error, "
           "from the connect_error event").to_contain_text(
        "Choose a username and a room on the start page first.")


def record_statuses(person):
    """From now on, keep every text the status line shows in window.__statuses."""
    person.status.evaluate("""status => {
        window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.textContent))
            .observe(status, { childList: true, characterData: true, subtree: true });
    }""")


@pytest.mark.step(6)
def test_a_server_restart_reconnects_both_pages_to_the_room(
        restartable_server, visitor, room):
    # restartable_server comes first, so it stops after the pages have closed.
    server = restartable_server
    alice = visitor("alice", room, server=server)
    bob = visitor("bob", room, server=server)
    alice.send("before the restart")
    expect(bob.messages, "bob should see alice's message").to_have_text(
        ["alice: before the restart"])
    people = {alice: bob, bob: alice}
    seen_before = {person: person.texts(person.lines) for person in people}
    for person in people:
        record_statuses(person)

    server.stop()
    for person in people:
        expect(person.status, f"{person.name}'s status line should say it is reconnecting "
               "once the server has gone").to_have_text(re.compile(r"^Reconnecting"))
        expect(person.input, "the message box should be disabled while disconnected"
               ).to_be_disabled()
    server.start_again()
    for person in people:
        expect(person.status, f"{person.name}'s page should reconnect by itself"
               ).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
        statuses = person.page.evaluate("window.__statuses")
        assert (statuses[:1] == ["Reconnecting…"] and statuses[-1] == "Connected"
                and all(s.startswith("Reconnecting") for s in statuses[:-1])), (
            f"{person.name}'s status line should go from 'Reconnecting…' through "
            f"'Reconnecting (attempt n)…' to 'Connected': it showed {statuses}")
        expect(person.notices.filter(has_text=f"You joined room {room}."),
               f"{person.name}'s page should join its room again after reconnecting"
               ).to_have_count(2)

    alice.send("back again")
    bob.send("welcome back")
    # Nothing lost, nothing twice (part 4 sends missed messages again; the page skips those
    # it has), and whatever the server announced came before these.
    sent = [(alice, "before the restart"), (alice, "back again"), (bob, "welcome back")]
    new_notices = {}
    for person in people:
        expected_messages = [person.shown(sender.name, text) for sender, text in sent]
        expect(person.messages, f"{person.name} should see every message once, in order"
               ).to_have_text(expected_messages)
        lines = person.texts(person.lines)
        assert lines[:len(seen_before[person])] == seen_before[person], (
            f"{person.name}'s page should keep what it showed before the restart: it had "
            f"{seen_before[person]}, now {lines}")
        new_notices[person.name] = sorted(line for line in lines[len(seen_before[person]):]
                                          if line not in expected_messages)
    assert "Traceback" not in server.log(), f"the server's log has a traceback:\n{server.log()}"

    # Each page says once that it is back and names the other exactly once: whoever got
    # back first hears the other join, or finds them already there.
    for person, other in people.items():
        if new_notices[person.name] not in (
                sorted([f"You joined room {room}. Nobody else is here yet.",
                        f"{other.name} has joined the room"]),
                [f"You joined room {room}. Also here: {other.name}."]):
            raise AssertionError(
                f"after the restart each page should say once that it joined and name the "
                f"other once: the new notices are {new_notices}")


PHONE = {"width": 390, "height": 844}
# The longest status the page writes, once the client has tried ten times.
LONGEST_STATUS = "Reconnecting (attempt 10)…"
# Each element's box, and how many lines of text it takes (distinct tops of its text's
# line boxes: one rectangle per line, for an inline element as for a block).
LAYOUT = """selectors => Object.fromEntries(selectors.map(selector => {
    const element = document.querySelector(selector);
    const box = element.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(element);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    return [selector, { left: box.left, right: box.right, top: box.top,
                        bottom: box.bottom, lines }];
}))"""


@pytest.mark.step(6)
def test_the_page_says_which_page_it_is_when_it_joins(visitor, room):
    """The server tells a page that comes back from a new page by its page_id: a page
    that does not send it would appear twice after every reconnection."""
    alice = visitor("alice", room)
    page_id = alice.page.locator("main#chat").get_attribute("data-page-id")
    assert page_id, ("templates/chat.html should give <main id=\"chat\"> the page_id that "
                     "/chat made: data-page-id=\"{{ page_id }}\"")
    joins = [payload for name, payload in alice.sent_payloads if name == "join_room"]
    assert joins and all(isinstance(payload, dict) and payload.get("page_id") == page_id
                         for payload in joins), (
        "static/chat.js should send the page's data-page-id as page_id with join_room "
        f"({{ ...me, page_id: pageId }}): the page sent {joins}")


@pytest.mark.parametrize("name", ["alice", TRICKY_NAME], ids=["short name", "long name"])
@pytest.mark.step(6)
def test_the_header_fits_a_phone(visitor, room, name):
    """At 390 px the header keeps to one row: the room's name with who you are and the
    status beside Leave, not Leave on a row of its own; the status, at its longest, on at
    most two lines; nothing scrolls sideways."""
    person = visitor(name)
    person.page.set_viewport_size(PHONE)
    person.join(name, room)
    person.status.evaluate(f"status => {{ status.textContent = {LONGEST_STATUS!r}; }}")
    box = person.page.evaluate(LAYOUT, ["header h1", "header p", "#leave", "#status"])
    heading, who, leave, status = (box[s] for s in ("header h1", "header p", "#leave",
                                                    "#status"))
    assert leave["left"] >= max(heading["right"], who["right"]) and (
            leave["top"] < heading["bottom"]), (
        f"at {PHONE['width']} px the Leave button should sit beside the room's name and "
        f"who you are, on the header's one row, not on a row of its own: the heading is "
        f"at {heading}, the line 'You are …' at {who}, Leave at {leave}")
    assert status["lines"] <= 2, (
        f"at {PHONE['width']} px the status {LONGEST_STATUS!r} should take at most two "
        f"lines: it takes {status['lines']}")
    overflow = person.page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"at {PHONE['width']} px the chat page scrolls {overflow} px sideways"


@pytest.mark.step(7)
def test_a_rate_limited_send_shows_the_servers_reason_and_keeps_the_text(
        visitor, room, slowly_refilling_server):
    alice = visitor("alice", room, server=slowly_refilling_server)
    bob = visitor("bob", room, server=slowly_refilling_server)
    # Faster than anyone types: each send waits only for the server's answer.
    for number in range(1, 61):
        text = f"message {number}"
        alice.type_and_send(text)
        alice.page.wait_for_function(
            "() => !document.getElementById('error').hidden"
            " || document.getElementById('message_input').value === ''")
        if alice.error.is_visible():
            break
    assert number > 10, (
        f"the first ten messages are allowed at once: message {number} was refused")
    expect(alice.error, "the page should show why the server refused the message"
           ).to_contain_text("too quickly")
    expect(alice.input, "the refused message should stay in the box").to_have_value(text)
    for person in (alice, bob):
        accepted = [person.shown("alice", f"message {n}") for n in range(1, number)]
        expect(person.messages, f"{person.name} should see every accepted message, and "
               "only those").to_have_text(accepted)
