"""part4_scale through nginx with real redis-server and several chat processes."""
import json
import signal
import time

import pytest
import redis
import requests

from chat_user import TIMEOUT, ChatUser
from checkpoints import REPO
from servers import Server, require_programs
from stack import RedisServer, ScaledChat

PART4 = REPO / "part4_scale"
RECOVERY_TIMEOUT = 15  # seconds a room may take to work again after Redis restarts


@pytest.fixture
def make_stack():
    stacks = []

    def make_stack(**options):
        require_programs("redis-server", "nginx")
        stack = ScaledChat(PART4, env={"SECRET_KEY": "test"}, **options)
        stacks.append(stack)
        return stack.wait_until_serving()

    yield make_stack
    for stack in stacks:
        stack.close()


@pytest.fixture
def stack(make_stack):
    return make_stack()


@pytest.fixture
def connect():
    """connect(url, username, room, ...) is a ChatUser that is closed after the test."""
    users = []

    def connect(*args, **options):
        users.append(ChatUser(*args, **options))
        return users[-1]

    yield connect
    for user in users:
        user.close()


def worker_of(url, http):
    """The chat process that nginx picks for this browser (by its session cookie)."""
    handshake = http.get(f"{url}/socket.io/", params={"EIO": "4", "transport": "polling"},
                         timeout=TIMEOUT)
    return handshake.headers["X-Chat-Worker"]


def users_on_two_workers(connect, url, room, transport="websocket", reconnect=False):
    """Two ChatUsers whose cookies send them to different chat processes."""
    by_worker = {}
    for number in range(20):
        user = connect(url, f"user{number}", room, transport, reconnect=reconnect)
        worker = worker_of(url, user.http)
        if worker in by_worker:
            continue
        by_worker[worker] = user
        if len(by_worker) == 2:
            return list(by_worker.values()), list(by_worker)
    raise AssertionError(f"20 users all landed on {list(by_worker)}")


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_room_spans_processes(stack, connect, transport):
    (alice, bob), workers = users_on_two_workers(connect, stack.url, "spans", transport)
    assert workers[0] != workers[1]
    assert alice.join()["ok"] and bob.join()["ok"]
    alice.wait_for("join_room_announcement", username=bob.username)
    assert alice.send("from the first process") == {"ok": True}
    bob.wait_for("receive_message", message="from the first process")
    assert bob.send("from the second process") == {"ok": True}
    alice.wait_for("receive_message", message="from the second process")
    assert bob.join()["members"] == sorted([alice.username, bob.username])


@pytest.mark.parametrize("sticky", [True, False])
def test_polling_needs_sticky_sessions(make_stack, sticky):
    """Long-polling is a series of requests that only the process that opened the
    connection knows; without the hash line in nginx.conf they land anywhere."""
    stack = make_stack(sticky=sticky)
    http = requests.Session()
    http.get(f"{stack.url}/chat", params={"username": "alice", "room": "r"}, timeout=TIMEOUT)
    polling = f"{stack.url}/socket.io/?EIO=4&transport=polling"
    handshake = http.get(polling, timeout=TIMEOUT)
    sid = json.loads(handshake.text[1:])["sid"]
    # The browser's next request sends the namespace's CONNECT packet.
    connect = http.post(f"{polling}&sid={sid}", data="40", timeout=TIMEOUT)
    if sticky:
        assert connect.status_code == 200
        assert http.get(f"{polling}&sid={sid}", timeout=TIMEOUT).text.startswith("40")
    else:  # nginx's round robin sent it to the other process, which has never heard of it
        assert connect.status_code == 400
        assert "Invalid session" in stack.log()


def test_killing_a_process_moves_its_users_to_another(stack, connect):
    (alice, bob), workers = users_on_two_workers(connect, stack.url, "kill", reconnect=True)
    assert alice.join()["ok"] and bob.join()["ok"]
    alice.wait_for("join_room_announcement", username=bob.username)
    bob_process = next(w for w in stack.workers if workers[1].endswith(f":{w.port}"))
    bob_process.stop(signal.SIGKILL)

    assert bob.wait_for("joined_again", timeout=10)[-1][1]["ok"]
    assert worker_of(stack.url, bob.http) == workers[0]
    assert bob.send("back on the other process") == {"ok": True}
    seen_by_alice = alice.wait_for("receive_message", message="back on the other process")
    assert [event for event, _ in seen_by_alice] == ["join_room_announcement",
                                                     "receive_message"]
    assert not alice.disconnected.is_set()
    # The killed process cannot take bob's old entry away: its heartbeat expires instead.
    deadline = time.monotonic() + 5
    while alice.join()["members"] != sorted([alice.username, bob.username]):
        assert time.monotonic() < deadline, alice.join()["members"]
        time.sleep(0.2)


def test_a_dropped_page_gets_every_missed_message_once_in_order(stack, connect):
    room = "missed"
    alice, carol = connect(stack.url, "alice", room), connect(stack.url, "carol", room)
    bob = connect(stack.url, "bob", room)
    for user in (alice, carol, bob):
        assert user.join()["ok"]
    assert bob.send("before the drop") == {"ok": True}
    bob.wait_for("receive_message", message="before the drop")
    bob.close()

    sent = [f"missed {n}" for n in range(20)]
    for n, text in enumerate(sent):  # two senders, so neither hits the rate limit
        assert (alice if n % 2 else carol).send(text) == {"ok": True}

    back = connect(stack.url, "bob", room, http=bob.http)  # the same browser, again
    back.last_id = bob.last_id
    assert back.join()["ok"]
    assert back.send("after the return") == {"ok": True}
    events = back.wait_for("receive_message", message="after the return")
    received = [data["message"] for event, data in events if event == "receive_message"]
    assert received == sent + ["after the return"]
    # The history is bounded and expires.
    store = redis.Redis(port=stack.redis.port)
    assert store.llen(f"chat:room:{room}:history") == 22
    assert 0 < store.ttl(f"chat:room:{room}:history") <= 24 * 3600


def test_the_chat_recovers_after_redis_restarts(stack, connect):
    (alice, bob), _ = users_on_two_workers(connect, stack.url, "redis-restart")
    assert alice.join()["ok"] and bob.join()["ok"]
    stack.restart_redis()
    restarted = time.monotonic()
    while time.monotonic() - restarted < RECOVERY_TIMEOUT:
        text = f"after the restart, {time.monotonic():.3f}"
        answer = alice.send(text)
        if answer["ok"]:
            try:
                bob.wait_for("receive_message", timeout=1, message=text)
                break
            except AssertionError:
                pass
        else:
            assert "cannot reach its message store" in answer["error"]
        time.sleep(0.5)
    else:
        raise AssertionError(f"no message got through {RECOVERY_TIMEOUT}s after the restart")
    assert "Traceback" not in stack.log()


def test_python_app_py_works_with_redis_too(connect):
    """One process started as `python app.py`: eventlet must patch the standard library
    before the Redis client is imported, or the message queue never delivers."""
    require_programs("redis-server")
    redis_server = RedisServer().wait_until_serving()
    server = Server("python app.py", cwd=PART4, env={
        "SECRET_KEY": "test", "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0"})
    try:
        server.wait_until_serving()
        alice, bob = connect(server.url, "alice", "solo"), connect(server.url, "bob", "solo")
        assert alice.join()["ok"] and bob.join()["ok"]
        assert alice.send("through redis") == {"ok": True}
        bob.wait_for("receive_message", message="through redis")
    finally:
        server.close()
        redis_server.close()
