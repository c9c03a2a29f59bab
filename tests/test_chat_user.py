"""The tests' Socket.IO client (chat_user.py) sees events in the order the server sent
them, which python-socketio's own client does not promise."""
import random
import shlex
import sys
import threading
import time

import pytest
import socketio

from harness.chat_user import InOrderClient
from harness.servers import Server

EVENTS = 100
TIMEOUT = 10
# A Socket.IO server (eventlet, as the chat's) that answers a "count" event with "number"
# events 0 to 99, emitted in order.
COUNTING_SERVER = f"""
import os, eventlet, socketio
sio = socketio.Server(async_mode="eventlet")
@sio.on("count")
def count(sid):
    for number in range({EVENTS}):
        sio.emit("number", number, to=sid)
eventlet.wsgi.server(eventlet.listen(("127.0.0.1", int(os.environ["PORT"]))),
                     socketio.WSGIApp(sio), log_output=False)
"""


@pytest.fixture(scope="module")
def counting_server(tmp_path_factory):
    server = Server(f"{shlex.quote(sys.executable)} -c {shlex.quote(COUNTING_SERVER)}",
                    cwd=tmp_path_factory.mktemp("counting"))
    try:
        yield server.wait_until_serving().url
    finally:
        server.close()


def numbers_seen(client, url):
    """The "number" events as `client`'s handler saw them; the handler takes a moment of
    random length, as a busy machine may."""
    seen, done = [], threading.Event()

    def number(value):
        time.sleep(random.uniform(0, 0.005))
        seen.append(value)
        if len(seen) == EVENTS:
            done.set()

    client.on("number", number)
    client.connect(url, transports=["websocket"], wait_timeout=TIMEOUT)
    try:
        client.emit("count")
        assert done.wait(TIMEOUT), f"only {len(seen)} of {EVENTS} events arrived"
    finally:
        client.disconnect()
    return seen


def test_python_socketios_client_may_handle_events_out_of_order(counting_server):
    seen = numbers_seen(socketio.Client(), counting_server)
    assert sorted(seen) == list(range(EVENTS))
    assert seen != list(range(EVENTS)), (
        "python-socketio's client now handles events in the order they arrive: "
        "chat_user.InOrderClient is no longer needed")


def test_the_tests_client_handles_events_in_the_order_they_were_sent(counting_server):
    seen = numbers_seen(InOrderClient(), counting_server)
    assert seen == list(range(EVENTS)), (
        f"InOrderClient should see the events in the order they were sent: {seen}")
