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
import resource
import selectors
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from harness.chat_user import ChatUser
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


def wait_for_answers(sockets, count, seconds=60):
    """Wait until `count` of `sockets` have an answer to read."""
    answered, deadline = 0, time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:  # select() stops at 1024
        for sock in sockets:
            selector.register(sock, selectors.EVENT_READ)
        while answered < count:
            left = deadline - time.monotonic()
            assert left > 0, (f"the guards answered {answered} of the {count} "
                              f"requests over their limit within {seconds} s")
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
