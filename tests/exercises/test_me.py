"""Exercise "/me actions" (docs/exercises-part2.md): "/me waves" reaches the
room as an action, shown as "* alice waves"; "/me" alone is refused with a
reason; every other message is as before."""
import pytest
from playwright.sync_api import expect

from chat.expect import OK, ask, expect_answer, expect_refused, received
from exercise_checks import two_people_chat

EXERCISE = "me"
# The font-style of each element of a line that shows text of its own.
TEXT_STYLES = """line => [line, ...line.querySelectorAll("*")]
    .filter(element => [...element.childNodes].some(
        node => node.nodeType === Node.TEXT_NODE && node.textContent.trim()))
    .map(element => getComputedStyle(element).fontStyle)"""


def send(sio, room, text):
    return ask(sio, "send_message", {"username": "alice", "room": room,
                                     "message": text})


def relayed(sio, who):
    got = received(sio, "receive_message", who=who)
    assert len(got) == 1, f"{who} should receive one message: got {got}"
    return got[0][1]


@pytest.mark.parametrize(("text", "action"), [
    ("/me waves", "waves"),
    ("  /me   dances a little  ", "dances a little"),
    ("/me <b>shouts</b>", "<b>shouts</b>"),
])
def test_me_is_an_action(login, room, text, action):
    alice, bob = login("alice", room), login("bob", room)
    expect_answer(send(alice, room, text), OK, f"send_message of {text!r}")
    data = relayed(bob, "bob")
    assert data.get("action") is True and data.get("message") == action, (
        f"{text!r} should reach the room as an action: receive_message "
        f"with \"action\": True and the message {action!r} (without /me): "
        f"bob got {data}")
    assert data.get("username") == "alice", "the action is alice's"


@pytest.mark.parametrize("text", ["hello", "/meh", "say /me too", "/mend"])
def test_other_messages_are_not_actions(login, room, text):
    alice, bob = login("alice", room), login("bob", room)
    expect_answer(send(alice, room, text), OK, f"send_message of {text!r}")
    data = relayed(bob, "bob")
    assert not data.get("action") and data.get("message") == text, (
        f"{text!r} is an ordinary message, not an action: bob got {data}")


@pytest.mark.parametrize("text", ["/me", "/me    "])
def test_me_without_an_action_is_refused(login, room, text):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    expect_refused(send(alice, room, text), "send_message",
                   f"of {text!r}, which says no action", contains="/me")
    assert not received(bob, "receive_message", who="bob"), (
        "a refused /me should reach nobody")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_the_page_shows_an_action_as_text(chat_page, chat_user, room):
    alice = chat_user("alice", room)
    page = chat_page("bob", room)
    alice.wait_for("join_room_announcement", username="bob")
    expect_answer(alice.send("/me waves <b>hello</b>"), OK,
                  "send_message from alice")
    line = page.locator("#messages li").last
    expect(line, "bob's page should show the action as '* alice waves "
           "<b>hello</b>', all of it as text").to_have_text(
        "* alice waves <b>hello</b>")
    styles = line.evaluate(TEXT_STYLES)
    assert styles and set(styles) == {"italic"}, (
        "bob's page should show the action in italics (font-style: italic "
        f"in static/style.css): its text is {styles or 'not shown'}")
