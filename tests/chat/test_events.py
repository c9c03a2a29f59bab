"""The Socket.IO events, through Flask-SocketIO's test client (NO:4, NO:7, NO:10)."""
import pytest

pytestmark = pytest.mark.socketio_test_client


def received(sio, event=None):
    """The events a test client got since the last call: [(name, payload), ...]."""
    events = [(e["name"], e["args"][0] if e["args"] else None) for e in sio.get_received()]
    return [item for item in events if event is None or item[0] == event]


def send(sio, username, room, message):
    return sio.emit("send_message", {"username": username, "room": room, "message": message},
                    callback=True)


def test_join_is_announced_to_the_others_in_the_room(login, room):
    alice = login("alice", room)
    bob = login("bob", room)
    assert received(alice) == [("join_room_announcement", {"username": "bob", "room": room})]
    assert received(bob) == []  # bob's own page learns from the acknowledgement instead


def test_join_acknowledgement_lists_who_is_there(login, room):
    login("alice", room)
    bob = login("bob", room, join=False)
    ack = bob.emit("join_room", {"username": "bob", "room": room}, callback=True)
    assert ack == {"ok": True, "members": ["alice", "bob"]}


def test_message_reaches_the_whole_room_and_no_other(login, room):
    alice, bob, carol = login("alice", room), login("bob", room), login("carol", "elsewhere")
    for sio in (alice, bob, carol):
        sio.get_received()
    assert send(alice, "alice", room, "  hello  ") == {"ok": True}
    expected = [("receive_message", {"username": "alice", "room": room, "message": "hello"})]
    assert received(alice) == expected
    assert received(bob) == expected
    assert received(carol) == []


def test_connecting_without_the_form_is_refused(chat_app):
    sio = chat_app.socketio.test_client(chat_app.app)
    assert not sio.is_connected()


@pytest.mark.parametrize("session_values", [
    {"username": "alice", "room": ""},
    {"username": "alice", "room": None},
    {"username": "", "room": "maths"},
    {"username": "alice"},
])
def test_a_session_without_a_usable_room_cannot_connect(chat_app, session_values):
    """An empty room would mean "everybody" to Socket.IO: it must never get that far."""
    http = chat_app.app.test_client()
    with http.session_transaction() as session:
        session.update(session_values)
    sio = chat_app.socketio.test_client(chat_app.app, flask_test_client=http)
    assert not sio.is_connected()


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
def test_malformed_payloads_get_a_reason_not_a_traceback(login, room, caplog, event, args,
                                                         error):
    alice = login("alice", room, join=event != "join_room")
    ack = alice.emit(event, *args, callback=True)
    assert ack["ok"] is False
    assert ack["error"].startswith(error)
    assert "Traceback" not in caplog.text
    assert alice.is_connected()


@pytest.mark.parametrize(("message", "error"), [
    ("", "Please enter a message."),
    ("   \n ", "Please enter a message."),
    ("x" * 1001, "The message can be at most 1000 characters long."),
    ("bell\x07", "The message cannot contain control characters."),
    ({"text": "hi"}, "The message must be text."),
    (None, "The message must be text."),
])
def test_bad_messages_are_refused_and_not_relayed(login, room, message, error):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    assert send(alice, "alice", room, message) == {"ok": False, "error": error}
    assert received(bob) == []


def test_longest_message_is_relayed_whole(login, room):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    assert send(alice, "alice", room, "x" * 1000) == {"ok": True}
    assert received(bob)[0][1]["message"] == "x" * 1000


def test_nobody_can_send_as_someone_else(login, room):
    alice, mallory = login("alice", room), login("mallory", room)
    alice.get_received()
    ack = send(mallory, "alice", room, "I am alice")
    assert ack["ok"] is False and "you cannot speak for someone else" in ack["error"]
    assert received(alice) == []


@pytest.mark.parametrize("target_room", ["elsewhere", "", None])
def test_nobody_can_send_to_a_room_they_did_not_join(login, room, target_room):
    mallory, alice, bob = login("mallory", room), login("alice", "elsewhere"), login("bob", room)
    for sio in (alice, bob):
        sio.get_received()
    ack = send(mallory, "mallory", target_room, "hi")
    assert ack["ok"] is False
    assert received(alice) == [] and received(bob) == []


def test_joining_another_room_than_the_session_is_refused(login, room):
    mallory = login("mallory", room, join=False)
    ack = mallory.emit("join_room", {"username": "mallory", "room": "secret"}, callback=True)
    assert ack == {"ok": False,
                   "error": f"You are in room {room}; go back to the start page to change rooms."}


def test_sending_before_joining_is_refused(login, room):
    alice = login("alice", room, join=False)
    assert send(alice, "alice", room, "hi") == {"ok": False,
                                                "error": "Join a room before sending messages."}


def test_sending_too_fast_is_throttled_with_a_reason(chat_app, login, room):
    alice, bob = login("alice", room), login("bob", room)
    bob.get_received()
    acks = [send(alice, "alice", room, f"m{i}") for i in range(chat_app.MESSAGE_BURST + 1)]
    assert all(ack == {"ok": True} for ack in acks[:-1])
    assert acks[-1]["ok"] is False and "too quickly" in acks[-1]["error"]
    assert len(received(bob, "receive_message")) == chat_app.MESSAGE_BURST


def test_leave_is_announced_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    alice.get_received()
    assert bob.emit("leave_room", {"username": "bob", "room": room}, callback=True) == {"ok": True}
    bob.disconnect()
    assert received(alice) == [("leave_room_announcement", {"username": "bob", "room": room})]


def test_closing_the_connection_announces_the_leave_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    alice.get_received()
    bob.disconnect()
    assert received(alice) == [("leave_room_announcement", {"username": "bob", "room": room})]


def test_joining_twice_is_announced_once(login, room):
    alice, bob = login("alice", room), login("bob", room)
    ack = bob.emit("join_room", {"username": "bob", "room": room}, callback=True)
    assert ack["ok"] is True
    assert received(alice) == [("join_room_announcement", {"username": "bob", "room": room})]


def test_a_reconnecting_page_replaces_its_dead_connection_quietly(login, room):
    """The network dropped, the page reconnected before the server noticed: no ghost."""
    alice = login("alice", room)
    old_bob = login("bob", room, page_id="page-1")
    alice.get_received()
    new_bob = login("bob", room, page_id="page-1")
    assert not old_bob.is_connected()
    assert received(alice) == []  # neither a leave nor a second join
    send(new_bob, "bob", room, "back")
    assert received(alice, "receive_message")[0][1]["message"] == "back"
    new_bob.disconnect()
    assert received(alice) == [("leave_room_announcement", {"username": "bob", "room": room})]


def test_another_page_of_the_same_person_is_a_second_member(login, room):
    alice = login("alice", room)
    login("bob", room, page_id="page-1")
    login("bob", room, page_id="page-2")
    assert len(received(alice, "join_room_announcement")) == 2
