"""Exercise "Bob is typing…" (docs/exercises-part2.md): a `typing` event
that the others in the room hear, at most once a second per page, and a
page that shows it without flooding the server."""
import re
import time

from playwright.sync_api import expect

from chat.expect import (OK, ask, expect_answer, expect_events,
                         expect_refused, is_refusal, received)
from exercise_checks import expect_refused_on_purpose, two_people_chat

EXERCISE = "typing"
BURST = 10
INTERVAL_DEADLINE = 5  # seconds: the interval is "about a second"
# Seconds: a message ends "bob is typing…" at once, well before the page
# would forget him (a few seconds after he stopped).
MESSAGE_ENDS_TYPING = 1
FORGET_DEADLINE = 6  # seconds: "a few seconds after he stopped typing"
PAGE_TYPING_INTERVAL = 2  # seconds: the page says typing at most this often
# Seconds of typing, as fast as the keys go: over the server's interval, so
# that what bob hears is what the page sent, and under the page's.
TYPING_SECONDS = 1.4


def typing(sio, username, room):
    return ask(sio, "typing", {"username": username, "room": room})


def test_the_others_in_the_room_hear_who_is_typing(login, room):
    alice, bob = login("alice", room), login("bob", room)
    carol = login("carol", room + "-other")
    for sio in (alice, bob, carol):
        sio.get_received()
    expect_answer(typing(alice, "alice", room), OK, "typing",
                  "Add a handler for the event typing that answers "
                  "{'ok': True}.")
    expect_events(received(bob, who="bob"),
                  [("typing", {"username": "alice", "room": room})],
                  "bob should hear that alice is typing (emit typing to "
                  "the room)")
    expect_events(received(alice, who="alice"), [],
                  "alice should not hear about her own typing "
                  "(include_self=False)")
    expect_events(received(carol, who="carol"), [],
                  "carol, in another room, should hear nothing")


def test_nobody_can_type_as_someone_else(login, room):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    expect_refused(typing(alice, "bob", room), "typing",
                   "from alice claiming to be bob",
                   contains="cannot speak for someone else")
    expect_events(received(bob, who="bob"), [],
                  "a refused typing event should reach nobody")


def test_typing_before_joining_is_refused(login, room):
    alice = login("alice", room, join=False)
    answer = typing(alice, "alice", room)
    expect_refused(answer, "typing", "before join_room")
    expect_refused_on_purpose(answer, "typing")


def test_a_flood_of_typing_reaches_the_room_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    answers = [typing(alice, "alice", room) for _ in range(BURST)]
    expect_events(received(bob, who="bob"),
                  [("typing", {"username": "alice", "room": room})],
                  f"{BURST} typing events at once should reach bob once: "
                  "remember when each member's typing was last relayed")
    refused = [answer for answer in answers[1:] if not is_refusal(answer)]
    assert not refused, (
        "each typing event that is not relayed should be refused with a "
        f"reason, {{'ok': False, 'error': ...}}: they answered {refused}")
    # A second later, typing is news again.
    deadline = time.monotonic() + INTERVAL_DEADLINE
    while is_refusal(typing(alice, "alice", room)):
        assert time.monotonic() < deadline, (
            f"typing should be relayed again after about a second: it was "
            f"still refused after {INTERVAL_DEADLINE} s")
        time.sleep(0.1)
    expect_events(received(bob, who="bob"),
                  [("typing", {"username": "alice", "room": room})],
                  "after the interval, bob should hear alice typing again")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_the_page_shows_who_is_typing_and_forgets_them(
        chat_page, chat_user, room):
    bob = chat_user("bob", room)
    page = chat_page("alice", room)
    bob.wait_for("join_room_announcement", username="alice")
    expect_answer(bob.call("typing", {"username": "bob", "room": room}), OK,
                  "typing from bob")
    line = page.locator("#typing")
    expect(line, 'alice\'s page should say "bob is typing…" in '
           '<p id="typing">').to_have_text("bob is typing…")
    expect_answer(bob.send("done"), OK, "send_message from bob")
    expect(line, "once bob's message arrives, alice's page should stop "
           "saying that he is typing, at once").to_have_text(
        "", timeout=MESSAGE_ENDS_TYPING * 1000)


def test_the_page_names_two_typists_and_forgets_them(
        chat_page, chat_user, room):
    bob, carol = chat_user("bob", room), chat_user("carol", room)
    page = chat_page("alice", room)
    bob.wait_for("join_room_announcement", username="alice")
    for user in (bob, carol):
        expect_answer(user.call("typing", {"username": user.username,
                                           "room": room}), OK,
                      f"typing from {user.username}")
    line = page.locator("#typing")
    expect(line, 'with bob and carol typing, alice\'s page should say '
           '"bob, carol are typing…"').to_have_text(
        re.compile(r"^(bob, carol|carol, bob) are typing…$"))
    expect(line, "a few seconds after bob and carol stopped typing (and "
           "sent nothing), alice's page should stop saying that they are: "
           "start a timer for each name that forgets it").to_have_text(
        "", timeout=FORGET_DEADLINE * 1000)


def test_the_page_says_nothing_while_its_box_holds_no_text(
        chat_page, chat_user, room):
    """Alice's page says what it has to say, and she leaves: the room hears
    her leave after anything the page sent before."""
    bob = chat_user("bob", room)
    page = chat_page("alice", room)
    bob.wait_for("join_room_announcement", username="alice")
    page.locator("#message_input").press_sequentially("   ")
    page.locator("#leave").click()
    seen = bob.wait_for("leave_room_announcement", username="alice")
    said = [data for event, data in seen if event == "typing"]
    assert not said, (
        "spaces alone in alice's message box should make her page send no "
        "typing (only while its box has text): bob heard it before she left")


def test_the_page_says_typing_at_most_every_two_seconds(
        chat_page, chat_user, room):
    """Typing for over a second: the server would relay a typing every
    second (it allows that much), so what bob hears is what the page
    sent."""
    bob = chat_user("bob", room)
    page = chat_page("alice", room)
    bob.wait_for("join_room_announcement", username="alice")
    box = page.locator("#message_input")
    started = time.monotonic()
    while time.monotonic() - started < TYPING_SECONDS:
        box.press_sequentially("typing ")
    typed_for = time.monotonic() - started
    page.locator("#message_input").press("Enter")
    # Everything alice's page sent arrives before her message does.
    seen = bob.wait_for("receive_message", username="alice")
    said = [data for event, data in seen if event == "typing"]
    most = 1 + int(typed_for / PAGE_TYPING_INTERVAL)
    assert 1 <= len(said) <= most, (
        f"typing a sentence for {typed_for:.1f} s should make alice's page "
        f"send typing at most once every {PAGE_TYPING_INTERVAL} seconds "
        f"({most} in all): bob heard it {len(said)} times. Remember when "
        "the page last sent it")
