"""What the pages say about other software, shown on the pinned versions.

Each test is named after a statement in the docs and says where it is
made. When an upgrade changes one of these behaviours, the test fails and
the page has to change with it.
"""
import base64
import os
import runpy
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time

import pytest
import redis
import requests
from flask import Flask
from flask_socketio import SocketIO, emit, join_room

from harness.chat_user import ChatUser
from tutorial.chain import REPO
from harness.servers import Server, free_port, procfile_command
from harness.stack import PLATFORM_ENV

PART2 = REPO / "part2_chat"
PART3 = REPO / "part3_deploy"
PYTHON = shlex.quote(sys.executable)
TIMEOUT = 15


# --- emit and rooms: background.md#rooms, part2-2-joining.md (NO:4) ------------
@pytest.fixture
def rooms():
    """A tiny Flask-SocketIO app with ann in room "a" and bob in room "b",
    and handlers that emit to an empty room in the two ways the pages
    compare. Returns (ann, bob), two Flask-SocketIO test clients."""
    app = Flask(__name__)
    socketio = SocketIO(app)

    @socketio.on("join")
    def on_join(room):
        join_room(room)

    @socketio.on("emit_empty_room")
    def on_emit_empty_room(include_self):
        emit("heard", "emit", to="", include_self=include_self)

    @socketio.on("socketio_emit_empty_room")
    def on_socketio_emit_empty_room():
        socketio.emit("heard", "socketio.emit", to="")

    ann, bob = socketio.test_client(app), socketio.test_client(app)
    ann.emit("join", "a")
    bob.emit("join", "b")
    yield ann, bob
    ann.disconnect()
    bob.disconnect()


def heard(client):
    return [event["args"][0] for event in client.get_received()
            if event["name"] == "heard"]


def test_emit_in_a_handler_with_an_empty_room_reaches_only_the_sender(rooms):
    ann, bob = rooms
    ann.emit("emit_empty_room", True)
    assert heard(ann) == ["emit"], (
        "emit(..., to='') inside a handler should come back to its sender")
    assert heard(bob) == [], (
        "emit(..., to='') inside a handler reached a client in another room: "
        "the pages say an empty `to` falls back to the sender alone")


def test_emit_with_an_empty_room_and_include_self_false_reaches_nobody(rooms):
    ann, bob = rooms
    ann.emit("emit_empty_room", False)
    assert heard(ann) == [] and heard(bob) == [], (
        "emit(..., to='', include_self=False) inside a handler should reach "
        "nobody: the room becomes the sender's id, and the sender is skipped")


def test_socketio_emit_with_an_empty_room_reaches_every_client(rooms):
    ann, bob = rooms
    ann.emit("socketio_emit_empty_room")
    assert heard(ann) == ["socketio.emit"] and heard(bob) == ["socketio.emit"], (
        "socketio.emit(..., to='') should reach every client in every room, "
        "which is the original tutorial's empty-room broadcast")


# --- which server runs the chat: background.md, troubleshooting.md --------------
def test_flask_run_serves_the_chat_in_threading_mode_over_websocket(tmp_path):
    # The real chat under `flask run`, through a two-line module that also
    # says which async mode Flask-SocketIO chose.
    (tmp_path / "chat_under_flask_run.py").write_text(
        f"import sys; sys.path.insert(0, {str(PART2)!r})\n"
        "from app import app, socketio; print('mode:', socketio.async_mode)\n")
    port = free_port()
    server = Server(f"{PYTHON} -m flask --app chat_under_flask_run run "
                    f"--port {port}", cwd=tmp_path, port=port,
                    env={"SECRET_KEY": "a-test-key", "FLASK_DEBUG": None})
    users = []
    try:
        server.wait_until_serving()
        assert "mode: threading" in server.log(), (
            "under `flask run` Flask-SocketIO should pick threading mode "
            f"(Flask sets FLASK_RUN_FROM_CLI); the server printed:\n"
            f"{server.log()}")
        users = [ChatUser(server.url, name, "r", transport="websocket")
                 for name in ("ann", "bob")]
        for user in users:
            assert user.join()["ok"]
            assert user.sio.transport() == "websocket"
        assert users[0].send("over a WebSocket") == {"ok": True}
        users[1].wait_for("receive_message", message="over a WebSocket")
    finally:
        # The server first: a client that closes its WebSocket to Werkzeug's
        # server waits seconds for the server's side of the close.
        server.close()
        for user in users:
            user.close()


