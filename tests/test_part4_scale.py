"""Part 4's checkpoints through their real stacks: redis-server, two chat
processes and, from step 3 on, nginx in front of them.

Each test is marked with the step of part 4 that introduces what it checks,
and runs on every part 4 checkpoint that has reached that step (the
`checkpoint` parameter comes from tests/conftest.py):

1. part4_scale/steps/1_message_queue: a room spans processes through Redis
2. part4_scale/steps/2_presence: who is in a room, on every process
3. part4_scale/steps/3_nginx: one address, sticky sessions
4. part4_scale (finished): a page that was away gets what it missed

Tests that kill a process or restart Redis start a stack of their own; the
others share one stack per checkpoint.
"""
import contextlib
import json
import queue
import resource
import signal
import socket
import time
import uuid

import pytest
import redis
import requests

from harness.chat_user import TIMEOUT, ChatUser
from harness.servers import Server
from harness.stack import ScaledChat, start_checkpoint

MESSAGE_QUEUE = pytest.mark.step(1, part=4)
PRESENCE = pytest.mark.step(2, part=4)
NGINX = pytest.mark.step(3, part=4)
HISTORY = pytest.mark.step(4, part=4)
SERVER_ENV = {"SECRET_KEY": "test"}
# A macOS Terminal starts programs with 256 open files at most (a Linux desktop: 1,024).
TERMINAL_OPEN_FILES = 256
# Idle connections held open through nginx: each takes one of its descriptors, as each
# student's WebSocket takes two (the browser's and nginx's own to the chat process), so
# 700 is the count for 350 students.
IDLE_CONNECTIONS = 700
RECOVERY_TIMEOUT = 15  # seconds the chat may take to work after Redis restarts
# How long a stopped process's people count as present (CHAT_RETURN_SECONDS), shortened
# for the test that kills one, and how long that test waits to hear that they left.
RETURN_SECONDS = 2
LEAVE_TIMEOUT = RETURN_SECONDS + 8


def started(checkpoint, **env):
    stack = start_checkpoint(checkpoint, env={**SERVER_ENV, **env})
    try:
        assert isinstance(stack, ScaledChat), (
            f"{checkpoint} should run as several processes: its "
            "Procfile.local should start redis-server and the chat processes")
        return stack.wait_until_serving()
    except BaseException:
        stack.close()  # a single server, too, if that is what started
        raise


@pytest.fixture(scope="module")
def stack(checkpoint, shared_servers):
    """The checkpoint's stack, shared by the tests that leave it whole
    (each uses rooms of its own), in this module and the others."""
    with shared_servers.use(checkpoint) as stack:
        assert isinstance(stack, ScaledChat), (
            f"{checkpoint} should run as several processes: its "
            "Procfile.local should start redis-server and the chat processes")
        yield stack


@pytest.fixture
def own_stack(checkpoint):
    """A stack for one test, which may kill its parts."""
    stack = started(checkpoint)
    yield stack
    stack.close()


class Page(ChatUser):
    """A ChatUser that says which page it is when it joins, as chat.js does
    with the page_id the chat page carries: that is how a page that comes
    back on another process is told apart from a newcomer."""

    def __init__(self, *args, **options):
        self.page_id = uuid.uuid4().hex
        super().__init__(*args, **options)

    def join_payload(self):
        return {**super().join_payload(), "page_id": self.page_id}


@pytest.fixture
def connect():
    """connect(url, username, room, ...) is a Page that is closed after the
    test."""
    users = []

    def connect(*args, **options):
        users.append(Page(*args, **options))
        return users[-1]

    yield connect
    for user in users:
        user.close()


# Checks that say which behaviour is missing.

def joins(user):
    answer = user.join()
    assert isinstance(answer, dict) and answer.get("ok"), (
        f"join_room from {user.username} should be accepted: it answered "
        f"{answer!r}")
    return answer


def sends(user, text):
    answer = user.send(text)
    assert answer == {"ok": True}, (
        f"send_message from {user.username} should be accepted: it answered "
        f"{answer!r}")


