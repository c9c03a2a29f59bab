"""Exercise "What was said before you came" (docs/exercises-part2.md): the
answer to join_room carries the room's last 20 messages, oldest first; the
history is per room, bounded, and goes when the room empties."""
from playwright.sync_api import expect

from chat.expect import OK, ask, describe, expect_answer
from exercise_checks import two_people_chat

EXERCISE = "history"
HISTORY_LENGTH = 20


def send(sio, username, room, text):
    expect_answer(ask(sio, "send_message", {"username": username,
                                            "room": room, "message": text}),
                  OK, f"send_message from {username}")


def history_in(answer, who):
    assert isinstance(answer, dict) and isinstance(
        answer.get("history"), list), (
        f"the answer to {who}'s join_room should carry the room's recent "
        f"messages as a list, \"history\": it answered {describe(answer)}")
    return answer["history"]


def join(login, username, room):
    sio = login(username, room, join=False)
    answer = ask(sio, "join_room", {"username": username, "room": room})
    return history_in(answer, username)


def message(username, room, text):
    return {"username": username, "room": room, "message": text}


def test_a_newcomer_gets_the_last_messages_oldest_first(login, room):
    alice = login("alice", room)
    texts = [f"message {number}" for number in range(HISTORY_LENGTH + 5)]
    for text in texts:
        send(alice, "alice", room, text)
    got = join(login, "bob", room)
    wanted = [message("alice", room, text)
              for text in texts[-HISTORY_LENGTH:]]
    assert got == wanted, (
        f"bob should get the last {HISTORY_LENGTH} messages, oldest first, "
        "each as receive_message sends it: he got "
        f"{[entry.get('message') if isinstance(entry, dict) else entry for entry in got]}")


def test_the_history_is_the_rooms_own(login, room):
    alice = login("alice", room)
    send(alice, "alice", room, "for this room only")
    assert join(login, "carol", room + "-other") == [], (
        "carol, in another room, should get no history of alice's room")


def test_the_history_goes_when_the_room_empties(login, room):
    alice = login("alice", room)
    send(alice, "alice", room, "anybody there?")
    ask(alice, "leave_room", {"username": "alice", "room": room})
    assert join(login, "bob", room) == [], (
        "once its last member has left, a room's history should be "
        "forgotten: memory is kept for the rooms in use only")


def test_refused_messages_are_not_remembered(login, room):
    alice = login("alice", room)
    ask(alice, "send_message", {"username": "alice", "room": room,
                                "message": "x" * 5000})
    ask(alice, "send_message", {"username": "mallory", "room": room,
                                "message": "not alice"})
    assert join(login, "bob", room) == [], (
        "a refused message should not be in the history")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_the_page_shows_what_was_said_before(chat_page, chat_user, room):
    alice = chat_user("alice", room)
    for text in ("first", "second"):
        expect_answer(alice.send(text), OK, "send_message from alice")
    page = chat_page("bob", room)
    alice.wait_for("join_room_announcement", username="bob")
    earlier = page.locator("#messages li").filter(has_text="alice: ")
    expect(earlier, "bob's page should show the room's earlier messages "
           "when it joins, as 'alice: first'").to_have_text(
        ["alice: first", "alice: second"])
    lines = page.locator("#messages li").all_inner_texts()
    joined = [number for number, line in enumerate(lines)
              if line.startswith("You joined room")]
    assert joined and joined[0] > lines.index("alice: second"), (
        "bob's page should show the earlier messages above \"You joined "
        f"room …\": it shows {lines}")


def test_the_page_shows_the_history_once(chat_page, chat_user, room):
    alice = chat_user("alice", room)
    expect_answer(alice.send("only once"), OK, "send_message from alice")
    page = chat_page("bob", room)
    notices = page.locator("#messages li").filter(has_text="You joined room")
    expect(notices).to_have_count(1)
    # The connection drops (as when the network does): the page reconnects
    # by itself and joins again.
    page.evaluate("socket.io.engine.close()")
    expect(notices, "bob's page should join again after its connection "
           "dropped (the check closes it with socket.io.engine.close())"
           ).to_have_count(2)
    expect(page.locator("#messages li").filter(has_text="alice: "),
           "after a reconnection bob's page should not show the history "
           "again: it shows those messages already").to_have_text(
        ["alice: only once"])