def websocket_handshake(url):
    """The status of a WebSocket upgrade request for a new Engine.IO session."""
    key = base64.b64encode(os.urandom(16)).decode()
    return requests.get(
        f"{url}/socket.io/?EIO=4&transport=websocket", timeout=5,
        headers={"Connection": "Upgrade", "Upgrade": "websocket",
                 "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": key},
    ).status_code


def test_app_run_of_an_eventlet_mode_app_answers_websocket_with_500():
    code = "import os, app; app.app.run(port=int(os.environ['PORT']))"
    server = Server(f"{PYTHON} -c {shlex.quote(code)}", cwd=PART2,
                    env={"SECRET_KEY": "a-test-key", "FLASK_DEBUG": None})
    try:
        server.wait_until_serving()
        status = websocket_handshake(server.url)
        assert status == 500, (
            "app.run() of the chat (eventlet mode on Werkzeug's server) "
            f"should answer a WebSocket upgrade with 500; it answered {status}")
        # Werkzeug logs the traceback just after the status line.
        error = "RuntimeError: You need to use the eventlet server"
        deadline = time.monotonic() + 5
        while error not in server.log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert error in server.log(), (
            f"the log does not say why:\n{server.log()}")
    finally:
        server.close()


def test_socketio_run_in_threading_mode_refuses_without_a_terminal():
    code = ("from flask import Flask; from flask_socketio import SocketIO; "
            "app = Flask(__name__); "
            "SocketIO(app, async_mode='threading').run(app, port=0)")
    try:
        result = subprocess.run([sys.executable, "-c", code],
                                stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail("socketio.run() in threading mode started serving with "
                    "no terminal; the troubleshooting page says it refuses")
    assert ("The Werkzeug web server is not designed to run in production"
            in result.stderr), result.stderr


# --- gunicorn.conf.py on the platform: part3_deploy/README.md -------------------
def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


needs_ipv6 = pytest.mark.skipif(not ipv6_loopback(),
                                reason="this machine has no IPv6 loopback")


def answers_on(host, port):
    """Whether an HTTP request to host:port gets any answer."""
    try:
        requests.get(f"http://{host}:{port}/", timeout=5,
                     allow_redirects=False)
        return True
    except requests.ConnectionError:
        return False


@needs_ipv6
def test_on_the_platform_gunicorn_answers_over_ipv4_and_ipv6():
    server = Server(procfile_command(PART3), cwd=PART3,
                    env={**PLATFORM_ENV, "HOST": None})
    try:
        server.wait_until_serving()
        for host in ("127.0.0.1", "[::1]"):
            assert answers_on(host, server.port), (
                f"gunicorn on the platform (DYNO set, no HOST) does not answer "
                f"on {host}; the router may come over IPv4 or IPv6. It "
                f"printed:\n{server.log()}")
    finally:
        server.close()


class FakeProbe(socket.socket):
    """An IPv6 socket that reports the given IPV6_V6ONLY default."""
    v6_only = 0

    def getsockopt(self, level, option, *args):
        if (level, option) == (socket.IPPROTO_IPV6, socket.IPV6_V6ONLY):
            return self.v6_only
        return super().getsockopt(level, option, *args)


@needs_ipv6
@pytest.mark.parametrize("v6_only", [0, 1], ids=["dual-stack", "v6-only"])
def test_the_platform_bind_takes_ipv4_and_ipv6_on_either_kind_of_system(
        monkeypatch, v6_only):
    """Linux (and macOS) default to dual-stack "[::]" sockets; a system set to
    v6-only (net.ipv6.bindv6only=1) needs a second, IPv4 socket. gunicorn
    does not set IPV6_V6ONLY, so its sockets follow the system's default,
    which is what `v6_only` plays here."""
    conf = runpy.run_path(str(PART3 / "gunicorn.conf.py"))
    with monkeypatch.context() as patch:
        patch.setattr(FakeProbe, "v6_only", v6_only)
        patch.setattr(socket, "socket", FakeProbe)
        hosts = conf["every_interface"]()
    port, listeners = free_port(), []
    try:
        for host in hosts:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            listener = socket.socket(family)
            listeners.append(listener)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY,
                                    v6_only)
            listener.bind((host.strip("[]"), port))
            listener.listen()
        system = "v6-only" if v6_only else "dual-stack"
        for family, address in ((socket.AF_INET, "127.0.0.1"),
                                (socket.AF_INET6, "::1")):
            with socket.socket(family) as client:
                client.settimeout(5)
                assert client.connect_ex((address, port)) == 0, (
                    f"binding {hosts} on a {system} system does not take "
                    f"connections on {address}")
    finally:
        for listener in listeners:
            listener.close()


