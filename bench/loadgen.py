"""One load-generator process: a share of the benchmark's chat users in one asyncio loop.

Every user behaves like a browser tab of the chat: it GETs /chat?username=..&room=.. (so
the server's session cookie is real), opens a Socket.IO connection over WebSocket with
that cookie (python-socketio's AsyncClient on aiohttp), emits join_room and waits for the
acknowledgement. Senders then emit send_message; the text of every message carries the
sender's number, a sequence number and the send time (time.monotonic_ns(), which is one
clock for every process on Linux), so each receiver can compute the message's latency.

bench.py starts several of these processes and drives them over a Pipe with small
commands (join, send, results, reset); progress counters go into a shared array so the
driver can watch without asking.
"""
import asyncio
import logging
import signal
import time

import aiohttp
import socketio

PROGRESS_SLOTS = 4  # per process: announcements, unique messages, last receive, sends done
PROGRESS_EVERY = 0.02  # seconds between updates of the shared counters
TAG = "bench"


class User:
    """One chat user: its own cookie jar (its own session), its own connection."""

    def __init__(self, gen, number, username, room):
        self.gen = gen
        self.number = number
        self.username = username
        self.room = room
        self.http = None
        self.sio = None
        self.worker = None  # part4: which chat process nginx chose (X-Chat-Worker)
        self.seen = set()  # (sender, seq) of the messages this user received
        self.failed = None  # why connecting or joining failed, if it did

    async def connect_and_join(self, url, timeout):
        # aiohttp's default cookie jar ignores cookies from IP addresses such as 127.0.0.1.
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with self.http.get(f"{url}/chat", params={"username": self.username,
                                                        "room": self.room},
                                 timeout=aiohttp.ClientTimeout(total=timeout)) as page:
            page.raise_for_status()
            await page.read()
            self.worker = page.headers.get("X-Chat-Worker")
        self.sio = socketio.AsyncClient(reconnection=False, http_session=self.http,
                                        request_timeout=timeout)
        self.sio.on("receive_message", self.on_message)
        self.sio.on("join_room_announcement", self.on_announcement)
        self.sio.on("disconnect", self.on_disconnect)
        await self.sio.connect(url, transports=["websocket"], wait_timeout=timeout)
        answer = await self.sio.call("join_room", {"username": self.username,
                                                   "room": self.room}, timeout=timeout)
        if not (isinstance(answer, dict) and answer.get("ok")):
            raise RuntimeError(f"join_room refused: {answer!r}")

    def on_announcement(self, data=None):
        self.gen.announcements += 1

    def on_disconnect(self, reason=None):
        if not self.gen.closing:
            self.gen.disconnects.append(str(reason))

    def on_message(self, data):
        now = time.monotonic_ns()
        parts = data.get("message", "").split(" ", 4)
        if len(parts) < 4 or parts[0] != TAG:
            return
        key = (int(parts[1]), int(parts[2]))
        if key in self.seen:
            self.gen.duplicates += 1
            return
        self.seen.add(key)
        self.gen.unique += 1
        self.gen.latencies.append((now - int(parts[3])) / 1e6)
        self.gen.last_receive = now / 1e9

    async def close(self):
        try:
            if self.sio is not None:
                await asyncio.wait_for(self.sio.disconnect(), 5)
        except Exception:  # noqa: BLE001 - the server may already be gone
            pass
        if self.http is not None:
            await self.http.close()


