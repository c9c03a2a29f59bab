"""The chat page (templates/chat.html and static/chat.js) in Chromium, several people at once."""
import re

from playwright.sync_api import expect


# Quotes, an ampersand, a tag and backslashes: all must come back exactly as typed.
TRICKY_MESSAGE = r"""O'Brien & "Co" <b>x</b> \ back\slash"""
TRICKY_NAME = r"""O'Brien & "Co" <b>x</b> \ b\s"""  # the same, within the 32-character limit
SCRIPT_MESSAGE = """<img src=x onerror="window.__xss=1">"""
SCRIPT_NAME = "<img src=x onerror=__xss=1>"
# Socket.IO waits up to 5 s between attempts, and part 4's nginx gives up on a chat
# process for 10 s after one failed attempt to reach it.
RECONNECT_TIMEOUT_MS = 30_000


def test_two_people_see_each_other_join_and_chat_in_order(visitor, room):
    alice = visitor("alice", room)
    bob = visitor("bob", room)
    expect(alice.notices).to_have_text([f"You joined room {room}. Nobody else is here yet.",
                                        "bob has joined the room"])
    expect(bob.notices).to_have_text([f"You joined room {room}. Also here: alice."])

    conversation = [(alice, "hi bob"), (bob, "hi alice"), (alice, "how are you?"),
                    (alice, "still there?"), (bob, "yes, all good")]
    for person, text in conversation:
        person.send(text)
    for person in (alice, bob):
        expect(person.messages).to_have_text(
            [f"{sender.name}: {text}" for sender, text in conversation])


def test_someone_in_another_room_sees_none_of_it(visitor, room):
    alice, bob = visitor("alice", room), visitor("bob", room)
    carol = visitor("carol", room + "-other")
    alice.send("for this room only")
    expect(bob.messages).to_have_text(["alice: for this room only"])
    # Each message comes back to its sender after anything sent to that room earlier.
    carol.send("marker")
    expect(carol.lines).to_have_text([f"You joined room {room}-other. Nobody else is here yet.",
                                      "carol: marker"])
    alice.send("still just us")
    expect(alice.lines).to_have_text([f"You joined room {room}. Nobody else is here yet.",
                                      "bob has joined the room", "alice: for this room only",
                                      "alice: still just us"])
    expect(bob.lines).to_have_text([f"You joined room {room}. Also here: alice.",
                                    "alice: for this room only", "alice: still just us"])


def test_names_and_messages_show_exactly_as_typed_and_never_run(visitor, room):
    alice = visitor(TRICKY_NAME, room)
    bob = visitor("bob", room)
    alice.send(TRICKY_MESSAGE)
    alice.send(SCRIPT_MESSAGE)
    mallory = visitor(SCRIPT_NAME, room)

    expected = [f"{TRICKY_NAME}: {TRICKY_MESSAGE}", f"{TRICKY_NAME}: {SCRIPT_MESSAGE}"]
    for person in (alice, bob):
        expect(person.messages).to_have_count(2)
        assert person.texts(person.messages) == expected
        expect(person.notices).to_have_count(3 if person is alice else 2)
        assert person.texts(person.notices)[-1] == f"{SCRIPT_NAME} has joined the room"
    assert alice.texts(alice.page.locator("header strong")) == [TRICKY_NAME]
    assert bob.texts(bob.notices)[0] == f"You joined room {room}. Also here: {TRICKY_NAME}."
    assert mallory.texts(mallory.page.locator("header strong")) == [SCRIPT_NAME]
    for person in (alice, bob, mallory):
        expect(person.page.locator("#messages b, #messages img")).to_have_count(0)
        assert person.page.evaluate("typeof window.__xss") == "undefined"


def test_closing_a_page_announces_the_leave(visitor, room):
    alice, bob = visitor("alice", room), visitor("bob", room)
    # Socket.IO starts on HTTP long-polling and moves to a WebSocket a moment later. A page
    # that vanishes while still polling is only noticed by the server's ping timeout (about
    # 50 s), so wait for the WebSocket, as any page open for more than an instant has.
    bob.wait_for_web_socket()
    bob.close()  # the whole context goes, without running beforeunload
    expect(alice.notices.last).to_have_text("bob has left the room")
    alice.send("anyone?")
    expect(alice.notices.filter(has_text="has left")).to_have_count(1)