def test_without_ipv6_the_platform_bind_is_ipv4(monkeypatch):
    conf = runpy.run_path(str(PART3 / "gunicorn.conf.py"))

    def no_ipv6(*args, **kwargs):
        raise OSError(97, "Address family not supported by protocol")

    monkeypatch.setattr(socket, "socket", no_ipv6)
    assert conf["every_interface"]() == ["0.0.0.0"]


# --- Redis over TLS: part4_scale/README.md ------------------------------------------
def test_redis_py_reads_ssl_cert_reqs_none_from_the_url():
    """The app and Flask-SocketIO's message queue both build their client
    with redis.Redis.from_url(REDIS_URL); nothing here connects."""
    pool = redis.ConnectionPool.from_url(
        "rediss://user:secret@redis.example:6380/0?ssl_cert_reqs=none")
    connection = pool.connection_class(**pool.connection_kwargs)
    assert connection.cert_reqs == ssl.CERT_NONE, (
        "redis-py should turn ?ssl_cert_reqs=none in a rediss:// URL into "
        "ssl.CERT_NONE, as part 4's README says")


# --- the origin check behind a proxy: troubleshooting.md#not-an-accepted-origin --------
def engineio_handshake(headers):
    """The status of a new Engine.IO session's first request to a tiny engineio app with
    the default origin check (no cors_allowed_origins) and no ProxyFix, sent with
    `headers` as a proxy would pass them on."""
    import engineio
    from werkzeug.test import Client

    app = engineio.WSGIApp(engineio.Server(async_mode="threading"))
    response = Client(app).get("/engine.io/?EIO=4&transport=polling", headers=headers)
    return response.status_code


@pytest.mark.parametrize("headers, status", [
    # the page and the app at the same address: accepted
    ({"Host": "127.0.0.1:5000", "Origin": "http://127.0.0.1:5000"}, 200),
    # behind a proxy that ends HTTPS and talks to the app at its own address
    ({"Host": "127.0.0.1:5000", "Origin": "https://chat.example"}, 400),
    ({"Host": "127.0.0.1:5000", "Origin": "https://chat.example",
      "X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example"}, 200),
    # behind a proxy that passes the Host on: the scheme is what it must say
    ({"Host": "chat.example", "Origin": "https://chat.example"}, 400),
    ({"Host": "chat.example", "Origin": "https://chat.example",
      "X-Forwarded-Proto": "https"}, 200),
], ids=["same-address", "proxy-without-headers", "proxy-with-proto-and-host",
        "host-passed-without-proto", "host-passed-with-proto"])
def test_engineio_reads_x_forwarded_proto_and_host_for_its_origin_check(headers, status):
    assert engineio_handshake(headers) == status, (
        f"python-engineio's same-origin check answered {headers} with "
        f"{engineio_handshake(headers)}, not {status}: the troubleshooting page says it "
        "reads X-Forwarded-Proto and X-Forwarded-Host itself, with no ProxyFix")


