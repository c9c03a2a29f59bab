"""scripts/guard.py, the guard `make class` puts in front of the chat and
the docs: it passes requests through, answers what it refuses with a
status and a reason, and keeps serving at its open-file limit."""
import resource
import socket
import sys
import time

import pytest
import requests

from harness.servers import Server, free_port
from tutorial.chain import REPO

GUARD = REPO / "scripts" / "guard.py"
TIMEOUT = 5


class Guarded(Server):
    """python -m http.server, with a guard in front: `url` is the guard's."""

    def __init__(self, *options, preexec_fn=None):
        backend_port, port = free_port(), free_port()
        # HTTP/1.1: a connection stays open for the next request.
        self.backend = Server(f"{sys.executable} -m http.server --bind "
                              f"127.0.0.1 --protocol HTTP/1.1 {backend_port}",
                              cwd=REPO, port=backend_port)
        super().__init__(
            f"{sys.executable} {GUARD} --listen 127.0.0.1:{port} "
            f"--to 127.0.0.1:{self.backend.port} " + " ".join(options),
            cwd=REPO, port=port, preexec_fn=preexec_fn)

    def close(self):
        super().close()
        self.backend.close()


GUARDED_CHAT = REPO / "scripts" / "guarded_chat.py"
# An eventlet server as `python app.py` starts one (socketio.run()), which
# says whom it is talking to.
EVENTLET_APP = """
import os
import eventlet
import eventlet.wsgi

def app(environ, start_response):
    peer = f"{environ['REMOTE_ADDR']}:{environ['REMOTE_PORT']}"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", "3"), ("X-Peer", peer)])
    return [b"hi\\n"]

eventlet.wsgi.server(eventlet.listen(("127.0.0.1", int(os.environ["PORT"]))),
                     app, log_output=False)
"""


class HandingOver(Server):
    """That server run by scripts/guarded_chat.py, with a guard in front
    that hands it each connection (--hand-over)."""

    def __init__(self, folder, *options):
        (folder / "app.py").write_text(EVENTLET_APP)
        channel = folder / "channel"
        self.backend = Server(f"{sys.executable} {GUARDED_CHAT} {channel} app.py",
                              cwd=folder)
        port = free_port()
        super().__init__(
            f"{sys.executable} {GUARD} --listen 127.0.0.1:{port} "
            f"--to 127.0.0.1:{self.backend.port} --hand-over {channel} "
            + " ".join(options), cwd=REPO, port=port)

    def close(self):
        super().close()
        self.backend.close()


# The guard runs on uvloop where it is installed, else on asyncio's own loop
# (Windows has no uvloop): every test runs on both.
LOOPS = {"uvloop": [], "asyncio": ["--plain-asyncio"]}


@pytest.fixture(params=LOOPS)
def guarded(request):
    servers = []
    if request.param == "uvloop":
        pytest.importorskip("uvloop")

    def start(*options, preexec_fn=None):
        server = Guarded(*options, *LOOPS[request.param], preexec_fn=preexec_fn)
        servers.append(server)
        server.backend.wait_until_serving()
        server.wait_until_serving()
        assert f"{request.param}'s event loop" in server.log(), server.log()
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(params=LOOPS)
def handing_over(request, tmp_path):
    if request.param == "uvloop":
        pytest.importorskip("uvloop")
    if sys.platform != "linux":
        pytest.skip("the guard hands connections over on Linux only")
    servers = []

    def start(*options):
        folder = tmp_path / str(len(servers))
        folder.mkdir()
        server = HandingOver(folder, *options, *LOOPS[request.param])
        servers.append(server)
        server.backend.wait_until_serving()
        return server.wait_until_serving()

    yield start
    for server in servers:
        server.close()


def status_of(sock):
    sock.settimeout(TIMEOUT)
    return sock.recv(64).split(b"\r\n")[0].decode()


def test_requests_pass_through(guarded):
    server = guarded()
    page = requests.get(f"{server.url}/README.md", timeout=TIMEOUT)
    assert page.status_code == 200 and "make run" in page.text


def test_one_address_may_hold_only_so_many_connections(guarded):
    server = guarded("--per-address", "3")
    # From an address of their own: the fixture's first request, from
    # 127.0.0.1, may still be counted for a moment after it is answered.
    held = [socket.create_connection(("127.0.0.1", server.port),
                                     source_address=("127.0.0.3", 0))
            for _ in range(4)]
    try:
        for sock in held:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and no more
        assert status_of(held[3]).endswith("503 Service Unavailable")
        other = socket.create_connection(("127.0.0.1", server.port),
                                         source_address=("127.0.0.2", 0))
        other.sendall(b"GET / HTTP/1.0\r\n\r\n")
        assert status_of(other).endswith("200 OK"), (
            "another address should still get in")
    finally:
        for sock in held:
            sock.close()



def test_max_connections_caps_them_all(guarded):
    """`make class` sets --max-connections below eventlet's 1,024 for a chat that
    cannot be told to serve more (the steps before part 2's last)."""
    server = guarded("--max-connections", "3", "--per-address", "1000")
    held = [socket.create_connection(("127.0.0.1", server.port),
                                     source_address=(f"127.0.0.{n}", 0))
            for n in range(3, 7)]
    try:
        for sock in held:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and no more
        assert status_of(held[3]).endswith("503 Service Unavailable"), (
            "the fourth connection should be refused: --max-connections 3")
    finally:
        for sock in held:
            sock.close()

