"""The real server, started as the README says, driven by real Socket.IO clients."""
import subprocess
import sys

import pytest
import requests

from chat_user import TIMEOUT
from chat_user import __file__ as CHAT_USER_SCRIPT
from servers import listening_addresses


def test_serves_the_start_page_and_the_chat_page(server):
    assert "Join the chat" in requests.get(server.url + "/", timeout=5).text
    chat = requests.get(server.url + "/chat", params={"username": "a", "room": "r"}, timeout=5)
    assert chat.status_code == 200 and 'data-room="r"' in chat.text


def test_only_listens_on_loopback_by_default(server):
    assert listening_addresses(server.port) == {"127.0.0.1"}


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_two_users_chat_in_a_room(chat_user, room, transport):
    alice = chat_user("alice", room, transport)
    bob = chat_user("bob", room, transport)
    assert alice.join()["ok"] and bob.join()["ok"]
    alice.wait_for("join_room_announcement", username="bob")

    assert alice.send("hi bob") == {"ok": True}
    assert bob.send("hi alice") == {"ok": True}
    for user in (alice, bob):
        user.wait_for("receive_message", username="alice", message="hi bob")
        user.wait_for("receive_message", username="bob", message="hi alice")


def test_a_user_in_another_room_sees_nothing(chat_user, room):
    alice, bob = chat_user("alice", room), chat_user("bob", room)
    carol = chat_user("carol", room + "-other")
    for user in (alice, bob, carol):
        assert user.join()["ok"]
    assert alice.send("for this room only") == {"ok": True}
    bob.wait_for("receive_message", message="for this room only")
    # Carol's own message comes back to her after anything sent earlier would have.
    assert carol.send("marker") == {"ok": True}
    before_marker = carol.wait_for("receive_message", message="marker")
    assert [(event, data["username"]) for event, data in before_marker] == [
        ("receive_message", "carol")]


def test_an_abrupt_drop_is_announced_as_a_leave(server, chat_user, room):
    alice = chat_user("alice", room)
    assert alice.join()["ok"]
    # Bob is a separate process that gets killed: no goodbye, the socket just dies.
    bob = subprocess.Popen([sys.executable, CHAT_USER_SCRIPT, server.url, "bob", room],
                           stdout=subprocess.PIPE, text=True)
    try:
        assert bob.stdout.readline().strip() == "joined"
        alice.wait_for("join_room_announcement", username="bob")
    finally:
        bob.kill()
        bob.wait(TIMEOUT)
        bob.stdout.close()
    events = alice.wait_for("leave_room_announcement", username="bob")
    assert [name for name, _ in events].count("leave_room_announcement") == 1


def test_bad_input_gets_reasons_and_the_server_keeps_serving(server, chat_user, room):
    alice = chat_user("alice", room)
    assert alice.join()["ok"]
    for payload in (None, "text", 7, [1], {}, {"username": "alice", "room": {"x": 1}}):
        ack = alice.call("send_message", payload)
        assert ack["ok"] is False and ack["error"]
    assert alice.send("x" * 1001)["ok"] is False
    assert alice.send("still here") == {"ok": True}
    assert "Traceback" not in server.log()


def test_an_oversized_packet_is_dropped_without_hurting_the_server(server, chat_user, room):
    mallory = chat_user("mallory", room)
    mallory.join()
    mallory.sio.emit("send_message", {"username": "mallory", "room": room,
                                      "message": "x" * 100_000})
    assert mallory.disconnected.wait(TIMEOUT)  # engine.io hangs up on a packet this big
    alice = chat_user("alice", room)
    assert alice.join()["ok"] and alice.send("fine") == {"ok": True}
    assert "Traceback" not in server.log()
