"""Exercise "Private messages" (docs/exercises-part2.md): `send_private`
sends a message to one member of the sender's room, and back to the sender,
as `receive_private`; anybody who is not in the room is refused."""
from playwright.sync_api import expect

from chat.expect import (OK, ask, expect_answer, expect_events,
                         expect_refused, received)
from exercise_checks import expect_refused_on_purpose, two_people_chat

EXERCISE = "private"
# More than the rate limit's burst (part 2's MESSAGE_BURST, 10) at once.
RATE_LIMIT_TRIES = 15


def private(sio, room, to, text, username="alice"):
    return ask(sio, "send_private", {"username": username, "room": room,
                                     "to": to, "message": text})


def test_a_private_message_reaches_one_member_and_its_sender(login, room):
    alice, bob = login("alice", room), login("bob", room)
    carol = login("carol", room)
    for sio in (alice, bob, carol):
        sio.get_received()
    expect_answer(private(alice, room, "bob", "psst"), OK, "send_private",
                  "Add a handler for send_private that answers "
                  "{'ok': True}.")
    wanted = [("receive_private", {"username": "alice", "to": "bob",
                                   "room": room, "message": "psst"})]
    expect_events(received(bob, who="bob"), wanted,
                  "bob should receive alice's private message as "
                  "receive_private")
    expect_events(received(alice, who="alice"), wanted,
                  "alice's own page should get her private message back")
    expect_events(received(carol, who="carol"), [],
                  "carol, in the same room, must not see it")


def test_every_page_of_the_recipient_gets_it(login, client, room):
    alice = login("alice", room)
    bob = login("bob", room, browser=client)
    bob_again = login("bob", room, browser=client)  # a second tab
    expect_answer(private(alice, room, "bob", "both tabs"), OK,
                  "send_private")
    for sio in (bob, bob_again):
        assert received(sio, "receive_private", who="bob"), (
            "each of bob's pages in the room should get the message")


def test_nobody_else_can_take_bobs_name_to_read_his_messages(
        login, app_module, room):
    """A name is one person's in its room (part 2, step 4), so a private
    message reaches exactly one person."""
    alice = login("alice", room)
    # Mallory sends the form as bob before bob has joined: both pass it.
    mallory = login("bob", room, join=False)
    bob = login("bob", room)
    taken = (f"Somebody called bob is in room {room} already. Please "
             "choose another name.")
    expect_refused(ask(mallory, "join_room", {"username": "bob",
                                              "room": room}),
                   "join_room", "as bob from a second session, after bob "
                   "joined", error=taken)
    expect_answer(private(alice, room, "bob", "for bob only"), OK,
                  "send_private")
    assert received(bob, "receive_private", who="bob"), (
        "bob should receive alice's private message")
    expect_events(received(mallory, "receive_private", who="mallory"), [],
                  "mallory, who asked for bob's name in another session, "
                  "must not read bob's private messages")
    response = app_module.app.test_client().get(
        "/chat", query_string={"username": "Bob", "room": room})
    assert response.status_code == 302, (
        "/chat as Bob, while bob is in the room, should send the form back "
        f"with a reason: it answered {response.status_code}")


def test_nobody_outside_the_room_can_be_reached(login, room):
    alice = login("alice", room)
    dave = login("dave", room + "-other")
    dave.get_received()
    expect_refused(private(alice, room, "dave", "hello?"), "send_private",
                   "to dave, who is in another room", contains="dave")
    expect_refused(private(alice, room, "nobody", "hello?"), "send_private",
                   "to a name nobody has", contains="nobody")
    expect_events(received(dave, who="dave"), [],
                  "dave, in another room, should receive nothing")


def test_a_private_message_comes_from_the_session(login, room):
    alice, bob = login("alice", room), login("bob", room)
    login("carol", room)
    bob.get_received()
    expect_refused(private(alice, room, "bob", "hi", username="carol"),
                   "send_private", "from alice claiming to be carol",
                   contains="cannot speak for someone else")
    expect_events(received(bob, who="bob"), [],
                  "a refused private message should reach nobody")


def test_bad_private_messages_are_refused(login, room):
    alice = login("alice", room)
    login("bob", room)
    expect_refused(private(alice, room, "alice", "me?"), "send_private",
                   "to alice herself")
    expect_refused(private(alice, room, "bob", "x" * 1001), "send_private",
                   "of 1001 characters", contains="1000")
    expect_refused(ask(alice, "send_private", {"username": "alice"}),
                   "send_private", "without room, to and message",
                   starts_with="The payload is missing")


def test_private_messages_count_against_the_rate_limit(login, room):
    alice = login("alice", room)
    login("bob", room)
    answers = [private(alice, room, "bob", f"quick {number}")
               for number in range(RATE_LIMIT_TRIES)]
    assert any(answer.get("ok") is False and "too quickly" in answer.get(
        "error", "") for answer in answers if isinstance(answer, dict)), (
        f"{RATE_LIMIT_TRIES} private messages at once should meet the rate "
        "limit, as send_message does, and be refused with a reason that "
        "says 'too quickly': check limiter_of(member.person_id).allow() in "
        "send_private too")


def test_sending_before_joining_is_refused(login, room):
    alice = login("alice", room, join=False)
    login("bob", room)
    answer = private(alice, room, "bob", "hi")
    expect_refused(answer, "send_private", "before join_room")
    expect_refused_on_purpose(answer, "send_private")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_the_page_sends_and_shows_a_private_message(
        chat_page, chat_user, room):
    bob, carol = chat_user("bob", room), chat_user("carol", room)
    page = chat_page("alice", room)
    bob.wait_for("join_room_announcement", username="alice")
    to = page.get_by_label("Private to")
    expect(to, "alice's chat page should have a field labelled 'Private "
           "to' for the name of the one person a message is for"
           ).to_be_editable()
    to.fill("bob")
    page.locator("#message_input").fill("just for you")
    page.locator("#message_input").press("Enter")
    try:
        bob.wait_for("receive_private", username="alice",
                     message="just for you")
    except AssertionError as error:
        raise AssertionError(
            "with bob in 'Private to', alice's page should send it with "
            f"send_private, and bob receive it as receive_private: {error}"
        ) from None
    expect(page.locator("#messages li").last,
           "alice's page should show her private message, naming bob"
           ).to_contain_text("just for you")
    expect(page.locator("#messages li").last).to_contain_text("bob")
    expect_answer(carol.send("marker"), OK, "send_message from carol")
    seen = carol.wait_for("receive_message", message="marker")
    assert not [event for event, _ in seen if event == "receive_private"], (
        "carol should not receive alice's private message to bob")