def receives(user, event, behaviour, timeout=TIMEOUT, **expected):
    """The events `user` got up to `event`; fails saying `behaviour` is
    missing."""
    try:
        return user.wait_for(event, timeout=timeout, **expected)
    except AssertionError as error:
        raise AssertionError(f"{behaviour}: {error}") from None


# Getting two people onto two processes.

def process_of(url, http):
    """The chat process that nginx picks for this browser (by its session
    cookie), as nginx.conf's X-Chat-Worker header names it."""
    handshake = http.get(f"{url}/socket.io/",
                         params={"EIO": "4", "transport": "polling"},
                         timeout=TIMEOUT)
    assert "X-Chat-Worker" in handshake.headers, (
        "nginx.conf should name the chat process that answered in an "
        "X-Chat-Worker header")
    return handshake.headers["X-Chat-Worker"]


def worker_at(stack, address):
    """The stack's chat process whose address is `address` (host:port)."""
    return next(w for w in stack.workers if address.endswith(f":{w.port}"))


def users_on_two_processes(stack, connect, room, transport="websocket",
                           reconnect=False):
    """Two ChatUsers on different chat processes, and those processes.
    Through nginx, as a browser would be, when the checkpoint has it;
    without nginx, each user opens the page of one process directly."""
    if stack.nginx is None:
        users = [connect(worker.url, name, room, transport,
                         reconnect=reconnect)
                 for worker, name in zip(stack.workers, ["alice", "bob"])]
        return users, stack.workers[:2]
    by_process = {}
    for number in range(20):
        user = connect(stack.url, f"user{number}", room, transport,
                       reconnect=reconnect)
        by_process.setdefault(process_of(stack.url, user.http), user)
        if len(by_process) == 2:
            return (list(by_process.values()),
                    [worker_at(stack, address) for address in by_process])
    raise AssertionError(
        "nginx should spread browsers over the chat processes (hash "
        f"$cookie_session consistent): 20 browsers all went to {by_process}")


# Step 1: the message queue.

@MESSAGE_QUEUE
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_room_spans_processes(stack, connect, transport):
    (alice, bob), _ = users_on_two_processes(stack, connect,
                                             f"spans-{transport}", transport)
    joins(alice)
    joins(bob)
    across = ("an emit on one process should reach the room's members on the "
              "other: SocketIO(app, message_queue=REDIS_URL) relays it "
              "through Redis")
    receives(alice, "join_room_announcement", across, username=bob.username)
    sends(alice, "from the first process")
    receives(bob, "receive_message", across, message="from the first process")
    sends(bob, "from the second process")
    receives(alice, "receive_message", across,
             message="from the second process")



BURST = 300  # messages sent at once: more than redis-py's 100 connections a pool


@MESSAGE_QUEUE
def test_a_burst_of_messages_reaches_the_other_process_whole(checkpoint, connect):
    """Each send is handled at once, so a burst uses Redis from many handlers together.
    redis-py 8 fails beyond 100 connections a pool ("Too many connections"): part 4's
    own Redis client refused sends."""
    stack = started(checkpoint, CHAT_MESSAGES_PER_SECOND="100000",
                    CHAT_MESSAGE_BURST="100000")
    try:
        (alice, bob), _ = users_on_two_processes(stack, connect, "burst")
        joins(alice)
        joins(bob)
        answers = []
        for number in range(BURST):
            alice.sio.emit("send_message", {**alice.join_payload(), "message": f"b{number}"},
                           callback=answers.append)
        deadline = time.monotonic() + 30
        got = set()
        while (len(got) < BURST or len(answers) < BURST) and time.monotonic() < deadline:
            try:
                name, data = bob.received.get(timeout=1)
            except queue.Empty:
                continue
            if name == "receive_message":
                got.add(data["message"])
        refused = [answer for answer in answers if answer != {"ok": True}]
        assert len(got) == BURST and len(answers) == BURST and not refused, (
            f"bob, on the other process, should receive all {BURST} messages of a burst: "
            f"he got {len(got)}; {len(refused)} sends were refused "
            f"({refused[:1]}). Give the store a BlockingConnectionPool, whose handlers "
            "wait for a connection instead of failing")
    finally:
        stack.close()