def record_statuses(person):
    """From now on, keep every text the status line shows in window.__statuses."""
    person.status.evaluate("""status => {
        window.__statuses = [];
        new MutationObserver(() => window.__statuses.push(status.textContent))
            .observe(status, { childList: true, characterData: true, subtree: true });
    }""")


def test_a_server_restart_reconnects_both_pages_to_the_room(
        restartable_server, visitor, room):
    # restartable_server comes first, so it stops after the pages have closed.
    server = restartable_server
    alice = visitor("alice", room, server=server)
    bob = visitor("bob", room, server=server)
    alice.send("before the restart")
    expect(bob.messages).to_have_text(["alice: before the restart"])
    people = {alice: bob, bob: alice}
    seen_before = {person: person.texts(person.lines) for person in people}
    for person in people:
        record_statuses(person)

    server.stop()
    for person in people:
        expect(person.status).to_have_text(re.compile(r"^Reconnecting"))
        expect(person.input).to_be_disabled()
    server.start_again()
    for person in people:
        expect(person.status).to_have_text("Connected", timeout=RECONNECT_TIMEOUT_MS)
        statuses = person.page.evaluate("window.__statuses")
        assert statuses[0] == "Reconnecting…", statuses
        assert all(s.startswith("Reconnecting") for s in statuses[:-1]), statuses
        assert statuses[-1] == "Connected", statuses
        expect(person.notices.filter(has_text=f"You joined room {room}.")).to_have_count(2)

    alice.send("back again")
    bob.send("welcome back")
    # Nothing lost, nothing twice (part 4 sends missed messages again; the page skips those
    # it has), and whatever the server announced came before these.
    expected_messages = ["alice: before the restart", "alice: back again", "bob: welcome back"]
    new_notices = {}
    for person in people:
        expect(person.messages).to_have_text(expected_messages)
        lines = person.texts(person.lines)
        assert lines[:len(seen_before[person])] == seen_before[person]
        new_notices[person.name] = sorted(line for line in lines[len(seen_before[person]):]
                                          if line not in expected_messages)
    assert "Traceback" not in server.log()

    # Each page says once that it is back and names the other exactly once: whoever got
    # back first hears the other join, or finds them already there.
    for person, other in people.items():
        if new_notices[person.name] not in (
                sorted([f"You joined room {room}. Nobody else is here yet.",
                        f"{other.name} has joined the room"]),
                [f"You joined room {room}. Also here: {other.name}."]):
            raise AssertionError(f"new notices after the restart: {new_notices}")


def test_a_rate_limited_send_shows_the_servers_reason_and_keeps_the_text(visitor, room):
    alice = visitor("alice", room)
    bob = visitor("bob", room)
    # Faster than anyone types: each send waits only for the server's answer.
    for number in range(1, 61):
        text = f"message {number}"
        alice.type_and_send(text)
        alice.page.wait_for_function(
            "() => !document.getElementById('error').hidden"
            " || document.getElementById('message_input').value === ''")
        if alice.error.is_visible():
            break
    assert number > 10, "the first ten messages are allowed at once"
    expect(alice.error).to_contain_text("too quickly")
    expect(alice.input).to_have_value(text)
    accepted = [f"alice: message {n}" for n in range(1, number)]
    for person in (alice, bob):
        expect(person.messages).to_have_text(accepted)


def test_a_refused_message_shows_the_reason_until_a_send_succeeds(visitor, room):
    alice = visitor("alice", room)
    # The box stops at 1000 characters; without that limit the server still refuses.
    expect(alice.input).to_have_attribute("maxlength", "1000")
    alice.input.evaluate("input => input.removeAttribute('maxlength')")
    alice.type_and_send("x" * 1001)
    expect(alice.error).to_have_text("The message can be at most 1000 characters long.")
    expect(alice.input).to_have_value("x" * 1001)
    alice.send("a shorter one")  # also checks the error is hidden again
    expect(alice.messages).to_have_text(["alice: a shorter one"])
