"""The Socket.IO events, through Flask-SocketIO's test client (NO:4, NO:7, NO:10)."""
import pytest

from expect import (OK, ask, connect, expect_accepted, expect_answer, expect_events,
                    expect_refused, expect_sent_back, is_refusal, received)

# Also on the exercises' solutions: an exercise keeps its base's behaviour.
pytestmark = [pytest.mark.socketio_test_client, pytest.mark.solutions]


def send(sio, username, room, message):
    return ask(sio, "send_message", {"username": username, "room": room, "message": message})


def joined(username, room):
    return ("join_room_announcement", {"username": username, "room": room})


def left(username, room):
    return ("leave_room_announcement", {"username": username, "room": room})


def message(username, room, text):
    return ("receive_message", {"username": username, "room": room, "message": text})


# Step 2: connecting and joining a room.

@pytest.mark.step(2)
def test_join_is_announced_to_the_others_in_the_room(login, room):
    alice = login("alice", room)
    bob = login("bob", room)
    expect_events(received(alice, who="alice"), [joined("bob", room)],
                  "alice should hear that bob joined her room (join_room_announcement, "
                  "sent to the room)")
    expect_events(received(bob, who="bob"), [],
                  "bob should not hear about his own join (include_self=False): his page "
                  "learns from the answer instead")


@pytest.mark.step(2)
def test_connecting_without_the_form_is_refused(chat_app):
    sio = connect(chat_app)
    assert not sio.is_connected(), (
        "a connection with no name and room in its session should be refused: raise "
        "ConnectionRefusedError in on_connect")


@pytest.mark.parametrize("session_values", [
    {"username": "alice", "room": ""},
    {"username": "alice", "room": None},
    {"username": "", "room": "maths"},
    {"username": "alice"},
])
@pytest.mark.step(2)
def test_a_session_without_a_usable_room_cannot_connect(chat_app, session_values):
    """An empty room would mean "everybody" to Socket.IO: it must never get that far."""
    http = chat_app.app.test_client()
    with http.session_transaction() as session:
        session.update(session_values)
    sio = connect(chat_app, http)
    assert not sio.is_connected(), (
        f"a connection whose session holds {session_values} should be refused: on_connect "
        "should check the session's name and room as /chat does, and raise "
        "ConnectionRefusedError")


# Step 3: messages, to the sender's own room under the sender's own name.

@pytest.mark.step(3)
def test_message_reaches_the_whole_room_and_no_other(login, room):
    alice, bob, carol = login("alice", room), login("bob", room), login("carol", "elsewhere")
    for sio in (alice, bob, carol):
        sio.get_received()
    expect_answer(send(alice, "alice", room, "  hello  "), OK, "send_message",
                  "Return {'ok': True} from the send_message handler.")
    expected = [message("alice", room, "hello")]
    expect_events(received(alice, who="alice"), expected,
                  "the sender gets her own message back, trimmed (receive_message to the room)")
    expect_events(received(bob, who="bob"), expected,
                  "bob, in the same room, should receive alice's message, trimmed")
    expect_events(received(carol, who="carol"), [],
                  "carol, in another room, should receive nothing (emit to=room)")


@pytest.mark.step(3)
def test_longest_message_is_relayed_whole(login, room):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    expect_answer(send(alice, "alice", room, "x" * 1000), OK, "send_message with 1000 "
                  "characters (MAX_MESSAGE_LENGTH)")
    expect_events(received(bob, who="bob"), [message("alice", room, "x" * 1000)],
                  "bob should receive the 1000-character message whole")


@pytest.mark.step(3)
def test_a_message_always_goes_out_under_the_senders_own_name(login, room):
    """The name comes from the session. Before step 4 a false name is ignored; from step 4
    on it is refused: either way nobody reads words alice did not write under her name."""
    alice, mallory = login("alice", room), login("mallory", room)
    alice.get_received()
    answer = send(mallory, "alice", room, "I am alice")
    got = received(alice, who="alice")
    assert message("alice", room, "I am alice") not in got, (
        "mallory's message, which claimed to come from alice, reached the room under "
        "alice's name: take the name from the session, never from the payload")
    if is_refusal(answer):
        expect_events(got, [], "mallory's refused message should reach nobody")
    else:
        expect_answer(answer, OK, "send_message")
        expect_events(got, [message("mallory", room, "I am alice")],
                      "mallory's message should reach the room under her own name, the "
                      "one in her session")