@MESSAGE_QUEUE
def test_python_app_py_works_with_redis_too(stack, checkpoint, connect):
    """One process started as `python app.py`: eventlet must patch the
    standard library before the Redis client is imported, or the message
    queue never delivers."""
    server = Server("python app.py", cwd=checkpoint, env={
        **SERVER_ENV, "REDIS_URL": f"redis://127.0.0.1:{stack.redis.port}/0"})
    try:
        server.wait_until_serving()
        alice = connect(server.url, "alice", "solo")
        bob = connect(server.url, "bob", "solo")
        joins(alice)
        joins(bob)
        sends(alice, "through redis")
        receives(bob, "receive_message",
                 "python app.py should deliver through Redis too: it must "
                 "call eventlet.monkey_patch() before anything imports the "
                 "Redis client", message="through redis")
    finally:
        server.close()


@MESSAGE_QUEUE
def test_the_chat_recovers_after_redis_restarts(own_stack, connect):
    stack = own_stack
    (alice, bob), _ = users_on_two_processes(stack, connect, "redis-restart")
    joins(alice)
    joins(bob)
    stack.restart_redis()
    restarted = time.monotonic()
    while time.monotonic() - restarted < RECOVERY_TIMEOUT:
        text = f"after the restart, {time.monotonic():.3f}"
        answer = alice.send(text)
        if answer.get("ok"):
            try:
                bob.wait_for("receive_message", timeout=1, message=text)
                break
            except AssertionError:
                pass
        else:
            assert "cannot reach its data store" in answer.get("error", ""), (
                "while Redis is away, send_message should answer with a "
                f"reason that says so: it answered {answer!r}")
        time.sleep(0.5)
    else:
        raise AssertionError(
            f"the chat should deliver messages again within "
            f"{RECOVERY_TIMEOUT} s after Redis restarts: none got through")
    assert "Traceback" not in stack.log(), (
        "losing Redis for a moment should leave no traceback in the log:\n"
        + stack.log())


# Step 2: who is in the room.

@PRESENCE
def test_the_member_list_names_everybody_on_every_process(stack, connect):
    (alice, bob), _ = users_on_two_processes(stack, connect, "members")
    joins(alice)
    both = sorted([alice.username, bob.username])
    for user in (bob, alice):  # joining again only answers again
        members = joins(user).get("members")
        assert members == both, (
            "the answer to join_room should list the room's members on "
            f"every process (kept in Redis): {user.username} got {members}")
    assert bob.leave() == {"ok": True}, "leave_room should be accepted"
    members = joins(alice).get("members")
    assert members == [alice.username], (
        "somebody who left should be gone from the member list on every "
        f"process: {alice.username} got {members}")


@pytest.fixture
def short_return_stack(checkpoint):
    """A stack for one test, whose stopped processes' people count as
    present for RETURN_SECONDS only."""
    stack = started(checkpoint, CHAT_RETURN_SECONDS=str(RETURN_SECONDS))
    yield stack
    stack.close()


@PRESENCE
def test_the_people_of_a_killed_process_leave_the_room(short_return_stack,
                                                       connect):
    stack = short_return_stack
    (alice, bob), (_, bob_process) = users_on_two_processes(
        stack, connect, "heartbeat")
    joins(alice)
    joins(bob)
    receives(alice, "join_room_announcement", "bob's join should be "
             "announced", username=bob.username)
    bob_process.stop(signal.SIGKILL)  # no goodbye: its Redis entries stay
    receives(alice, "leave_room_announcement",
             "the room should hear that the people of a killed process left, "
             f"once its heartbeat key has expired ({RETURN_SECONDS} s, "
             "CHAT_RETURN_SECONDS): each process checks its rooms every "
             "second", timeout=LEAVE_TIMEOUT, username=bob.username)
    members = joins(alice).get("members")
    assert members == [alice.username], (
        "the people of a killed process should be gone from the member "
        f"list once the room heard that they left: {alice.username} got "
        f"{members}")


