"""A person in the chat, played by the real python-socketio client.

Like a browser, a ChatUser first opens /chat (which puts the name and room into the
session cookie) and then connects to Socket.IO with that cookie.

Run as a script (`python chat_user.py URL NAME ROOM`) it joins, prints "joined" and waits
to be killed: the tests use that to drop a connection abruptly.
"""
import json
import queue
import sys
import threading
import time

import engineio
import requests
import socketio

TIMEOUT = 5


class InOrderClient(socketio.Client):
    """python-socketio's client, handling the server's packets one at a time in the order
    they arrived, as a browser's Socket.IO client does.

    Its Engine.IO client runs the handler of each packet in a thread of its own (see
    python-socketio#382), so on a busy machine a later event can be recorded before an
    earlier one: a test would see out of order what the server sent in order.
    tests/test_chat_user.py shows both."""

    def _engineio_client_class(self):
        return InOrderEngineIOClient


class InOrderEngineIOClient(engineio.Client):
    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False  # a handler must not block: the next packet waits
        return super()._trigger_event(event, *args, **kwargs)


class ChatUser:
    """`http` reuses the cookies of an earlier ChatUser: the same browser, a new page.
    With `reconnect`, the client reconnects by itself and joins again, saying the last
    message id it saw, as part 4's page does."""

    def __init__(self, base_url, username, room, transport="websocket", http=None,
                 reconnect=False):
        self.username = username
        self.room = room
        self.last_id = None  # the newest message id seen (part 4)
        self.joined = False
        self.http = http or requests.Session()
        if http is None:
            page = self.http.get(f"{base_url}/chat",
                                 params={"username": username, "room": room}, timeout=TIMEOUT)
            assert page.status_code == 200 and not page.history, (
                f"/chat with username {username!r} and room {room!r} should open the chat "
                f"page: it answered {page.history[0].status_code if page.history else ''} "
                f"{page.status_code} {page.url}")
        self.received = queue.Queue()
        self.disconnected = threading.Event()
        # Like a browser, the client sends the session cookie with every request.
        self.sio = InOrderClient(reconnection=reconnect, reconnection_delay=0.2,
                                 reconnection_delay_max=1, http_session=self.http)
        self.sio.on("*", self.record)
        self.sio.on("connect", self.join_again)
        self.sio.on("disconnect", lambda reason=None: self.disconnected.set())
        try:
            self.sio.connect(base_url, transports=[transport], wait_timeout=TIMEOUT)
        except socketio.exceptions.ConnectionError as error:
            raise AssertionError(
                f"{username}'s Socket.IO connection ({transport}) failed after opening "
                f"/chat: {error}. The server should accept a connection whose session "
                "holds a name and a room") from None

    def record(self, event, data=None):
        if event == "receive_message" and isinstance(data, dict) and "id" in data:
            self.last_id = max(self.last_id or 0, data["id"])
        self.received.put((event, data))

    def join_payload(self):
        payload = {"username": self.username, "room": self.room}
        if self.last_id is not None:
            payload["last_id"] = self.last_id
        return payload

    def join_again(self):
        """After a reconnection, join again; the answer arrives as a "joined_again" event."""
        if self.joined:
            self.disconnected.clear()
            self.sio.emit("join_room", self.join_payload(),
                          callback=lambda answer: self.received.put(("joined_again", answer)))

    def call(self, event, data):
        """Emit `event` and return the server's acknowledgement."""
        try:
            return self.sio.call(event, data, timeout=TIMEOUT)
        except socketio.exceptions.TimeoutError:
            raise AssertionError(
                f"{event} from {self.username} with {data!r} got no answer within "
                f"{TIMEOUT} s: is there a handler for {event}, and does it return a dict, "
                "{'ok': True, ...} or {'ok': False, 'error': ...}? A handler that crashed "
                "answers nothing (look for a traceback in the server's log)") from None
        except socketio.exceptions.BadNamespaceError:
            raise AssertionError(f"{self.username} cannot send {event}: the server has "
                                 "closed the connection") from None

    def join(self):
        answer = self.call("join_room", self.join_payload())
        if not isinstance(answer, dict):
            return answer
        self.joined = answer.get("ok", False)
        if self.last_id is None and "last_id" in answer:
            self.last_id = answer["last_id"]
        return answer

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
            if name == event and isinstance(data, dict) and all(
                    data.get(k) == v for k, v in expected.items()):
                return seen

    def close(self):
        self.sio.disconnect()


if __name__ == "__main__":
    url, username, room = sys.argv[1:4]
    user = ChatUser(url, username, room)
    answer = user.join()
    print("joined" if isinstance(answer, dict) and answer.get("ok") else answer, flush=True)
    time.sleep(60)  # the test kills this process long before


class Lurker:
    """A script that joins over Engine.IO's polling transport, then only ever posts: it
    never GETs, so never reads what the room sends it, but answers the pings it never
    reads (a pong every PONG_SECONDS), so the server's ping timeout never ends it."""

    PONG_SECONDS = 5

    def __init__(self, base_url, room):
        self.http = requests.Session()
        self.http.get(f"{base_url}/chat", params={"username": "lurker", "room": room},
                      timeout=TIMEOUT)
        self.url = f"{base_url}/socket.io/?EIO=4&transport=polling"
        opened = self.http.get(self.url, timeout=TIMEOUT).text
        self.url += "&sid=" + json.loads(opened[1:])["sid"]
        self.post("40")  # connect to the namespace
        self.http.get(self.url, timeout=TIMEOUT)  # its answer
        self.post('421["join_room",' + json.dumps(
            {"username": "lurker", "room": room, "page_id": "lurker-page"}) + "]")
        joined = self.http.get(self.url, timeout=TIMEOUT).text
        assert '431[{"ok":true' in joined, f"the lurker could not join: {joined}"
        self.stopped = threading.Event()
        self.ponger = threading.Thread(target=self.keep_answering_pings, daemon=True)
        self.ponger.start()

    def post(self, body):
        return self.http.post(self.url, data=body, timeout=TIMEOUT)

    def keep_answering_pings(self):
        while not self.stopped.wait(self.PONG_SECONDS):
            try:
                self.post("3")  # Engine.IO's pong
            except requests.RequestException:
                return  # the server has closed the session

    def close(self):
        self.stopped.set()
        self.ponger.join(TIMEOUT)
