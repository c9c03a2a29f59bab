"""part3_deploy, run exactly as the platform runs it: on the repository's
part3_deploy, or on a learner's copy of it (--checkpoint COPY --step part3).

A fresh virtual environment is built from the folder's requirements.txt alone (once a
run: harness/venvs.py), and the command is read from the Procfile (or, for the
alternative worker, from the part's README), never copied here.
"""
import re
import subprocess
import sys
import time

import pytest
import requests
from flask import request

from harness.chat_user import ChatUser
from harness.apps import load_app_module
from tutorial.chain import REPO
from harness.servers import Server, listening_addresses, procfile_command
from harness.stack import PLATFORM_ENV
from harness.venvs import venv_holding

PART3 = REPO / "part3_deploy"
# Part 3's own lesson: on part3_deploy (or a learner's copy of it), not on
# part 4, whose Procfile also needs Redis.
pytestmark = [pytest.mark.step(1, part=3), pytest.mark.own_part(3)]
PLATFORM_STOP_TIMEOUT = 30  # seconds the platform waits after SIGTERM before SIGKILL
# What the platform's router adds to each request it passes on to the dyno, over plain
# http: the browser used https. Without it the app redirects to https (DYNO is set).
ROUTER = {"X-Forwarded-Proto": "https"}


def readme_worker_line(worker, folder=PART3):
    """The Procfile line for `worker` that the part's README.md documents
    (the repository's, if a learner's copy has none: the page shows it)."""
    readme = folder / "README.md"
    readme = (readme if readme.exists() else PART3 / "README.md").read_text()
    lines = [line for line in re.findall(r"^web: .*$", readme, re.M) if worker in line]
    assert len(lines) == 1, f"README.md should show one web: line for {worker}"
    return lines[0].removeprefix("web:").strip()


@pytest.fixture(scope="module")
def platform_bin(checkpoint):
    """The bin/ folder of a new venv holding the folder's requirements.txt and nothing
    else."""
    return venv_holding(checkpoint / "requirements.txt").parent


def platform_server(command, folder, platform_bin, env=PLATFORM_ENV):
    """`command` started in `folder` with the platform's environment: PORT, DYNO and the
    config vars, from the platform venv, and no HOST (the platform sets none)."""
    assert command, f"{folder} should have a Procfile with a web: line"
    return Server(command, cwd=folder, bin_dir=platform_bin, env={**env, "HOST": None})


def behind_the_router(url, username, room):
    """A ChatUser whose requests arrive as the router passes them on."""
    http = requests.Session()
    http.headers.update(ROUTER)
    page = http.get(f"{url}/chat", params={"username": username, "room": room}, timeout=5)
    assert page.status_code == 200, f"/chat behind the router answered {page.status_code}"
    return ChatUser(url, username, room, http=http)


def two_users_chat(url, room):
    alice, bob = behind_the_router(url, "alice", room), behind_the_router(url, "bob", room)
    for user in (alice, bob):
        answer = user.join()
        assert isinstance(answer, dict) and answer.get("ok"), (
            f"join_room from {user.username} should be accepted: it answered {answer!r}")
    for sender, receiver in ((alice, bob), (bob, alice)):
        text = f"hello from {sender.username}"
        answer = sender.send(text)
        assert answer == {"ok": True}, (
            f"send_message from {sender.username} should be accepted: it answered "
            f"{answer!r}")
        receiver.wait_for("receive_message", username=sender.username, message=text)
    return alice, bob


def uses_worker(command, worker):
    """Whether a gunicorn command line picks `worker` (--worker-class W,
    --worker-class=W or -k W)."""
    return bool(re.search(rf"(--worker-class[= ]|-k ?){worker}\b", command or ""))


