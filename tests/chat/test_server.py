"""The real server, started as the README says, driven by real Socket.IO clients."""
import json
import os
import subprocess
import sys
import threading

import pytest
import requests

from harness.chat_user import TIMEOUT
from harness.chat_user import __file__ as CHAT_USER_SCRIPT
from expect import OK, expect_accepted, expect_answer, expect_in_page, expect_refused
from harness.chat_user import ChatUser, Lurker
from harness.servers import Server, free_port, listening_addresses
from harness.stack import CHAT_ENV, start_checkpoint

SECOND_COPY_TIMEOUT = 15  # seconds a second copy on a taken port may take to give up


def joined(user):
    expect_accepted(user.join(), f"join_room from {user.username}")
    return user


@pytest.mark.step(1)
def test_serves_the_start_page_and_the_chat_page(server):
    start = requests.get(server.url + "/", timeout=TIMEOUT)
    expect_in_page(start.text, "Join the chat", "the form's button (GET / answered "
                   f"{start.status_code})")
    chat = requests.get(server.url + "/chat", params={"username": "a", "room": "r"},
                        timeout=TIMEOUT)
    assert chat.status_code == 200, f"/chat with a name and a room answered {chat.status_code}"
    expect_in_page(chat.text, "Room: <span>r</span>", "the room as its heading")


@pytest.mark.step(1)
def test_only_listens_on_loopback_by_default(server):
    addresses = listening_addresses(server.port)
    assert addresses == {"127.0.0.1"}, (
        "python app.py should listen on 127.0.0.1 only, unless HOST says otherwise: it "
        f"listens on {addresses}")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.step(2)
def test_a_join_is_announced_to_the_room(chat_user, room, transport):
    alice = joined(chat_user("alice", room, transport))
    joined(chat_user("bob", room, transport))
    alice.wait_for("join_room_announcement", username="bob")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.step(3)
def test_two_users_chat_in_a_room(chat_user, room, transport):
    alice = joined(chat_user("alice", room, transport))
    bob = joined(chat_user("bob", room, transport))
    alice.wait_for("join_room_announcement", username="bob")

    expect_answer(alice.send("hi bob"), OK, "send_message from alice")
    expect_answer(bob.send("hi alice"), OK, "send_message from bob")
    for user in (alice, bob):
        user.wait_for("receive_message", username="alice", message="hi bob")
        user.wait_for("receive_message", username="bob", message="hi alice")


@pytest.mark.step(3)
def test_a_user_in_another_room_sees_nothing(chat_user, room):
    alice, bob = joined(chat_user("alice", room)), joined(chat_user("bob", room))
    carol = joined(chat_user("carol", room + "-other"))
    expect_answer(alice.send("for this room only"), OK, "send_message from alice")
    bob.wait_for("receive_message", message="for this room only")
    # Carol's own message comes back to her after anything sent earlier would have.
    expect_answer(carol.send("marker"), OK, "send_message from carol")
    before_marker = carol.wait_for("receive_message", message="marker")
    got = [(event, data.get("username")) for event, data in before_marker]
    assert got == [("receive_message", "carol")], (
        f"carol, alone in another room, should receive only her own message: she got {got}")


@pytest.mark.step(4)
def test_an_abrupt_drop_is_announced_as_a_leave(server, chat_user, room):
    alice = joined(chat_user("alice", room))
    # Bob is a separate process that gets killed: no goodbye, the socket just dies.
    bob = subprocess.Popen([sys.executable, CHAT_USER_SCRIPT, server.url, "bob", room],
                           stdout=subprocess.PIPE, text=True)
    try:
        said = bob.stdout.readline().strip()
        assert said == "joined", f"bob's process could not join the room: {said!r}"
        alice.wait_for("join_room_announcement", username="bob")
    finally:
        bob.kill()
        bob.wait(TIMEOUT)
        bob.stdout.close()
    events = alice.wait_for("leave_room_announcement", username="bob")
    leaves = [name for name, _ in events].count("leave_room_announcement")
    assert leaves == 1, f"bob's leave should be announced once: alice heard it {leaves} times"



@pytest.mark.step(4)
def test_a_name_is_one_persons_in_its_room(server, chat_user, room):
    """On the real server too (in part 4: on whichever process each page reaches)."""
    late = chat_user("alice", room)  # sent the form while the name was free
    joined(chat_user("Alice", room))
    reason = f"Somebody called Alice is in room {room} already. Please choose another name."
    expect_refused(late.join(), "join_room", "as alice after Alice joined", error=reason)
    start = requests.get(server.url + "/chat", params={"username": "ALICE", "room": room},
                         timeout=TIMEOUT)
    assert [step.status_code for step in start.history] == [302], (
        f"/chat as ALICE, while Alice is in the room, should redirect to the start page: "
        f"it answered {start.status_code} {start.url}")
    expect_in_page(start.text, reason, "the reason, flashed by /chat")


@pytest.mark.step(5)
def test_bad_input_gets_reasons_and_the_server_keeps_serving(server, chat_user, room):
    alice = joined(chat_user("alice", room))
    for payload in (None, "text", 7, [1], {}, {"username": "alice", "room": {"x": 1}}):
        expect_refused(alice.call("send_message", payload), "send_message",
                       f"with the payload {payload!r}")
    expect_refused(alice.send("x" * 1001), "send_message", "with 1001 characters")
    expect_answer(alice.send("still here"), OK, "send_message after the refusals")
    assert "Traceback" not in server.log(), (
        f"bad input should be refused without a traceback in the log:\n{server.log()}")