# --- honcho and PORT: part4_scale/README.md -----------------------------------------------
def test_a_procfile_line_that_sets_port_keeps_its_own(tmp_path):
    """honcho gives every line a PORT (5000, 5100, ...); a line that sets PORT in
    front of its command, as Procfile.local's chat lines do, keeps its own."""
    show_port = "python -c \"import os, time; print('{0}', os.environ['PORT'], " \
                "flush=True); time.sleep(30)\""
    (tmp_path / "Procfile").write_text(f"own: PORT=6543 {show_port.format('own')}\n"
                                       f"given: {show_port.format('given')}\n")
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}{os.pathsep}"
                                 f"{os.environ['PATH']}"}
    env.pop("PORT", None)
    process = subprocess.Popen([sys.executable, "-m", "honcho", "start"], cwd=tmp_path,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    ports, seen = {}, []
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(ports) < 2 and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            words = line.split("|", 1)[-1].split()
            if len(words) == 2 and words[0] in ("own", "given"):
                ports[words[0]] = words[1]
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=TIMEOUT)
    assert ports == {"own": "6543", "given": "5100"}, (
        "honcho should give the second line PORT=5100 and leave the first line's own "
        f"PORT=6543; it printed:\n{''.join(seen)}")


IDLE_SERVER = """
import os, sys, eventlet, eventlet.wsgi
listener = eventlet.listen(("127.0.0.1", int(os.environ["PORT"])))
options = {"socket_timeout": 1} if sys.argv[1] == "timeout" else {}
eventlet.wsgi.server(listener, lambda environ, start: [], log_output=False, **options)
"""


def seconds_until_closed(port, limit):
    """Connect, send nothing, and return how long until the server closes the
    connection, or None if it still holds it after `limit` seconds."""
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as idle:
        start = time.monotonic()
        try:
            idle.recv(1)
        except TimeoutError:
            return None
        return time.monotonic() - start


@pytest.mark.parametrize("options", ["timeout", "none"])
def test_eventlet_closes_an_idle_socket_only_with_socket_timeout(options):
    """Part 2's python app.py passes socket_timeout=60 to socketio.run(), which hands it to
    eventlet.wsgi.server(): without it, a connection that sends nothing stays for ever."""
    server = Server(f"{PYTHON} -c {shlex.quote(IDLE_SERVER)} {options}", cwd=PART2)
    try:
        server.wait_until_serving()
        closed_after = seconds_until_closed(server.port, limit=4)
    finally:
        server.close()
    if options == "timeout":
        assert closed_after is not None, (
            "eventlet.wsgi.server(socket_timeout=1) should close a socket idle for 1 s")
    else:
        assert closed_after is None, (
            f"without socket_timeout eventlet closed an idle socket after {closed_after} s")


def test_engineio_lists_its_connections_with_a_queue_each_that_close_can_abort():
    """cut_off_slow_readers() (part 2, step 7) reads python-engineio's server.sockets, each
    socket's queue.qsize(), and calls close(wait=False, abort=True): none is a documented
    API (python-engineio issue 133 asks for a bound of its own)."""
    import engineio
    server = engineio.Server(async_mode="threading")
    disconnected = []
    server.on("disconnect", lambda sid, reason: disconnected.append(sid))
    environ = {"REQUEST_METHOD": "GET", "QUERY_STRING": "EIO=4&transport=polling",
               "wsgi.input": None, "PATH_INFO": "/engine.io/"}
    server.handle_request(environ, lambda status, headers: None)
    [connection] = server.sockets.values()
    for _ in range(3):
        server.send(connection.sid, "unread")
    assert connection.queue.qsize() >= 3, "engineio should queue what it sends a client"
    connection.close(wait=False, abort=True)
    assert disconnected == [connection.sid] and connection.closed, (
        "close(wait=False, abort=True) should end the connection at once, saying so")