@PRESENCE
def test_a_name_is_one_persons_on_every_process(stack, connect):
    """The name check reads who is in the room from Redis, not from the
    process's own members."""
    room = "one-alice"
    # Both sent the form, each to its own process, while the name was free.
    first, late = (connect(worker.url, "alice", room)
                   for worker in stack.workers[:2])
    joins(first)
    reason = (f"Somebody called alice is in room {room} already. Please "
              "choose another name.")
    answer = late.join()
    assert answer == {"ok": False, "error": reason}, (
        "join_room as alice on the second process, while alice (another "
        "session) is in the room on the first, should be refused with "
        f"{reason!r}: it answered {answer!r}")
    for worker in stack.workers:
        start = requests.get(f"{worker.url}/chat", timeout=TIMEOUT,
                             params={"username": "ALICE", "room": room})
        assert start.history and reason in start.text, (
            f"/chat as ALICE on process {worker.url} should go back to the "
            f"start page saying {reason!r}: it answered {start.status_code} "
            f"{start.url}")
    assert first.leave() == {"ok": True}, "leave_room should be accepted"
    joins(late)  # the name is free again


@contextlib.contextmanager
def redis_refuses_writes(stack):
    """Redis answers reads but refuses every write (it waits for a replica
    that never comes), as a Redis in trouble may: a join's Redis write
    fails after its reads succeeded."""
    store = redis.Redis(port=stack.redis.port)
    store.config_set("min-replicas-to-write", 1)
    try:
        yield
    finally:
        store.config_set("min-replicas-to-write", 0)
        store.close()


@PRESENCE
@pytest.mark.parametrize("failure", ["page_id true", "page_id list",
                                     "redis refuses writes"])
def test_a_refused_join_leaves_nobody_unseen_in_the_room(stack, connect,
                                                         failure):
    """Mallory opens the chat as alice while the name is free, and her
    join fails. She must be left outside the room: not a member nobody
    sees, who hears everything and, once the real alice has joined,
    speaks as alice."""
    room = "unseen-" + failure.replace(" ", "-")
    url = stack.workers[0].url
    mallory = connect(url, "alice", room)
    if failure == "redis refuses writes":
        with redis_refuses_writes(stack):
            answer = mallory.join()
    else:
        mallory.page_id = True if failure == "page_id true" else [1]
        answer = mallory.join()
    assert isinstance(answer, dict) and answer.get("ok") is False and (
        answer.get("error")), (
        f"join_room with {failure} should be refused with a reason: it "
        f"answered {answer!r}")
    alice = connect(url, "alice", room)
    members = joins(alice).get("members")
    assert members == ["alice"], (
        f"after a refused join ({failure}) the room should hold only the "
        f"real alice: her join answered members {members}")
    sends(alice, "for the room")
    receives(alice, "receive_message", "alice should get her own message",
             message="for the room")
    answer = mallory.send("I am alice")
    refused = {"ok": False, "error": "Join a room before sending messages."}
    assert answer == refused, (
        f"a connection whose join failed ({failure}) is not in the room, so "
        f"its send_message should be refused with {refused}: it answered "
        f"{answer!r}. Check the payload, and write Redis, before "
        "join_room() and members[request.sid]")
    heard = [event for event, _ in list(mallory.received.queue)]
    assert "receive_message" not in heard, (
        f"a connection whose join failed ({failure}) should hear nothing of "
        f"the room: it received {heard}")
    assert "Traceback" not in stack.log(), (
        f"a refused join ({failure}) should leave no traceback in the "
        "log:\n" + stack.log())


# Step 3: nginx.

def start_polling(url):
    """Open /chat, then a long-polling connection through `url`, as a
    browser does; return the session, the polling URL and the answer to
    the request that sends the namespace's CONNECT packet."""
    http = requests.Session()
    http.get(f"{url}/chat", params={"username": "alice", "room": "r"},
             timeout=TIMEOUT)
    handshake = http.get(f"{url}/socket.io/?EIO=4&transport=polling",
                         timeout=TIMEOUT)
    sid = json.loads(handshake.text[1:])["sid"]
    polling = f"{url}/socket.io/?EIO=4&transport=polling&sid={sid}"
    return http, polling, http.post(polling, data="40", timeout=TIMEOUT)


