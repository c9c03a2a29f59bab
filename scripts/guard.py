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
- Errors. An error on one connection closes that connection only; asyncio
  pauses taking connections for a moment when the process runs out of
  descriptors, instead of stopping.

The guard only reads the first request's headers (to time them); after
them it copies bytes, so WebSockets and keep-alive work as without it.
"""
import argparse
import asyncio
import contextlib
import resource
import sys
from collections import Counter

# Descriptors kept back for the guard itself: its listening socket, logs,
# the Python runtime's own files.
RESERVED_DESCRIPTORS = 64
HEADERS_END = b"\r\n\r\n"
MAX_HEADER_BYTES = 64 * 1024
CHUNK = 64 * 1024
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
                 cap=None):
        self.target = target  # (host, port) of the server behind
        self.per_address = per_address
        self.header_seconds = header_seconds
        self.idle_seconds = idle_seconds
        self.cap = cap or connection_cap()
        self.open = Counter()  # client address -> its open connections

    async def handle(self, reader, writer):
        address = (writer.get_extra_info("peername") or ("?",))[0]
        try:
            if sum(self.open.values()) >= self.cap:
                await self.refuse(writer, "503 Service Unavailable",
                                  "The server is full; try again shortly.")
            elif self.open[address] >= self.per_address:
                await self.refuse(writer, "503 Service Unavailable",
                                  "Too many connections from your address.")
            else:
                self.open[address] += 1
                try:
                    await self.pass_on(reader, writer)
                finally:
                    self.open[address] -= 1
                    if not self.open[address]:
                        del self.open[address]
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client went away: nothing to answer
        finally:
            writer.close()

    async def refuse(self, writer, status, reason):
        writer.write(refusal(status, reason))
        with contextlib.suppress(OSError, asyncio.TimeoutError):
            await asyncio.wait_for(writer.drain(), 5)

    async def pass_on(self, reader, writer):
        """Wait for the first request's headers, then join the client
        and the server until both sides have finished."""
        try:
            head = await asyncio.wait_for(reader.readuntil(HEADERS_END),
                                          self.header_seconds)
        except TimeoutError:
            await self.refuse(writer, "408 Request Timeout",
                              "The request's headers took too long.")
            return
        except asyncio.LimitOverrunError:
            await self.refuse(writer, "431 Request Header Fields Too Large",
                              "The request's headers are too large.")
            return
        server_reader, server_writer = await asyncio.open_connection(
            *self.target, limit=CHUNK)
        moved = Activity()
        both_ways = asyncio.gather(copy(reader, server_writer, moved),
                                   copy(server_reader, writer, moved))
        quiet = asyncio.ensure_future(moved.quiet_for(self.idle_seconds))
        try:
            server_writer.write(head)
            await asyncio.wait({both_ways, quiet},
                               return_when=asyncio.FIRST_COMPLETED)
            if both_ways.done():
                both_ways.result()  # an error of the copying goes on up
        finally:
            # Idle (or one side failed): both sides are closed, which ends
            # the copying too.
            quiet.cancel()
            both_ways.cancel()
            server_writer.close()


class Activity:
    """When a connection last moved a byte, either way."""

    def __init__(self):
        self.last = asyncio.get_running_loop().time()

    def moved(self):
        self.last = asyncio.get_running_loop().time()

    async def quiet_for(self, seconds):
        """Return once no byte has moved for `seconds`."""
        loop = asyncio.get_running_loop()
        while (left := self.last + seconds - loop.time()) > 0:
            await asyncio.sleep(left)


async def copy(reader, writer, activity):
    """Copy bytes until `reader` ends, then end `writer`'s side too."""
    try:
        while data := await reader.read(CHUNK):
            activity.moved()
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:
        writer.close()  # one side failed: end the other


def address(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


async def serve(options):
    guard = Guard(address(options.to), options.per_address,
                  options.header_seconds, options.idle_seconds)
    host, port = address(options.listen)
    server = await asyncio.start_server(
        guard.handle, host, port, limit=MAX_HEADER_BYTES,
        backlog=1024, reuse_port=False)
    print(f"guard: {options.listen} -> {options.to}, at most {guard.cap} "
          f"connections, {options.per_address} from one address, "
          f"{options.header_seconds:g} s for a request's headers, "
          f"{options.idle_seconds:g} s of silence",
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
    options = parser.parse_args(argv)
    before, after = raise_open_file_limit()
    if after != before:
        print(f"guard: open-file limit raised from {before} to {after}",
              flush=True)
    try:
        asyncio.run(serve(options))
    except OSError as error:
        sys.exit(f"guard: cannot listen on {options.listen}: {error}")
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
