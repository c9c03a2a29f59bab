"""`make class` under the limits a class meets: a lecture of 300 and a
student's script that holds 1,100 half-sent requests, started under the
open-file limit a macOS Terminal gives (256). The guard in front of each
server (scripts/guard.py) and the raised limit keep both serving.

The 300 students come from 300 loopback addresses (127.0.1.x, 127.0.2.x),
as a class's laptops would; the attacker from 127.0.0.2; the visitor who
must still get in from 127.0.0.1.
"""
import asyncio
import base64
import contextlib
import os
import re
import resource
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from harness.chat_user import ChatUser, Lurker
import classroom
from test_class import read_until, start_class

MAC_TERMINAL_LIMIT = 256
STUDENTS = 300
HALF_OPEN = 1100
VISITOR_SECONDS = 5


def lowered_limit():
    """Start `make class` with the soft limit a macOS Terminal gives."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (MAC_TERMINAL_LIMIT, hard))


@pytest.fixture(scope="module")
def room_for_everyone(tmp_path_factory):
    """A class started under a 256 soft limit: its process and ports."""
    # This test process holds thousands of sockets itself.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * HALF_OPEN + 2 * STUDENTS:
        pytest.skip(f"the hard open-file limit ({hard}) is too low for "
                    "this test's own clients")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    tmp_path = tmp_path_factory.mktemp("class")
    process, ports = start_class(tmp_path, preexec_fn=lowered_limit)
    try:
        read_until(process, "Projector page")
        yield process, ports
    finally:
        # Its group, even if make class itself has stopped (its output says
        # why): what it started may still run.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 2)
        process.wait(30)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def student_address(number):
    return f"127.0.{1 + number // 250}.{1 + number % 250}"


async def open_websocket(port, source):
    """A Socket.IO page's WebSocket, from `source`: the handshake, then
    Engine.IO's first packet, which says the connection is open."""
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", port, local_addr=(source, 0))
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    frame = await reader.readexactly(2)
    first = await reader.readexactly(frame[1] & 0x7F)
    assert first.startswith(b"0{"), first[:40]  # Engine.IO's "open"
    return writer


async def open_websockets(port, count):
    return await asyncio.wait_for(asyncio.gather(
        *(open_websocket(port, student_address(n)) for n in range(count))),
        60)


def half_open(port, count, source="127.0.0.2"):
    """`count` requests from `source` that send a line and stop."""
    held = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                        source_address=(source, 0))
        sock.sendall(b"GET / HTTP/1.1\r\nHost: class\r\n")
        held.append(sock)
    return held


def wait_for_answers(sockets, count, seconds=60, who="the guards",
                     what="requests over their limit"):
    """Wait until `count` of `sockets` have an answer to read."""
    answered, deadline = 0, time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:  # select() stops at 1024
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        while answered < count:
            left = deadline - time.monotonic()
            assert left > 0, (f"{who} answered {answered} of the {count} "
                              f"{what} within {seconds} s")
            for key, _ in selector.select(timeout=min(left, 1)):
                selector.unregister(key.fileobj)
                answered += 1


def two_people_chat(url, room):
    alice = ChatUser(url, "alice", room)
    bob = ChatUser(url, "bob", room)
    try:
        alice.join()
        bob.join()
        alice.send("still here?")
        bob.wait_for("receive_message", username="alice",
                     message="still here?")
    finally:
        alice.close()
        bob.close()