@NGINX
def test_polling_works_through_nginx_with_sticky_sessions(stack):
    http, polling, connecting = start_polling(stack.url)
    sticky = ("nginx should send every request of a browser to the same chat "
              "process (hash $cookie_session consistent), so that "
              "long-polling works")
    assert connecting.status_code == 200, (
        f"{sticky}: the CONNECT request got {connecting.status_code}")
    answer = http.get(polling, timeout=TIMEOUT)
    assert answer.text.startswith("40"), (
        f"{sticky}: the next poll got {answer.status_code} "
        f"{answer.text[:40]!r}")


@NGINX
def test_without_sticky_sessions_polling_fails(stack):
    """Long-polling is a series of requests that only the process that
    opened the connection knows; without the hash line in nginx.conf they
    land anywhere. This is why nginx.conf has it."""
    round_robin = stack.start_nginx(sticky=False).wait_until_serving()
    _, _, connecting = start_polling(round_robin.url)
    assert connecting.status_code == 400, (
        "without the hash line, nginx's round robin should send the second "
        "polling request to the other process, which answers 400: got "
        f"{connecting.status_code}")
    assert "Invalid session" in stack.log(), (
        "the other process should log 'Invalid session'")


@NGINX
def test_killing_a_process_moves_its_users_to_another(own_stack, connect):
    stack = own_stack
    (alice, bob), (alice_process, bob_process) = users_on_two_processes(
        stack, connect, "kill", reconnect=True)
    joins(alice)
    joins(bob)
    receives(alice, "join_room_announcement", "bob's join should be "
             "announced", username=bob.username)
    bob_process.stop(signal.SIGKILL)

    again = receives(bob, "joined_again", "bob's page should reconnect "
                     "through nginx and join again", timeout=10)[-1][1]
    assert again.get("ok"), f"joining again should be accepted: {again!r}"
    now_on = process_of(stack.url, bob.http)
    assert now_on.endswith(f":{alice_process.port}"), (
        "nginx should send bob to the process that is left: he is on "
        f"{now_on}")
    sends(bob, "back on the other process")
    seen = receives(alice, "receive_message", "bob's messages should reach "
                    "alice after the move",
                    message="back on the other process")
    assert [event for event, _ in seen] == ["receive_message"], (
        "bob's move to another process should be quiet: the room never saw "
        f"him leave, so it should hear no second join; alice got {seen}")
    assert not alice.disconnected.is_set(), (
        "alice's process was not killed: her connection should stay open")
    members = joins(bob).get("members")
    assert members == sorted([alice.username, bob.username]), (
        "bob, back on another process, should be listed once: got "
        f"{members}")


@NGINX
def test_nginx_uses_a_process_again_as_soon_as_it_answers(own_stack):
    """As at `make run`'s start: nginx gets a request while no chat process
    listens yet. Once they answer, so must nginx, at once: by default it
    would leave every process that refused a connection out for 10 s."""
    stack = own_stack
    for worker in stack.workers:
        worker.close()  # the port is free once it has exited
    refused = requests.get(stack.url, timeout=TIMEOUT)
    assert refused.status_code == 502, (
        "with no chat process listening nginx should answer 502: it "
        f"answered {refused.status_code}")
    stack.workers = [stack.start_worker(port=worker.port)
                     for worker in stack.workers]
    stack.wait_until_serving()
    answers = [requests.get(stack.url, timeout=TIMEOUT) for _ in range(4)]
    statuses = [answer.status_code for answer in answers]
    assert statuses == [200] * 4, (
        "nginx should pass requests to the chat processes as soon as they "
        "answer (max_fails=0 on their server lines in nginx.conf): it "
        f"answered {statuses}")
    used = {answer.headers.get("X-Chat-Worker") for answer in answers}
    assert len(used) == 2, (
        "requests without a session cookie should go to both processes "
        f"again, one after the other: they went to {used}")