@pytest.mark.parametrize("worker", ["eventlet", "gevent"])
def test_the_procfile_command_serves_the_chat_as_on_the_platform(checkpoint, request,
                                                                 worker):
    command = (procfile_command(checkpoint) if worker == "eventlet"
               else readme_worker_line(worker, checkpoint))
    assert uses_worker(command, worker), (
        f"the Procfile should start gunicorn with --worker-class {worker}: it says "
        f"{command!r}. gunicorn's default worker serves one request at a time, and an open "
        "chat connection never ends")
    # Only now the platform's venv, which takes a while: a Procfile without the worker
    # fails at once.
    platform_bin = request.getfixturevalue("platform_bin")
    server = platform_server(command, checkpoint, platform_bin)
    try:
        server.wait_until_serving()
        log = server.log()
        for line in (f"Using worker: {worker}", f"Socket.IO is running in {worker} mode"):
            assert line in log, (
                f"started with {command!r}, the log should say {line!r}: it printed\n{log}")
        # On the platform gunicorn listens on $PORT on every interface, for the router:
        # "::" alone where it takes IPv4 too, "0.0.0.0" alone where there is no IPv6.
        addresses = listening_addresses(server.port)
        assert addresses in ({"::"}, {"::", "0.0.0.0"}, {"0.0.0.0"}), (
            "on the platform (DYNO set) gunicorn should listen on every interface, for "
            f"the router: it listens on {sorted(addresses)} (gunicorn.conf.py's bind)")
        start_page = requests.get(server.url + "/", headers=ROUTER, timeout=5)
        assert "Join the chat" in start_page.text, (
            f"the start page behind the router should say 'Join the chat': it answered "
            f"{start_page.status_code}")
        chat_page = requests.get(server.url + "/chat", params={"username": "a", "room": "r"},
                                 headers=ROUTER, timeout=5)
        assert chat_page.status_code == 200, (
            f"/chat behind the router should open with 200: it answered "
            f"{chat_page.status_code}")
        users = two_users_chat(server.url, f"deploy-{worker}")
        # SIGTERM with the chat still open, as on a restart: done well inside the limit.
        took = server.stop()
        assert took < PLATFORM_STOP_TIMEOUT / 2, (
            f"on SIGTERM with the chat open the server should stop within "
            f"{PLATFORM_STOP_TIMEOUT / 2:.0f} s (gunicorn.conf.py's graceful_timeout): it "
            f"took {took:.1f} s")
        assert server.process.returncode == 0, (
            f"on SIGTERM the server should exit with 0: it exited with "
            f"{server.process.returncode}")
        for user in users:
            assert user.disconnected.wait(5), (
                f"{user.username}'s connection should be closed when the server stops")
    finally:
        server.close()


def test_behind_the_https_router_the_same_origin_check_holds(checkpoint, platform_bin):
    server = platform_server(procfile_command(checkpoint), checkpoint, platform_bin)
    try:
        server.wait_until_serving()
        handshake = f"{server.url}/socket.io/?EIO=4&transport=polling"
        page_origin = f"https://127.0.0.1:{server.port}"

        def status(origin, **headers):
            return requests.get(handshake, headers={"Origin": origin, **headers},
                                timeout=5).status_code

        cases = [
            # (origin, headers, status, why)
            (page_origin, ROUTER, 200, "the page's own origin, through the router"),
            (page_origin, {}, 400, "an https page, but no router said so"),
            ("https://evil.example", ROUTER, 400, "another site's page"),
        ]
        for origin, headers, expected, why in cases:
            got = status(origin, **headers)
            assert got == expected, (
                f"behind the router, a Socket.IO handshake from {origin} ({why}) should be "
                f"answered {expected}: it got {got}. ProxyFix(app.wsgi_app, x_for=1, "
                "x_proto=1) lets the same-origin check see https")
    finally:
        server.close()


@pytest.mark.parametrize("how", ["Procfile", "python app.py"])
def test_on_the_platform_missing_trusted_hosts_stop_the_app_with_one_line(
        checkpoint, platform_bin, how):
    command = procfile_command(checkpoint) if how == "Procfile" else how
    server = platform_server(command, checkpoint, platform_bin,
                             env={**PLATFORM_ENV, "TRUSTED_HOSTS": None})
    try:
        server.process.wait(timeout=20)
    finally:
        server.close()
    log = server.log()
    assert (server.process.returncode == 3 and "TRUSTED_HOSTS is not set" in log
            and "Traceback" not in log), (
        f"on the platform without TRUSTED_HOSTS, {command!r} should stop with exit status "
        "3 and one line that says how to set it (trusted_hosts() in app.py): it exited "
        f"with {server.process.returncode}, printing:\n{log}")


@pytest.mark.parametrize(("host", "status", "location"), [
    ("chat.example.com", 301, "https://chat.example.com/chat"),
    ("evil.example", 400, None),
], ids=["the app's domain", "another host"])
def test_on_the_platform_the_redirect_to_https_names_only_a_trusted_host(
        checkpoint, monkeypatch, host, status, location):
    """A Host header is whatever the client writes: redirecting to it would let a link
    to the app send a browser to another site."""
    for name, value in PLATFORM_ENV.items():
        monkeypatch.setenv(name, value)
    app = load_app_module(checkpoint).app
    answer = app.test_client().get("/chat", headers={"Host": host})
    assert (answer.status_code, answer.headers.get("Location")) == (status, location), (
        f"on the platform, http://{host}/chat should be answered {status} "
        f"{location or ''}: Flask's TRUSTED_HOSTS (from the TRUSTED_HOSTS config var) "
        f"refuses hosts that are not the app's. It answered {answer.status_code} "
        f"{answer.headers.get('Location')}")