@pytest.mark.parametrize("target_room", ["elsewhere", "", None])
@pytest.mark.step(3)
def test_a_message_never_reaches_a_room_its_sender_did_not_join(login, room, target_room):
    """The room comes from the session. Before step 4 a false room is ignored; from step 4
    on it is refused: either way the other room hears nothing."""
    mallory, alice, bob = login("mallory", room), login("alice", "elsewhere"), login("bob", room)
    for sio in (alice, bob):
        sio.get_received()
    answer = send(mallory, "mallory", target_room, "hi")
    expect_events(received(alice, who="alice"), [],
                  f"mallory sent to room {target_room!r} but joined {room!r}: alice, in room "
                  "'elsewhere', should receive nothing (send to the session's room only)")
    if is_refusal(answer):
        expect_events(received(bob, who="bob"), [],
                      "mallory's refused message should reach nobody")
    else:
        expect_answer(answer, OK, "send_message")
        expect_events(received(bob, who="bob"), [message("mallory", room, "hi")],
                      "mallory's message should go to the room in her session")


# Step 4: who is in the room, and leaving it.

@pytest.mark.step(4)
def test_join_answer_lists_who_is_there(login, room):
    login("alice", room)
    bob = login("bob", room, join=False)
    answer = ask(bob, "join_room", {"username": "bob", "room": room})
    expect_answer(answer, {"ok": True, "members": ["alice", "bob"]}, "join_room",
                  "List the room's members, sorted, the newcomer included: keep who is where "
                  "in a members dict, by request.sid.")


@pytest.mark.step(4)
def test_leave_is_announced_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    alice.get_received()
    expect_answer(ask(bob, "leave_room", {"username": "bob", "room": room}), OK, "leave_room",
                  "Return {'ok': True} from the leave_room handler.")
    bob.disconnect()
    expect_events(received(alice, who="alice"), [left("bob", room)],
                  "alice should hear once that bob left: on leave_room, and not again when "
                  "his connection closes (remove him from members)")


@pytest.mark.step(4)
def test_closing_the_connection_announces_the_leave_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    alice.get_received()
    bob.disconnect()
    expect_events(received(alice, who="alice"), [left("bob", room)],
                  "alice should hear once that bob left when his connection closed "
                  "(leave_room_announcement from the disconnect handler)")


@pytest.mark.step(4)
def test_joining_twice_is_announced_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    expect_accepted(ask(bob, "join_room", {"username": "bob", "room": room}),
                    "join_room a second time")
    expect_events(received(alice, who="alice"), [joined("bob", room)],
                  "alice should hear once that bob joined, although his page joined twice "
                  "(announce only a connection that is not in members yet)")



# Step 4 also: a name is one person's in its room. Names are compared as people read them,
# after NFKC (fullwidth letters, ligatures) and case folding.

def taken(holder, room):
    return f"Somebody called {holder} is in room {room} already. Please choose another name."


LOOKALIKES = [
    pytest.param("alice", "alice", id="the same name"),
    pytest.param("alice", " ALICE ", id="capitals"),
    pytest.param("Alice", "\uff21\uff4c\uff49\uff43\uff45", id="fullwidth letters"),
    pytest.param("fiona", "\ufb01ona", id="the ligature fi"),
    pytest.param("Straße", "STRASSE", id="sharp s"),
]


@pytest.mark.parametrize(("holder", "asked"), LOOKALIKES)
@pytest.mark.step(4)
def test_a_name_in_use_in_the_room_is_refused_on_the_form(login, client, room, holder,
                                                          asked):
    login(holder, room)
    expect_sent_back(client, {"username": asked, "room": room}, taken(holder, room))


@pytest.mark.parametrize(("holder", "asked"), LOOKALIKES[:2])
@pytest.mark.step(4)
def test_a_name_taken_since_the_form_is_refused_on_join(login, room, holder, asked):
    """Both sent the form while the name was free; the first to join gets it. A page could
    also skip the form's check: join_room checks again."""
    late = login(asked, room, join=False)
    first = login(holder, room)
    answer = ask(late, "join_room", {"username": asked.strip(), "room": room})
    expect_refused(answer, "join_room", f"as {asked!r} after {holder!r} joined",
                   error=taken(holder, room))
    expect_events(received(first, who=holder), [],
                  "the room should hear nothing of a refused join")


@pytest.mark.step(4)
def test_the_same_person_may_open_the_room_in_a_second_tab(login, client, room):
    """The same browser (the same signed session) is the same person: a second tab, or a
    page that reconnects, keeps the name."""
    login("alice", room, browser=client)
    login("alice", room, browser=client)


