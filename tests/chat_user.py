"""A person in the chat, played by the real python-socketio client.

Like a browser, a ChatUser first opens /chat (which puts the name and room into the
session cookie) and then connects to Socket.IO with that cookie.

Run as a script (`python chat_user.py URL NAME ROOM`) it joins, prints "joined" and waits
to be killed: the tests use that to drop a connection abruptly.
"""
import queue
import sys
import threading
import time

import requests
import socketio

TIMEOUT = 5


class ChatUser:
    def __init__(self, base_url, username, room, transport="websocket"):
        self.username = username
        self.room = room
        self.http = requests.Session()
        page = self.http.get(f"{base_url}/chat", params={"username": username, "room": room},
                             timeout=TIMEOUT)
        page.raise_for_status()
        self.received = queue.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", lambda event, data=None: self.received.put((event, data)))
        self.disconnected = threading.Event()
        self.sio.on("disconnect", lambda reason=None: self.disconnected.set())
        cookies = "; ".join(f"{name}={value}" for name, value in self.http.cookies.items())
        self.sio.connect(base_url, headers={"Cookie": cookies}, transports=[transport],
                         wait_timeout=TIMEOUT)

    def call(self, event, data):
        """Emit `event` and return the server's acknowledgement."""
        return self.sio.call(event, data, timeout=TIMEOUT)

    def join(self):
        return self.call("join_room", {"username": self.username, "room": self.room})

    def send(self, message):
        return self.call("send_message", {"username": self.username, "room": self.room,
                                          "message": message})

    def leave(self):
        return self.call("leave_room", {"username": self.username, "room": self.room})

    def wait_for(self, event, timeout=TIMEOUT, **expected):
        """Return the events received up to and including the first `event` whose payload
        contains `expected`; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            remaining = deadline - time.monotonic()
            try:
                name, data = self.received.get(timeout=max(remaining, 0))
            except queue.Empty:
                raise AssertionError(f"{self.username} did not receive {event} {expected} "
                                     f"within {timeout}s; got {seen}") from None
            seen.append((name, data))
            if name == event and all(data.get(k) == v for k, v in expected.items()):
                return seen

    def close(self):
        self.sio.disconnect()


if __name__ == "__main__":
    url, username, room = sys.argv[1:4]
    user = ChatUser(url, username, room)
    assert user.join()["ok"]
    print("joined", flush=True)
    time.sleep(60)  # the test kills this process long before