@pytest.mark.step(5)
def test_an_oversized_packet_is_dropped_without_hurting_the_server(server, chat_user, room):
    mallory = joined(chat_user("mallory", room))
    mallory.sio.emit("send_message", {"username": "mallory", "room": room,
                                      "message": "x" * 100_000})
    assert mallory.disconnected.wait(TIMEOUT), (
        "a 100 KB packet should make the server hang up: "
        "SocketIO(app, max_http_buffer_size=MAX_PACKET_BYTES) caps a packet at 16 KB")
    alice = joined(chat_user("alice", room))
    expect_answer(alice.send("fine"), OK, "send_message after the oversized packet")
    assert "Traceback" not in server.log(), (
        f"an oversized packet should leave no traceback in the log:\n{server.log()}")


@pytest.mark.step(7)
def test_a_second_copy_on_a_taken_port_stops_at_once_and_says_why(server, checkpoint):
    """eventlet listens with SO_REUSEPORT, so without a check of its own a second `python
    app.py` on the same port starts without a word and takes about half the connections."""
    second = Server("python app.py", cwd=checkpoint, port=server.port)
    try:
        second.process.wait(SECOND_COPY_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise AssertionError(
            f"a second python app.py on the taken port {server.port} should stop at once: "
            f"it still ran after {SECOND_COPY_TIMEOUT} s, sharing the port with the first "
            "(check the port with a test socket before socketio.run())") from None
    finally:
        second.close()
    log = second.log()
    assert second.process.returncode != 0, (
        f"the second copy should exit with a non-zero status: it exited with 0:\n{log}")
    assert f"Port {server.port} is already in use" in log and "Traceback" not in log, (
        f"the second copy should say in a sentence that port {server.port} is already in "
        f"use, without a traceback; it printed:\n{log}")
    first = requests.get(server.url + "/", timeout=TIMEOUT)
    assert first.status_code == 200, (
        f"the first copy should still serve: GET / answered {first.status_code}")


UNREAD_TIMEOUT = 30  # seconds: the check runs every second
BATCH = 50  # messages sent at once, then answered: fewer than redis-py's 100 connections


def send_in_batches(user, count):
    """`count` messages from `user`, BATCH at a time, each batch answered before the next
    (bounded: a batch waits TIMEOUT at most)."""
    answered = threading.Semaphore(0)
    for first in range(0, count, BATCH):
        for number in range(first, min(first + BATCH, count)):
            user.sio.emit("send_message", {**user.join_payload(), "message": f"m{number}"},
                          callback=lambda *answer: answered.release())
        for _ in range(first, min(first + BATCH, count)):
            assert answered.acquire(timeout=TIMEOUT), (
                f"send_message from {user.username} got no answer within {TIMEOUT} s")


@pytest.mark.step(7)
def test_a_member_who_reads_nothing_is_disconnected(checkpoint, room):
    """A page that never reads would keep every message of its room queued in the server's
    memory, without end. Over MAX_UNREAD_PACKETS (1,000) it is disconnected."""
    fast = {**CHAT_ENV, "CHAT_MESSAGES_PER_SECOND": "100000",
            "CHAT_MESSAGE_BURST": "100000"}
    server = start_checkpoint(checkpoint, env=fast)
    try:
        server.wait_until_serving()
        lurker = Lurker(server.url, room)
        alice = ChatUser(server.url, "alice", room)
        try:
            expect_accepted(alice.join(), "join_room from alice")
            send_in_batches(alice, 1100)
            try:
                alice.wait_for("leave_room_announcement", timeout=UNREAD_TIMEOUT,
                               username="lurker")
            except AssertionError:
                raise AssertionError(
                    "a member who read none of 1,100 messages should be disconnected "
                    f"within {UNREAD_TIMEOUT} s (the room then hears that it left): "
                    "start cut_off_slow_readers() with socketio.start_background_task"
                ) from None
        finally:
            alice.close()
            lurker.close()
        log = server.log()
        assert "too much unread" in log and "Traceback" not in log, (
            "the server should log that it disconnected the lurker, with no traceback:\n"
            + log[-3000:])
    finally:
        server.close()


RUN_AND_SAY_HOW = """
import json, runpy, flask_socketio
def run(self, app, **options):
    print("socketio.run:", json.dumps(options, default=str))
flask_socketio.SocketIO.run = run
runpy.run_path("app.py", run_name="__main__")
"""


@pytest.mark.step(7)
@pytest.mark.only_finished(part=2)
def test_python_app_py_closes_idle_sockets_and_serves_what_make_class_asks(checkpoint):
    """eventlet keeps an idle socket open for ever; socket_timeout closes it (a fact test
    in test_library_facts.py shows eventlet does). Live pages are never idle that long:
    Socket.IO pings every 25 s. And eventlet serves 1,024 connections at once unless told
    more (max_size): `make class` raises it above its guard's total."""
    result = subprocess.run([sys.executable, "-c", RUN_AND_SAY_HOW], cwd=checkpoint,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "SECRET_KEY": "test",
                                 "PORT": str(free_port()),
                                 "CHAT_MAX_CONNECTIONS": "5000"})
    said = [line for line in result.stdout.splitlines() if line.startswith("socketio.run:")]
    assert said, f"python app.py should call socketio.run(); it printed:\n{result.stderr}"
    options = json.loads(said[0].removeprefix("socketio.run:"))
    timeout = options.get("socket_timeout")
    assert isinstance(timeout, int | float) and 25 < timeout <= 300, (
        "python app.py should pass socket_timeout=60 to socketio.run(), so that eventlet "
        f"closes a connection idle for a minute: it passed {options}")
    assert options.get("max_size") == 5000, (
        "with CHAT_MAX_CONNECTIONS=5000, python app.py should pass max_size=5000 to "
        f"socketio.run(), so that eventlet serves that many at once: it passed {options}")