def run_in_own_thread(coroutine_function, *args):
    """Run an asyncio coroutine in a thread of its own: the browser tests'
    Playwright keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine_function(*args)).result(
            timeout=120)


def test_a_lecture_of_300_is_served_under_a_256_file_limit(
        room_for_everyone, room):
    process, (chat_port, _) = room_for_everyone
    pages = run_in_own_thread(open_websockets, chat_port, STUDENTS)
    try:
        assert len(pages) == STUDENTS
        start = requests.get(f"http://127.0.0.1:{chat_port}/", timeout=5)
        assert start.status_code == 200, "the start page should still load"
        two_people_chat(f"http://127.0.0.1:{chat_port}", room)
        assert process.poll() is None, "make class stopped"
    finally:
        for page in pages:  # their loop has ended: close the sockets
            page.get_extra_info("socket")._sock.close()


def test_1100_half_sent_requests_from_one_address_lock_nobody_out(
        room_for_everyone, room):
    process, (chat_port, docs_port) = room_for_everyone
    held = []
    try:
        for port in (chat_port, docs_port):
            held += half_open(port, HALF_OPEN)
        # The guards refuse all but PER_ADDRESS of each port's; on a busy
        # machine writing those refusals takes a while (seen: over 5 s).
        wait_for_answers(held, 2 * (HALF_OPEN - classroom.PER_ADDRESS))
        for port, text in ((chat_port, "Join the chat"),
                           (docs_port, "the docs")):
            started = time.monotonic()
            page = requests.get(f"http://127.0.0.1:{port}/",
                                timeout=VISITOR_SECONDS)
            assert page.status_code == 200 and text in page.text
            assert time.monotonic() - started < VISITOR_SECONDS
        two_people_chat(f"http://127.0.0.1:{chat_port}", room)
        assert process.poll() is None, "make class stopped"
    finally:
        for sock in held:
            sock.close()


# A student's script on one laptop that gives itself 22 addresses (IPv4 aliases) and holds
# the guard's 50 connections from each: 1,100, more than eventlet serves by default (1,024).
CROWD_ADDRESSES = 22
# What the chat process may hold, in resident memory, with the crowd and a lurker on it:
# about 75 MB to start with and some 33 KB a connection (measured: 111 MB), with room to
# spare.
CHAT_MEMORY_BOUND_MB = 200


def idle_crowd(port, addresses, per_address):
    """Connections that each send one whole request and then nothing, from `addresses`
    loopback addresses: they hold the server's connections without using them."""
    held = []
    for number in range(addresses):
        source = f"127.0.9.{number + 1}"
        for _ in range(per_address):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5,
                                            source_address=(source, 0))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: class\r\n\r\n")
            held.append(sock)
    return held


def descendants(pid):
    """The processes started by `pid`, and by those, ... (Linux's /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = [int(child) for child in children.read_text().split()]
    return found + [grandchild for child in found for grandchild in descendants(child)]


def resident_megabytes(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)[1]) / 1024


def chat_process(process):
    """The pid of the chat that `make class` started (python app.py)."""
    for pid in descendants(process.pid):
        with contextlib.suppress(FileNotFoundError):
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if b"app.py" in command:
                return pid
    raise AssertionError("make class should have started python app.py")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_an_idle_crowd_and_a_lurker_leave_the_class_served(room_for_everyone, room):
    process, (chat_port, _) = room_for_everyone
    url = f"http://127.0.0.1:{chat_port}"
    held = idle_crowd(chat_port, CROWD_ADDRESSES, classroom.PER_ADDRESS)
    lurker = None
    try:
        lurker = Lurker(url, room)
        # The chat answers every one of them: eventlet serves more than its
        # default 1,024 at once (CHAT_MAX_CONNECTIONS, set by make class).
        wait_for_answers(held, len(held), who="the chat", what=(
            "idle connections (eventlet serves 1,024 at once unless make class "
            "sets CHAT_MAX_CONNECTIONS)"))
        started = time.monotonic()
        two_people_chat(url, room)  # bounded: each wait fails after TIMEOUT
        assert time.monotonic() - started < 2 * VISITOR_SECONDS, (
            "two new visitors should chat within seconds beside the crowd")
        memory = resident_megabytes(chat_process(process))
        assert memory < CHAT_MEMORY_BOUND_MB, (
            f"the chat holds {memory:.0f} MB with {len(held)} idle connections and a "
            f"lurker: more than the {CHAT_MEMORY_BOUND_MB} MB the instructor's guide "
            "promises")
        assert process.poll() is None, "make class stopped"
    finally:
        if lurker:
            lurker.close()
        for sock in held:
            sock.close()
