"""A guard in front of a server a class reaches: `make class` puts one in
front of the chat and one in front of the docs.

    python scripts/guard.py --listen 0.0.0.0:5000 --to 127.0.0.1:5101

It passes every byte through, both ways, and protects the server behind it
from what a crowded classroom network, or one student's script, does to a
laptop's servers:

- Open files. Every connection is a file descriptor, and a process may
  have only so many (`ulimit -n`: 256 in a macOS Terminal, 1,024 on most
  Linux desktops). The guard raises its soft limit towards the hard one,
  and takes at most as many connections as it can open (two descriptors
  each: the client's and the server's). A connection over the cap is
  answered "503 Service Unavailable" and closed, never left waiting.
- One address, many connections. A client address may hold at most
  --per-address connections at once (a browser needs about ten).
- Slow requests. A request whose headers have not all arrived within
  --header-seconds is answered "408 Request Timeout" and closed, so
  half-sent requests cannot hold connections for ever.
- Idle connections. A connection that moves no byte either way for
  --idle-seconds is closed. Socket.IO sends a ping every 25 seconds and
  answers a long-polling request within that time, so a live chat never
  waits that long; a client that sent its headers and went quiet does.
- Errors. An error on one connection closes that connection only. Should
  the process run out of descriptors all the same, asyncio pauses taking
  connections for a moment, and uvloop closes those it cannot take,
  instead of stopping.

The guard only reads the first request's headers (to time them); after
them it passes on whatever either side sends as it comes, so WebSockets
and keep-alive work as without it. With --hand-over (Linux), it hands
the connection itself to a chat run by scripts/guarded_chat.py instead,
and only watches it: how long it has been quiet, and when it ends, the
kernel says (TCP_INFO). A message then costs the guard nothing. It runs
on uvloop where that is installed (not on Windows), else on asyncio's
own event loop.
"""
import argparse
import asyncio
import contextlib
import os
import resource
import socket
import struct
import sys
from collections import Counter

try:
    # libuv's event loop: its sockets' reads and writes run in C, which
    # saves about a tenth of what the guard costs per message
    # (docs/benchmark.md). It has no Windows version; there asyncio's own
    # loop does the same work.
    import uvloop
except ImportError:
    uvloop = None

# Descriptors kept back for the guard itself: its listening socket, logs,
# the Python runtime's own files.
RESERVED_DESCRIPTORS = 64
HEADERS_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 64 * 1024
# How often the guard looks at a connection it has handed over.
WATCH_SECONDS = 1
# The most it hands over with a connection: what it read of it, the
# headers and what came with them (a longer one is passed on instead).
MAX_HANDED_BYTES = 128 * 1024
TCP_ESTABLISHED = 1  # Linux's tcpi_state
# Tried in order when the hard limit is "unlimited" (macOS refuses a soft
# limit above its kern.maxfilesperproc).
SOFT_LIMITS = (65536, 10240, 4096)


def raise_open_file_limit():
    """Raise this process's soft limit on open files towards the hard
    limit; (before, after). Children started later inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = hard == resource.RLIM_INFINITY
    for limit in ([] if unlimited else [hard]) + list(SOFT_LIMITS):
        if soft < limit and (unlimited or limit <= hard):
            with contextlib.suppress(ValueError, OSError):
                resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
                return soft, limit
    return soft, soft


def connection_cap():
    """How many connections fit in this process's open-file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(1, (soft - RESERVED_DESCRIPTORS) // 2)


def refusal(status, reason):
    """A short HTTP response for a connection the guard will not pass on."""
    body = f"{reason}\n".encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8"
            f"\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
            "Retry-After: 5\r\n\r\n").encode() + body