def allow_open_files(count):
    """Let this test process hold `count` more sockets (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < count + 100:
        wanted = count + 100 if hard == resource.RLIM_INFINITY else min(count + 100, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@NGINX
def test_nginx_holds_hundreds_of_connections_under_a_terminal_s_file_limit(stack):
    """Each connection is an open file to nginx. Started from a terminal that allows 256,
    nginx stops accepting at about 250 unless nginx.conf raises its own limit
    (worker_rlimit_nofile); then nothing answers, not even the start page."""
    nginx = stack.start_nginx(open_files=TERMINAL_OPEN_FILES).wait_until_serving()
    allow_open_files(IDLE_CONNECTIONS)
    idle = []
    try:
        for _ in range(IDLE_CONNECTIONS):
            idle.append(socket.create_connection(("127.0.0.1", nginx.port),
                                                 timeout=TIMEOUT))
        start_page = requests.get(nginx.url + "/", timeout=TIMEOUT).status_code
    except (OSError, requests.RequestException) as error:
        start_page = f"no answer ({type(error).__name__})"
    finally:
        for connection in idle:
            connection.close()
    assert start_page == 200, (
        f"with {IDLE_CONNECTIONS} connections open, nginx started under a limit of "
        f"{TERMINAL_OPEN_FILES} open files should still serve the start page: it gave "
        f"{start_page} (set worker_rlimit_nofile in nginx.conf, above worker_connections)"
        f"\n{nginx.log()}")
    complaints = [line for line in nginx.log().splitlines()
                  if any(level in line for level in ("[warn]", "[alert]", "[emerg]"))]
    assert not complaints, (
        f"nginx should start and run without a warning: it logged {complaints}")


# The finished part 4: no message lost to a short drop.

@HISTORY
def test_every_message_has_an_id_counting_up_in_its_room(stack, connect):
    alice = connect(stack.url, "alice", "ids")
    first = joins(alice)
    assert isinstance(first.get("last_id"), int), (
        "the answer to join_room should carry last_id, the room's newest "
        f"message id: it answered {first!r}")
    for text in ("one", "two"):
        sends(alice, text)
    events = receives(alice, "receive_message", "alice should receive her "
                      "own messages", message="two")
    ids = [data.get("id") for event, data in events
           if event == "receive_message"]
    assert ids == [first["last_id"] + 1, first["last_id"] + 2], (
        "every receive_message should carry an id, one more than the room's "
        f"message before it: got {ids} after last_id {first['last_id']}")


@HISTORY
def test_a_dropped_page_gets_every_missed_message_once_in_order(stack,
                                                                connect):
    room = "missed"
    alice = connect(stack.url, "alice", room)
    carol = connect(stack.url, "carol", room)
    bob = connect(stack.url, "bob", room)
    for user in (alice, carol, bob):
        joins(user)
    sends(bob, "before the drop")
    receives(bob, "receive_message", "bob should receive his own message",
             message="before the drop")
    bob.close()

    sent = [f"missed {n}" for n in range(20)]
    for n, text in enumerate(sent):  # two senders: neither hits the limit
        sends(alice if n % 2 else carol, text)

    back = connect(stack.url, "bob", room, http=bob.http)  # the same browser
    back.last_id = bob.last_id
    joins(back)
    sends(back, "after the return")
    events = receives(back, "receive_message", "bob should be back in the "
                      "room", message="after the return")
    got = [data["message"] for event, data in events
           if event == "receive_message"]
    assert got == sent + ["after the return"], (
        "join_room with last_id should send every message the page missed, "
        f"once and oldest first, before new ones: bob got {got}")
    store = redis.Redis(port=stack.redis.port)
    kept = store.llen(f"chat:room:{room}:history")
    assert kept == 22, (
        f"the room's history in Redis should hold its 22 messages: {kept}")
    expires = store.ttl(f"chat:room:{room}:history")
    assert 0 < expires <= 24 * 3600, (
        f"a room's history should expire after a quiet day: TTL {expires}")

