"""Run a checkpoint's `python app.py` so that the guard in front of it can
hand it each connection once the request's headers are checked, instead of
passing every byte on (`make class` does, on Linux):

    python scripts/guarded_chat.py CHANNEL app.py

CHANNEL is a Unix socket this process listens on; the guard connects to it
(`guard.py --hand-over CHANNEL`) and sends each connection's descriptor
with the bytes it has already read from it. The chat then talks to the
student's browser directly, and the guard only watches the connection
(scripts/guard.py): a message costs the guard nothing.

The chat's own TCP port still works, for the guard to fall back on. Nothing
in app.py changes: eventlet.listen(), which socketio.run() calls, returns a
socket whose accept() also takes the connections the guard hands over.
"""
import runpy
import socket
import sys
from pathlib import Path

import eventlet
from eventlet.green import select
from eventlet.greenio import GreenSocket
from eventlet.hubs import notify_opened

# More than a guard sends with a connection (guard.py's MAX_HANDED_BYTES):
# a longer message would be cut short.
MAX_FIRST_BYTES = 256 * 1024


class FirstBytes(GreenSocket):
    """A handed-over connection: reading it gives what the guard had
    already read from it first, then what the browser sends."""

    def __init__(self, sock, first):
        super().__init__(sock)
        self.first = first

    def recv(self, bufsize, flags=0):
        if not self.first:
            return super().recv(bufsize, flags)
        data, self.first = self.first[:bufsize], self.first[bufsize:]
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        if not self.first:
            return super().recv_into(buffer, nbytes, flags)
        count = min(len(self.first), nbytes or len(buffer))
        buffer[:count] = self.first[:count]
        self.first = self.first[count:]
        return count


class Listener(GreenSocket):
    """The chat's listening socket, which also accepts the connections
    that a guard hands over on `channel` (a Unix socket's path)."""

    def __init__(self, listening, channel):
        super().__init__(listening.fd)
        self.listening = listening  # which closes its socket when collected
        self.channel = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.channel.bind(str(channel))
        self.channel.listen()
        self.channel.setblocking(False)
        self.guards = []  # connected guards' sockets

    def accept(self):
        while True:
            sources = [self.fd, self.channel, *self.guards]
            ready, _, _ = select.select(sources, [], [])
            if self.fd in ready:
                try:
                    client, address = self.fd.accept()
                except BlockingIOError:  # another took it first
                    continue
                return self.opened(GreenSocket(client)), address
            if self.channel in ready:
                guard, _ = self.channel.accept()
                guard.setblocking(False)
                self.guards.append(guard)
            for guard in set(ready) & set(self.guards):
                handed = self.take(guard)
                if handed:
                    return handed

    def take(self, guard):
        """(connection, its address) the guard sent, or None."""
        try:
            first, fds, _, _ = socket.recv_fds(guard, MAX_FIRST_BYTES, 1)
        except BlockingIOError:
            return None
        if not fds:  # the guard has gone
            self.guards.remove(guard)
            guard.close()
            return None
        client = socket.socket(fileno=fds[0])
        return self.opened(FirstBytes(client, first)), client.getpeername()

    @staticmethod
    def opened(green):
        # As GreenSocket.accept() does: eventlet forgets what it waited for
        # on an earlier socket with the same descriptor number.
        notify_opened(green.fileno())
        return green


def main():
    channel, script = Path(sys.argv[1]), sys.argv[2]
    listen = eventlet.listen

    def listen_for_the_guard_too(*args, **kwargs):
        return Listener(listen(*args, **kwargs), channel)

    eventlet.listen = listen_for_the_guard_too
    sys.argv = sys.argv[2:]
    sys.path.insert(0, str(Path(script).resolve().parent))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