class Guard:
    def __init__(self, target, per_address, header_seconds, idle_seconds,
                 cap=None, hand_over=None):
        self.target = target  # (host, port) of the server behind
        self.per_address = per_address
        self.header_seconds = header_seconds
        self.idle_seconds = idle_seconds
        self.cap = cap or connection_cap()
        self.open = Counter()  # client address -> its open connections
        self.tasks = set()  # asyncio keeps only weak references to tasks
        self.hand_over = hand_over  # the chat's Unix socket, or None
        self.channel = None  # connected to it

    def connected(self, client):
        """A client connected (Client.connection_made): handle it."""
        task = asyncio.get_running_loop().create_task(self.handle(client))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def handle(self, client):
        address = (client.transport.get_extra_info("peername") or ("?",))[0]
        try:
            if sum(self.open.values()) >= self.cap:
                await refuse(client, "503 Service Unavailable",
                             "The server is full; try again shortly.")
            elif self.open[address] >= self.per_address:
                await refuse(client, "503 Service Unavailable",
                             "Too many connections from your address.")
            else:
                self.open[address] += 1
                try:
                    await self.pass_on(client)
                finally:
                    self.open[address] -= 1
                    if not self.open[address]:
                        del self.open[address]
        except OSError:
            pass  # the server is not there: nothing to pass on to
        finally:
            client.transport.close()

    async def pass_on(self, client):
        """Wait for the first request's headers, then hand the connection
        to the chat, or join the client and the server until both sides
        have finished."""
        await asyncio.wait({client.headers}, timeout=self.header_seconds)
        if not client.headers.done():
            await refuse(client, "408 Request Timeout",
                         "The request's headers took too long.")
            return
        if client.headers.result() is TOO_LARGE:
            await refuse(client, "431 Request Header Fields Too Large",
                         "The request's headers are too large.")
            return
        if client.headers.result() is ENDED:
            return
        if self.handed_over(client):
            await self.watch(client)
            return
        _, server = await asyncio.get_running_loop().create_connection(
            lambda: Side(client.activity), *self.target)
        client.join(server)
        quiet = asyncio.ensure_future(client.activity.quiet_for(
            self.idle_seconds))
        try:
            # Either side's end ends the server's side (Side.connection_lost).
            await asyncio.wait({server.lost, quiet},
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            # Idle (or over): both sides are closed.
            quiet.cancel()
            server.transport.close()

    def handed_over(self, client):
        """Hand the client's socket, and what came of it so far, to the
        chat (scripts/guarded_chat.py); False if it cannot take it now."""
        if not self.hand_over or len(client.received) > MAX_HANDED_BYTES:
            return False
        try:
            if self.channel is None:
                self.channel = socket.socket(socket.AF_UNIX,
                                             socket.SOCK_SEQPACKET)
                self.channel.connect(self.hand_over)
                self.channel.setblocking(False)  # the loop must not wait
            sock = client.transport.get_extra_info("socket")
            # The event loop switched Nagle's algorithm off; the chat's
            # own accept() leaves it on, and so the chat sends as it does
            # without the guard (fewer, fuller packets).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 0)
            socket.send_fds(self.channel, [bytes(client.received)],
                            [sock.fileno()])
        except BlockingIOError:  # the chat is behind: pass bytes on
            return False
        except OSError:  # no chat there yet, or gone: pass bytes on
            if self.channel is not None:
                self.channel.close()
            self.channel = None
            return False
        return True

    async def watch(self, client):
        """Until a handed-over connection ends, or moves no byte for
        idle_seconds (then end it): the kernel knows both (TCP_INFO)."""
        descriptor = client.transport.get_extra_info("socket").fileno()
        with socket.socket(fileno=os.dup(descriptor)) as sock:
            while (quiet := quiet_seconds(sock)) is not None:
                if quiet >= self.idle_seconds:
                    sock.shutdown(socket.SHUT_RDWR)  # the chat's end too
                    return
                await asyncio.sleep(min(WATCH_SECONDS,
                                        self.idle_seconds - quiet))


def quiet_seconds(sock):
    """Seconds since `sock` last sent or received data, or None once it is
    no longer open both ways (Linux's struct tcp_info: tcpi_state, then
    tcpi_last_data_sent and tcpi_last_data_recv in ms, at bytes 44, 52)."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    if info[0] != TCP_ESTABLISHED:
        return None
    sent, _, received = struct.unpack_from("=3I", info, 44)
    return min(sent, received) / 1000


async def refuse(side, status, reason):
    """Answer `side` with a refusal, close it, and give a client that does
    not read its answer 5 s."""
    side.transport.write(refusal(status, reason))
    side.transport.close()
    await asyncio.wait({side.lost}, timeout=5)
    if not side.lost.done():
        side.transport.abort()


# What a client's headers came to (Client.headers).
COMPLETE, TOO_LARGE, ENDED = "complete", "too large", "ended"


class Side(asyncio.Protocol):
    """One socket of a passed-on connection: the client's or the server's.
    Once it is joined to its peer, what it receives is written to the
    peer's socket in the same callback: no task wakes up, no buffer sits
    in between (with asyncio's streams, the guard cost half as much CPU
    again per message)."""

    def __init__(self, activity):
        loop = asyncio.get_running_loop()
        self.activity = activity  # the connection's, both sides' together
        self.clock = loop.time
        self.transport = None
        self.peer = None
        self.ended = False  # the other end sent all it will send
        self.lost = loop.create_future()  # done once the socket is closed

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.peer.transport.write(data)
        self.activity.last = self.clock()

    def eof_received(self):
        self.ended = True
        if self.peer is None:
            return False
        if not self.peer.transport.can_write_eof():
            self.peer.transport.close()
        elif not self.peer.transport.is_closing():
            self.peer.transport.write_eof()
        if self.peer.ended:  # both ways are over
            self.transport.close()
            self.peer.transport.close()
        return True  # the other way may still carry bytes

    def connection_lost(self, error):
        if not self.lost.done():
            self.lost.set_result(None)
        if self.peer is not None:
            self.peer.transport.close()  # one side failed: end the other

    # The peer's socket is full (a slow reader): stop reading this one
    # until it has room again, so the guard buffers at most a little.
    def pause_writing(self):
        self.peer.transport.pause_reading()

    def resume_writing(self):
        self.peer.transport.resume_reading()


class Client(Side):
    """A client's socket: it keeps what it receives until its first
    request's headers are in (`headers` says how that went), then is
    joined to the server's."""

    def __init__(self, guard):
        super().__init__(Activity())
        self.guard = guard
        self.received = bytearray()
        self.headers = asyncio.get_running_loop().create_future()

    def connection_made(self, transport):
        super().connection_made(transport)
        self.guard.connected(self)

    def data_received(self, data):
        if self.peer is not None:
            super().data_received(data)
            return
        # Only the new bytes (and the end of the old) are searched: a client
        # that sends its headers a byte at a time costs no more.
        searched = max(0, len(self.received) - len(HEADERS_END) + 1)
        self.received += data
        if self.headers.done():
            return
        if self.received.find(HEADERS_END, searched) >= 0:
            # Nothing more until the server's side is open (join()).
            self.transport.pause_reading()
            self.headers.set_result(COMPLETE)
        elif len(self.received) > MAX_HEADER_BYTES:
            self.transport.pause_reading()
            self.headers.set_result(TOO_LARGE)

    def eof_received(self):
        if self.peer is not None:
            return super().eof_received()
        self.ended = True
        if not self.headers.done():
            self.headers.set_result(ENDED)
        return self.headers.result() is COMPLETE  # join() passes it on

    def connection_lost(self, error):
        if not self.headers.done():
            self.headers.set_result(ENDED)
        super().connection_lost(error)

    def join(self, server):
        """Pass on what came so far, and from now on everything, both
        ways."""
        self.peer, server.peer = server, self
        self.activity.last = self.clock()
        self.transport.resume_reading()
        server.transport.write(bytes(self.received))
        self.received = None
        if self.ended:
            server.transport.write_eof()


class Activity:
    """When a connection last moved a byte, either way."""

    def __init__(self):
        self.last = asyncio.get_running_loop().time()

    async def quiet_for(self, seconds):
        """Return once no byte has moved for `seconds`."""
        loop = asyncio.get_running_loop()
        while (left := self.last + seconds - loop.time()) > 0:
            await asyncio.sleep(left)


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


async def serve(options):
    guard = Guard(address(options.to), options.per_address,
                  options.header_seconds, options.idle_seconds,
                  cap=options.max_connections, hand_over=options.hand_over)
    host, port = address(options.listen)
    server = await asyncio.get_running_loop().create_server(
        lambda: Client(guard), host, port, backlog=1024, reuse_port=False)
    print(f"guard: {options.listen} -> {options.to}, at most {guard.cap} "
          f"connections, {options.per_address} from one address, "
          f"{options.header_seconds:g} s for a request's headers, "
          f"{options.idle_seconds:g} s of silence, "
          f"{type(asyncio.get_running_loop()).__module__.split('.')[0]}'s "
          "event loop",
          flush=True)
    async with server:
        await server.serve_forever()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", required=True, help="HOST:PORT")
    parser.add_argument("--to", required=True, help="HOST:PORT behind it")
    parser.add_argument("--per-address", type=int, default=50)
    parser.add_argument("--header-seconds", type=float, default=10)
    # Longer than Socket.IO's ping interval (25 s) and its wait for the
    # answer (20 s): a live connection always moves a byte before this.
    parser.add_argument("--idle-seconds", type=float, default=60)
    parser.add_argument("--hand-over", metavar="UNIX_SOCKET",
                        help="hand each connection, once its headers are "
                             "in, to the chat run by scripts/guarded_chat.py "
                             "on this socket (Linux)")
    parser.add_argument("--max-connections", type=int, metavar="N",
                        help="at most N at once (default: as many as the "
                             "open-file limit allows)")
    parser.add_argument("--plain-asyncio", action="store_true",
                        help="asyncio's own event loop, even where uvloop "
                             "is installed")
    options = parser.parse_args(argv)
    before, after = raise_open_file_limit()
    if after != before:
        print(f"guard: open-file limit raised from {before} to {after}",
              flush=True)
    run = asyncio.run if options.plain_asyncio or not uvloop else uvloop.run
    try:
        run(serve(options))
    except OSError as error:
        sys.exit(f"guard: cannot listen on {options.listen}: {error}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