@pytest.mark.parametrize("goodbye", ["leave_room", "disconnect"])
@pytest.mark.step(4)
def test_a_name_is_free_again_when_its_last_page_has_left(chat_app, login, room, goodbye):
    browser = chat_app.app.test_client()
    tabs = [login("alice", room, browser=browser) for _ in range(2)]
    for number, tab in enumerate(tabs, 1):
        if goodbye == "leave_room":
            expect_answer(ask(tab, goodbye, {"username": "alice", "room": room}), OK,
                          "leave_room")
        else:
            tab.disconnect()
        if number < len(tabs):
            expect_sent_back(chat_app.app.test_client(), {"username": "alice", "room": room},
                             taken("alice", room))
    login("ALICE", room)


@pytest.mark.parametrize("text", [
    pytest.param("\U0001f469\u200d\U0001f4bb", id="U+200D joins an emoji"),
    pytest.param("Donau\u00addampf\u00adschiff", id="U+00AD soft hyphens"),
])
@pytest.mark.step(4)
def test_a_message_keeps_its_format_characters(login, room, text):
    """Names refuse format characters; messages need them (emoji sequences, hyphens)."""
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    expect_answer(send(alice, "alice", room, text), OK, f"send_message with {text!r}")
    expect_events(received(bob, who="bob"), [message("alice", room, text)],
                  "bob should receive the message exactly as alice typed it")


# Step 5: bad input gets a reason, never a traceback.

MALFORMED = [
    pytest.param((), "Send an object with the keys", id="no payload"),
    pytest.param((None,), "Send an object with the keys", id="null"),
    pytest.param(("hello",), "Send an object with the keys", id="string"),
    pytest.param((42,), "Send an object with the keys", id="number"),
    pytest.param(([1, 2],), "Send an object with the keys", id="list"),
    pytest.param(({},), "The payload is missing", id="empty object"),
    pytest.param(({"username": 1, "room": "r", "message": "m"},), "The username must be text.",
                 id="number for username"),
    pytest.param(({"username": "alice", "room": {"nested": "r"}, "message": "m"},),
                 "The room must be text.", id="nested room"),
    pytest.param(({"username": "alice", "room": ["r"], "message": "m"},),
                 "The room must be text.", id="list for room"),
]


@pytest.mark.parametrize("event", ["join_room", "send_message", "leave_room"])
@pytest.mark.parametrize(("args", "error"), MALFORMED)
@pytest.mark.step(5)
def test_malformed_payloads_get_a_reason_not_a_traceback(login, room, caplog, event, args,
                                                         error):
    alice = login("alice", room, join=event != "join_room")
    answer = ask(alice, event, *args)
    sent = f"with the payload {args[0]!r}" if args else "with no payload"
    expect_refused(answer, event, sent, starts_with=error)
    assert "Traceback" not in caplog.text, (
        f"a malformed {event} should be refused without a traceback in the log:\n"
        f"{caplog.text}")
    assert alice.is_connected(), f"a malformed {event} should not cost alice her connection"


@pytest.mark.parametrize(("text", "error"), [
    ("", "Please enter a message."),
    ("   \n ", "Please enter a message."),
    ("x" * 1001, "The message can be at most 1000 characters long."),
    ("bell\x07", "The message cannot contain control characters."),
    ({"text": "hi"}, "The message must be text."),
    (None, "The message must be text."),
])
@pytest.mark.step(5)
def test_bad_messages_are_refused_and_not_relayed(login, room, text, error):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    what = f"{len(text)} characters" if isinstance(text, str) and len(text) > 20 else repr(text)
    expect_refused(send(alice, "alice", room, text), "send_message",
                   f"with the message {what}", error=error)
    expect_events(received(bob, who="bob"), [], "a refused message should reach nobody")


@pytest.mark.step(5)
def test_nobody_can_send_as_someone_else(login, room):
    alice, mallory = login("alice", room), login("mallory", room)
    alice.get_received()
    expect_refused(send(mallory, "alice", room, "I am alice"), "send_message",
                   "from mallory claiming to be alice",
                   contains="you cannot speak for someone else")
    expect_events(received(alice, who="alice"), [], "a refused message should reach nobody")


@pytest.mark.parametrize("target_room", ["elsewhere", "", None])
@pytest.mark.step(5)
def test_nobody_can_send_to_a_room_they_did_not_join(login, room, target_room):
    mallory, alice, bob = login("mallory", room), login("alice", "elsewhere"), login("bob", room)
    for sio in (alice, bob):
        sio.get_received()
    expect_refused(send(mallory, "mallory", target_room, "hi"), "send_message",
                   f"to room {target_room!r} from mallory, who joined {room!r}")
    expect_events(received(alice, who="alice") + received(bob, who="bob"), [],
                  "a refused message should reach nobody")