def test_headers_that_never_finish_are_timed_out(guarded):
    server = guarded("--header-seconds", "1")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        started = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert status_of(sock).endswith("408 Request Timeout")
        assert time.monotonic() - started < 3


def test_a_connection_that_goes_quiet_is_closed(guarded):
    """Full headers, then nothing: the header timeout does not apply, the
    idle timeout does (issue 32: 22 addresses x 50 such connections filled
    the chat behind the guard)."""
    server = guarded("--idle-seconds", "1")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(TIMEOUT)
        answer = b""
        while not answer.endswith(b"\r\n\r\n"):  # a HEAD answer has no body
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        # The server keeps the connection open (HTTP/1.1); the guard ends it.
        assert sock.recv(65536) == b"", "the guard should close a quiet connection"


def test_a_connection_that_keeps_talking_stays_open(guarded):
    server = guarded("--idle-seconds", "1")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.settimeout(TIMEOUT)
        for number in range(4):  # 2 s in all: longer than the idle timeout
            sock.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(4096).startswith(b"HTTP/1.1 200"), (
                f"request {number + 1} on one connection, every 0.5 s, should "
                "be answered: the connection is not idle")
            time.sleep(0.5)  # the pace of the requests, not a wait for one


def test_at_its_open_file_limit_it_refuses_and_keeps_serving(guarded):
    """With a hard limit of 256 it cannot raise, the guard takes no more
    connections than it can open, answers the rest 503, and serves again
    once they are gone."""
    def hard_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    server = guarded("--per-address", "1000", preexec_fn=hard_limit)
    held = []
    try:
        for _ in range(300):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            held.append(sock)
        assert status_of(held[-1]).endswith("503 Service Unavailable")
        assert server.process.poll() is None, "the guard stopped"
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            page = requests.get(f"{server.url}/", timeout=TIMEOUT)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    assert page.status_code == 200, "it should serve again"


def read_all(sock):
    """Everything `sock` receives until the other end closes it."""
    sock.settimeout(TIMEOUT)
    received = bytearray()
    while chunk := sock.recv(65536):
        received += chunk
    return bytes(received)


def test_headers_sent_a_byte_at_a_time_and_a_second_request_behind_them_pass(
        guarded):
    server = guarded()
    first = b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
    second = b"GET /README.md HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in first[:-1]:
            sock.sendall(bytes([byte]))
        sock.sendall(first[-1:] + second)  # both requests' ends at once
        answers = read_all(sock)
    assert answers.count(b"HTTP/1.1 200") == 2, (
        f"both requests should be answered: {answers[:300]!r}")
    assert b"make run" in answers


def test_a_client_that_ends_its_side_still_gets_the_whole_answer(guarded):
    server = guarded()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /README.md HTTP/1.0\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)  # all it will send
        answer = read_all(sock)
    body = (REPO / "README.md").read_bytes()
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(body)


def test_a_large_answer_reaches_a_slow_reader_whole(guarded):
    """3.5 MB through a small receive buffer: the guard stops reading
    the server while the client's socket is full, and goes on after."""
    server = guarded()
    path = "docs/assets/javascripts/mermaid.min.js"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(f"GET /{path} HTTP/1.0\r\n\r\n".encode())
        answer = read_all(sock)
    body = (REPO / path).read_bytes()
    assert len(body) > 3_000_000
    assert answer.endswith(body), (
        f"{len(answer)} bytes arrived for a file of {len(body)}")


def peer_seen_by_the_server(sock):
    """Send a request on `sock`; the X-Peer of the answer: who the server
    behind the guard is talking to."""
    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    sock.settimeout(TIMEOUT)
    answer = b""
    while not answer.endswith(b"hi\n") and (chunk := sock.recv(4096)):
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer
    return answer.split(b"X-Peer: ")[1].split(b"\r\n")[0].decode()


def test_a_connection_is_handed_over_to_the_chat_once_its_headers_are_in(
        handing_over):
    """The chat talks to the browser itself: it sees the browser's own
    address and port, and the guard copies no byte of the messages."""
    server = handing_over()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        mine = "{}:{}".format(*sock.getsockname())
        assert peer_seen_by_the_server(sock) == mine, (
            "the server behind the guard should be talking to this socket")
        assert peer_seen_by_the_server(sock) == mine, "and keep doing so"


def test_a_handed_over_connection_that_goes_quiet_is_closed(handing_over):
    server = handing_over("--idle-seconds", "1")
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        peer_seen_by_the_server(sock)  # the server keeps it open (HTTP/1.1)
        assert sock.recv(65536) == b"", "the guard should close a quiet connection"


def test_handed_over_connections_count_towards_the_cap_until_they_end(
        handing_over):
    server = handing_over("--per-address", "2")
    # From an address of their own: the fixture's first request, from
    # 127.0.0.1, may still be counted.
    address = ("127.0.0.1", server.port)
    held = [socket.create_connection(address, source_address=("127.0.0.2", 0))
            for _ in range(2)]
    for sock in held:
        peer_seen_by_the_server(sock)
    with socket.create_connection(address, source_address=("127.0.0.2", 0)) as third:
        third.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status_of(third).endswith("503 Service Unavailable")
    for sock in held:
        sock.close()
    # The guard looks at a handed-over connection every second.
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        with socket.create_connection(address, source_address=("127.0.0.2", 0)) as again:
            again.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            if status_of(again).endswith("200 OK"):
                return
        time.sleep(0.2)
    raise AssertionError("the closed connections should have made room again")