class Generator:
    def __init__(self, index, conn, progress):
        self.index = index
        self.conn = conn
        self.progress = progress
        self.users = []
        self.closing = False
        self.reset_counters()

    def reset_counters(self):
        self.disconnects = []  # why connections ended before the run was over
        self.announcements = 0
        self.unique = 0
        self.duplicates = 0
        self.latencies = []
        self.last_receive = 0.0
        self.sent = 0

    # --- commands -------------------------------------------------------------------
    async def join(self, url, room, users, concurrency, timeout):
        """Connect and join `users` ([(number, username)]), `concurrency` at a time."""
        limit = asyncio.Semaphore(concurrency)
        times, errors, new = [], [], []
        started = time.monotonic()

        async def one(number, username):
            user = User(self, number, username, room)
            self.users.append(user)
            new.append(user)
            async with limit:
                begin = time.monotonic()
                try:
                    await user.connect_and_join(url, timeout)
                except Exception as error:  # noqa: BLE001 - every failure is a result
                    user.failed = f"{type(error).__name__}: {error}"[:200]
                    errors.append(user.failed)
                    return
                user.failed = None
                times.append(time.monotonic() - begin)

        await asyncio.gather(*(one(number, name) for number, name in users))
        return {"started": started, "finished": time.monotonic(), "join_times": times,
                "errors": errors, "joined": len(times),
                "numbers": [u.number for u in new if not u.failed],
                "workers": [u.worker for u in new if not u.failed]}

    async def send(self, senders, count, rate, window, timeout):
        """Each of the users numbered `senders` sends `count` messages: `rate` a second,
        or (rate None) as fast as the server acknowledges with `window` in flight."""
        by_number = {u.number: u for u in self.users if not u.failed}
        results = await asyncio.gather(*(self.send_from(by_number[n], count, rate, window,
                                                        timeout) for n in senders))
        return {"first_send": min(r["first_send"] for r in results),
                "last_send": max(r["last_send"] for r in results),
                "acks_ok": sum(r["acks_ok"] for r in results),
                "acks_refused": sum(r["acks_refused"] for r in results),
                "ack_errors": [e for r in results for e in r["ack_errors"]][:5]}

    async def send_from(self, user, count, rate, window, timeout):
        in_flight = asyncio.Semaphore(window)
        result = {"acks_ok": 0, "acks_refused": 0, "ack_errors": []}

        def acknowledged(answer=None, *_):
            in_flight.release()
            if isinstance(answer, dict) and answer.get("ok"):
                result["acks_ok"] += 1
            else:
                result["acks_refused"] += 1
                result["ack_errors"].append(repr(answer)[:200])

        start = time.monotonic()
        result["first_send"] = time.monotonic_ns() / 1e9
        for seq in range(count):
            if rate:
                delay = start + seq / rate - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            await in_flight.acquire()
            text = f"{TAG} {user.number} {seq} {time.monotonic_ns()} hello from the benchmark"
            try:
                await user.sio.emit("send_message", {"username": user.username,
                                                     "room": user.room, "message": text},
                                    callback=acknowledged)
            except socketio.exceptions.SocketIOError as error:  # the sender was cut off
                result["ack_errors"].append(f"{type(error).__name__}: {error}"[:200])
                in_flight.release()
                break
            self.sent += 1
        result["last_send"] = time.monotonic_ns() / 1e9
        try:  # wait for the last acknowledgements
            for _ in range(window):
                await asyncio.wait_for(in_flight.acquire(), timeout)
        except TimeoutError:
            result["ack_errors"].append(f"acknowledgements missing after {timeout}s")
        return result

    def results(self):
        joined = [u for u in self.users if not u.failed]
        return {"latencies": self.latencies, "unique": self.unique,
                "duplicates": self.duplicates, "announcements": self.announcements,
                "last_receive": self.last_receive, "disconnects": self.disconnects,
                "received_per_user": [len(u.seen) for u in joined]}

    async def reset(self):
        self.closing = True
        await asyncio.gather(*(u.close() for u in self.users))
        self.users = []
        self.closing = False
        self.reset_counters()
        return {"ok": True}

    # --- plumbing ---------------------------------------------------------------------
    async def publish_progress(self):
        base = self.index * PROGRESS_SLOTS
        while True:
            self.progress[base] = self.announcements
            self.progress[base + 1] = self.unique
            self.progress[base + 2] = self.last_receive
            self.progress[base + 3] = self.sent
            await asyncio.sleep(PROGRESS_EVERY)

    async def run(self):
        loop = asyncio.get_running_loop()
        commands = asyncio.Queue()
        loop.add_reader(self.conn.fileno(), lambda: commands.put_nowait(self.conn.recv()))
        progress = asyncio.create_task(self.publish_progress())
        while True:
            name, args = await commands.get()
            if name == "quit":
                break
            if name == "join":
                reply = await self.join(**args)
            elif name == "send":
                reply = await self.send(**args)
            elif name == "results":
                reply = self.results()
            elif name == "reset":
                reply = await self.reset()
            else:
                reply = {"error": f"unknown command {name}"}
            self.conn.send(reply)
        progress.cancel()
        await self.reset()


def main(index, conn, progress, profile_to=None):
    """The entry point of a generator process (multiprocessing.Process target). With
    `profile_to`, the process runs under cProfile and writes its statistics there."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the driver's to handle
    # A client whose connection ends logs it; the driver counts those instead.
    for name in ("engineio.client", "socketio.client"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    generator = Generator(index, conn, progress)
    if not profile_to:
        asyncio.run(generator.run())
        return
    import cProfile  # noqa: PLC0415
    profiler = cProfile.Profile()
    try:
        profiler.runcall(asyncio.run, generator.run())
    finally:
        profiler.dump_stats(profile_to)