@pytest.mark.step(5)
def test_joining_another_room_than_the_session_is_refused(login, room):
    mallory = login("mallory", room, join=False)
    answer = ask(mallory, "join_room", {"username": "mallory", "room": "secret"})
    expect_refused(answer, "join_room", f"for room 'secret' from mallory, whose session says "
                   f"{room!r}",
                   error=f"You are in room {room}; go back to the start page to change rooms.")


@pytest.mark.step(5)
def test_sending_before_joining_is_refused(login, room):
    alice = login("alice", room, join=False)
    expect_refused(send(alice, "alice", room, "hi"), "send_message", "before join_room",
                   error="Join a room before sending messages.")


# Step 6: a page that reconnects.

@pytest.mark.step(6)
def test_a_reconnecting_page_replaces_its_dead_connection_quietly(login, client, room):
    """The network dropped, the page reconnected before the server noticed: no ghost."""
    alice = login("alice", room)
    old_bob = login("bob", room, browser=client, page_id="page-1")
    alice.get_received()
    new_bob = login("bob", room, browser=client, page_id="page-1")
    assert not old_bob.is_connected(), (
        "a second join with the same page_id should disconnect the page's older connection")
    expect_events(received(alice, who="alice"), [],
                  "alice should hear neither a leave nor a second join when bob's page "
                  "reconnects")
    expect_answer(send(new_bob, "bob", room, "back"), OK, "send_message after a reconnection")
    expect_events(received(alice, "receive_message", who="alice"),
                  [message("bob", room, "back")], "alice should receive bob's message")
    new_bob.disconnect()
    expect_events(received(alice, who="alice"), [left("bob", room)],
                  "alice should hear once that bob left when his new connection closed")


@pytest.mark.step(6)
def test_another_page_of_the_same_person_is_a_second_member(login, client, room):
    alice = login("alice", room)
    login("bob", room, browser=client, page_id="page-1")
    login("bob", room, browser=client, page_id="page-2")
    expect_events(received(alice, "join_room_announcement", who="alice"),
                  [joined("bob", room)] * 2,
                  "alice should hear bob join twice: two pages (page_ids) are two members")


@pytest.mark.parametrize("page_id", [True, 7, [1], {"id": "p"}, "", "p" * 65],
                         ids=["true", "number", "list", "object", "empty", "65 characters"])
@pytest.mark.step(6)
def test_a_join_with_an_unusable_page_id_is_refused_and_joins_nothing(login, room, page_id):
    """The whole payload is checked before the connection joins anything: a refused join
    must leave it outside the room, hearing nothing and able to say nothing."""
    alice = login("alice", room)
    mallory = login("mallory", room, join=False)
    answer = ask(mallory, "join_room", {"username": "mallory", "room": room,
                                        "page_id": page_id})
    expect_refused(answer, "join_room", f"with page_id {page_id!r}", contains="page id")
    expect_answer(send(alice, "alice", room, "hello"), OK, "send_message")
    expect_events(received(mallory, "receive_message", who="mallory"), [],
                  "a connection whose join_room was refused should receive nothing of the "
                  "room: check the page_id (read_page_id) before join_room()")
    expect_refused(send(mallory, "mallory", room, "I am in"), "send_message",
                   "after a refused join_room", error="Join a room before sending messages.")


# Step 7 (the finished part): a rate limit.

# The limit refills one message in 100 s here (the burst stays the default):
# at the default 5 a second, a busy machine that takes more than 0.2 s for the
# burst has a message back by the last send, which is then accepted (seen).
@pytest.mark.step(7)
@pytest.mark.app_env(CHAT_MESSAGES_PER_SECOND="0.01")
def test_sending_too_fast_is_throttled_with_a_reason(chat_app, login, room):
    burst = getattr(chat_app, "MESSAGE_BURST", None)
    assert isinstance(burst, int), "app.py should set MESSAGE_BURST, the messages allowed at once"
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    answers = [send(alice, "alice", room, f"m{i}") for i in range(burst + 1)]
    for number, answer in enumerate(answers[:-1], 1):
        expect_answer(answer, OK, f"send_message number {number} of a burst of {burst}")
    expect_refused(answers[-1], "send_message", f"number {burst + 1} at once",
                   contains="too quickly")
    got = received(bob, "receive_message", who="bob")
    assert len(got) == burst, (
        f"bob should receive the {burst} messages that were accepted: he got {len(got)}")