@pytest.mark.parametrize("how", ["Procfile", "python app.py"])
def test_on_the_platform_a_missing_secret_key_stops_the_app_with_one_line(checkpoint,
                                                                          platform_bin, how):
    command = procfile_command(checkpoint) if how == "Procfile" else how
    server = platform_server(command, checkpoint, platform_bin,
                             env={"DYNO": "web.1", "SECRET_KEY": None})
    try:
        server.process.wait(timeout=20)
    finally:
        server.close()
    log = server.log()
    assert server.process.returncode == 3, (
        f"on the platform without SECRET_KEY, {command!r} should stop with exit status 3 "
        f"(gunicorn then gives up): it exited with {server.process.returncode}; it "
        f"printed:\n{log}")
    assert "SECRET_KEY is not set. Set it once with: heroku config:set SECRET_KEY=" in log, (
        f"without SECRET_KEY on the platform the log should say how to set it: it "
        f"printed:\n{log}")
    assert "Traceback" not in log, (
        f"a missing SECRET_KEY should stop the app with one line, not a traceback:\n{log}")
    assert log.count("SECRET_KEY is not set") == 1, (  # gunicorn gave up: no restart loop
        f"the app should say once that SECRET_KEY is not set (no restart loop):\n{log}")


def test_off_the_platform_a_missing_secret_key_is_only_a_warning(checkpoint):
    result = subprocess.run(
        [sys.executable, "-c", "import app; print(len(app.app.config['SECRET_KEY']))"],
        cwd=checkpoint, capture_output=True, text=True, timeout=30,
        env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, (
        f"off the platform, app.py should start without SECRET_KEY: it failed with\n"
        f"{result.stderr}")
    assert result.stdout.strip() == "64", (
        "without SECRET_KEY, app.py should make a random key, secrets.token_hex(32): its "
        f"key has {result.stdout.strip()} characters")
    assert "SECRET_KEY is not set: using a random key" in result.stderr, (
        "without SECRET_KEY, app.py should warn that it uses a random key: it printed\n"
        f"{result.stderr}")


def test_forwarded_headers_from_the_router_are_trusted(checkpoint, monkeypatch):
    for name, value in PLATFORM_ENV.items():
        monkeypatch.setenv(name, value)
    app = load_app_module(checkpoint).app
    app.add_url_rule("/whoami", "whoami", lambda: f"{request.scheme} {request.remote_addr}")
    answer = app.test_client().get("/whoami", headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"})
    seen = answer.get_data(as_text=True)
    assert seen == "https 203.0.113.7", (
        "behind the router, Flask should see the browser's scheme and address from "
        "X-Forwarded-Proto and X-Forwarded-For (ProxyFix(app.wsgi_app, x_for=1, "
        f"x_proto=1)): it saw {seen!r}")


SPOOFED = "203.0.113.9"  # an address a client claims for itself


def access_log_line(server, path):
    """The first field (the client's address) of gunicorn's access log line for `path`,
    waited for: gunicorn writes it once the response is out."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in server.log().splitlines():
            if f'"GET {path} HTTP/1.1"' in line:
                return line.split()[0]
        time.sleep(0.1)
    raise AssertionError(f"gunicorn's access log has no line for GET {path}:\n{server.log()}")


@pytest.mark.parametrize(("env", "logged"), [
    ({"SECRET_KEY": "a-config-var"}, "127.0.0.1"),
    (PLATFORM_ENV, SPOOFED),
], ids=["off-the-platform", "on-the-platform"])
def test_only_on_the_platform_x_forwarded_for_names_the_client_in_the_log(
        checkpoint, platform_bin, env, logged):
    """Off the platform (`make class PART=part3_deploy`, say) the only one who could send
    X-Forwarded-For is the client itself, which must not choose the address in the log;
    on the platform the router sets it, and it is the browser's."""
    server = platform_server(procfile_command(checkpoint), checkpoint, platform_bin,
                             env=env)
    try:
        server.wait_until_serving()
        path = "/?from=a-client"
        requests.get(server.url + path, headers={**ROUTER, "X-Forwarded-For": SPOOFED},
                     timeout=5, allow_redirects=False)
        address = access_log_line(server, path)
    finally:
        server.close()
    assert address == logged, (
        f"with DYNO {'set' if 'DYNO' in env else 'unset'}, a request from 127.0.0.1 "
        f"saying X-Forwarded-For: {SPOOFED} should be logged as {logged}: it was logged "
        f"as {address} (apply ProxyFix only when DYNO is set)")