ONE_BUCKET_PER_PERSON = (
    "The bucket should be the person's, shared by all of their connections: "
    "limiter_of(member.person_id) in send_message, not a RateLimiter per connection")


def send_a_burst(chat_app, sio, username, room):
    burst = getattr(chat_app, "MESSAGE_BURST", None)
    assert isinstance(burst, int), "app.py should set MESSAGE_BURST, the messages allowed at once"
    for number in range(1, burst + 1):
        expect_answer(send(sio, username, room, f"m{number}"), OK,
                      f"send_message number {number} of a burst of {burst}")


@pytest.mark.step(7)
@pytest.mark.app_env(CHAT_MESSAGES_PER_SECOND="0.01")
def test_the_tabs_of_one_person_share_one_rate_limit(chat_app, login, client, room):
    """Six tabs must not send six bursts: the limit is the person's (person_id)."""
    first_tab = login("alice", room, browser=client, page_id="tab-1")
    second_tab = login("alice", room, browser=client, page_id="tab-2")
    send_a_burst(chat_app, first_tab, "alice", room)
    expect_refused(send(second_tab, "alice", room, "one more"), "send_message",
                   "from alice's second tab, after a burst from her first",
                   contains="too quickly", fix=ONE_BUCKET_PER_PERSON)


@pytest.mark.step(7)
@pytest.mark.app_env(CHAT_MESSAGES_PER_SECOND="0.01")
def test_a_new_connection_brings_no_new_burst(chat_app, login, client, room):
    tab = login("alice", room, browser=client, page_id="tab-1")
    send_a_burst(chat_app, tab, "alice", room)
    tab.disconnect()
    again = login("alice", room, browser=client, page_id="tab-2")
    expect_refused(send(again, "alice", room, "one more"), "send_message",
                   "from alice's new connection, right after a burst from her old one",
                   contains="too quickly", fix=ONE_BUCKET_PER_PERSON)


@pytest.mark.step(7)
def test_a_person_has_a_cap_on_open_pages(chat_app, login, client, room):
    cap = getattr(chat_app, "MAX_PAGES_PER_PERSON", None)
    assert isinstance(cap, int), (
        "app.py should set MAX_PAGES_PER_PERSON, the chat pages one person may have open")
    pages = [login("alice", room, browser=client, page_id=f"tab-{n}", join=False)
             for n in range(cap)]
    one_more = connect(chat_app, client)
    assert not one_more.is_connected(), (
        f"alice's connection number {cap + 1} should be refused (ConnectionRefusedError in "
        f"on_connect): one person may have MAX_PAGES_PER_PERSON ({cap}) pages open")
    pages[0].disconnect()
    freed = connect(chat_app, client)
    assert freed.is_connected(), (
        "once alice has closed a page she should be able to open another: on_disconnect "
        "should count her open pages down")
    freed.disconnect()


# Step 7 also: names that look alike across scripts, or hide what they hold.
# NFKC and casefold() (step 4) leave other scripts' letters alone: a Cyrillic
# "а" looks exactly like a Latin "a".
SKELETON_FIX = ("name_key() should also map letters that look alike to one "
                "(plain_letter(), with confusable_homoglyphs)")
OTHER_SCRIPTS = [
    pytest.param("alice", "\u0430lice", id="Cyrillic a"),
    pytest.param("alice", "alic\u0435", id="Cyrillic e"),
    pytest.param("Olga", "\u039flga", id="Greek capital O"),
]


@pytest.mark.parametrize(("holder", "asked"), OTHER_SCRIPTS)
@pytest.mark.step(7)
def test_a_name_of_lookalike_letters_is_refused_on_the_form(login, client, room,
                                                          holder, asked):
    login(holder, room)
    expect_sent_back(client, {"username": asked, "room": room}, taken(holder, room),
                     fix=SKELETON_FIX)


@pytest.mark.parametrize(("holder", "asked"), OTHER_SCRIPTS[:1])
@pytest.mark.step(7)
def test_a_name_of_lookalike_letters_is_refused_on_join(login, room, holder, asked):
    late = login(asked, room, join=False)
    login(holder, room)
    answer = ask(late, "join_room", {"username": asked, "room": room})
    expect_refused(answer, "join_room", f"as {asked!r} after {holder!r} joined",
                   error=taken(holder, room), fix=SKELETON_FIX)


@pytest.mark.parametrize("name", ["Ольга", "李明", "José", "Zoë", "Ωmega"])
@pytest.mark.step(7)
def test_names_in_any_script_still_join(login, room, name):
    """The look-alike check compares names; it refuses no script."""
    login("alice", room)
    login(name, room)
