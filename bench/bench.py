"""How many students can one laptop serve? The chat's load benchmark.

    .venv/bin/python -m bench.bench --set quick      # make bench: about 70 s when idle
    .venv/bin/python -m bench.bench --set full       # make bench-full: everything, 3 repeats

`make bench` and `make bench-full` pass --json, --markdown and --plot paths in
bench/results/ (ignored by git); `make bench-docs` writes into docs/benchmark.md.

Each run starts one server fresh (the checkpoints exactly as their READMEs start them,
through harness/servers.py and harness/stack.py), lets N chat users connect and join one room,
has S of them send M messages, and stops the server. The users live in several load
generator processes (bench/loadgen.py). Servers are interleaved: every repeat runs every
server once per scenario, so a disturbance of the machine hits them all alike; the
summary quotes the median of the repeats.

CPU is read from /proc/<pid>/stat (utime + stime) for every process of the server's
process group(s) - for part4 the chat processes, redis-server and nginx together - and
for every generator process, so the report shows who was busy.
"""
import contextlib
import argparse
import datetime
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import signal
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy

from bench import loadgen
from harness.servers import Server, free_port, procfile_command
from harness.stack import ScaledChat
from tutorial.chain import REPO

BENCH = REPO / "bench"

PART2 = REPO / "part2_chat"
PART3 = REPO / "part3_deploy"
PART4 = REPO / "part4_scale"
GUARD = REPO / "scripts" / "guard.py"
GUARDED_CHAT = REPO / "scripts" / "guarded_chat.py"
# Every simulated student connects from 127.0.0.1: the guard's cap per address (50 in a
# class, where each student has an address of their own) is raised above any scenario's.
GUARD_PER_ADDRESS = 10_000
# The chat's rate limit (5 messages a second after a burst of 10) would otherwise decide
# every figure; both apps read these two variables (see MESSAGES_PER_SECOND in app.py).
RATE_LIMIT_ENV = {"CHAT_MESSAGES_PER_SECOND": "1000000", "CHAT_MESSAGE_BURST": "1000000"}
SERVER_ENV = {**RATE_LIMIT_ENV, "SECRET_KEY": "benchmark-only-not-secret",
              "FLASK_DEBUG": None, "DYNO": None}
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- servers ----------------------------------------------------------------------------
def documented_gevent_command():
    """The alternative worker line that part3_deploy/README.md documents."""
    readme = (PART3 / "README.md").read_text()
    match = re.search(r"^web: (gunicorn --worker-class gevent.*)$", readme, re.MULTILINE)
    if not match:
        raise SystemExit("part3_deploy/README.md no longer documents a gevent web: line")
    return match.group(1).strip()


@dataclass
class ServerKind:
    key: str
    label: str
    command: str  # what the reader would type, for the report

    def profilable(self):
        return self.key in ("part2", "bare", "part2-guard")

    def start(self, profile_to=None):
        """Start the server; with `profile_to` (part2 and bare only) under cProfile, and
        for part2-guard its guard."""
        if self.key == "part2-guard":
            return GuardedChat(profile_to)
        if profile_to:
            script = "app.py" if self.key == "part2" else str(BENCH / "bare_server.py")
            return Server(f"python {BENCH / 'profiled.py'} {profile_to} {script}",
                          cwd=PART2 if self.key == "part2" else BENCH, env=SERVER_ENV)
        if self.key.startswith("part4"):
            workers = int(self.key.removeprefix("part4-").removesuffix("w"))
            return ScaledChat(PART4, workers=workers, env=SERVER_ENV)
        if self.key == "part2":
            return Server("python app.py", cwd=PART2, env=SERVER_ENV)
        if self.key == "part3":
            return Server(procfile_command(PART3), cwd=PART3, env=SERVER_ENV)
        if self.key == "part3-gevent":
            return Server(documented_gevent_command(), cwd=PART3, env=SERVER_ENV)
        if self.key == "bare":
            return Server(f"python {BENCH / 'bare_server.py'}", cwd=BENCH, env=SERVER_ENV)
        raise ValueError(self.key)


class GuardedChat:
    """part2's `python app.py` behind scripts/guard.py, as `make class` runs it; behaves
    like a Server (url, process, wait_until_serving, stop, close). `process` is the guard's:
    with `profile_to` it is the one bench/profiled.py runs."""

    def __init__(self, profile_to=None):
        self.folder = Path(tempfile.mkdtemp(prefix="guarded-"))
        channel = self.folder / "channel"
        self.chat = Server(f"python {GUARDED_CHAT} {channel} app.py", cwd=PART2,
                           env=SERVER_ENV)
        port = free_port()
        guard = (f"{GUARD} --listen 127.0.0.1:{port} --to 127.0.0.1:{self.chat.port} "
                 f"--per-address {GUARD_PER_ADDRESS} --hand-over {channel}")
        if profile_to:
            guard = f"{BENCH / 'profiled.py'} {profile_to} {guard}"
        self.guard = Server(f"python {guard}", cwd=REPO, port=port)
        self.process, self.port, self.url = self.guard.process, port, self.guard.url

    def wait_until_serving(self):
        self.chat.wait_until_serving()
        self.guard.wait_until_serving()
        return self

    def stop(self, sig=signal.SIGTERM):
        self.guard.stop(sig)

    def close(self):
        self.guard.close()
        self.chat.close()
        shutil.rmtree(self.folder, ignore_errors=True)


SERVERS = {kind.key: kind for kind in [
    ServerKind("part2", "part2", "python app.py (eventlet)"),
    ServerKind("part2-guard", "part2 + guard",
               "make class: scripts/guard.py --hand-over, scripts/guarded_chat.py app.py"),
    ServerKind("part3", "part3", "Procfile: gunicorn -k eventlet -w 1"),
    ServerKind("part3-gevent", "part3 gevent", "gunicorn -k gevent -w 1 (README)"),
    ServerKind("bare", "bare socketio", "bench/bare_server.py (eventlet)"),
    ServerKind("part4-1w", "part4 ×1", "nginx + 1 gunicorn eventlet worker + Redis"),
    ServerKind("part4-2w", "part4 ×2", "nginx + 2 gunicorn eventlet workers + Redis"),
    ServerKind("part4-4w", "part4 ×4", "nginx + 4 gunicorn eventlet workers + Redis"),
]}


def process_groups(server):
    """{name: process group id} of everything that serves the chat."""
    if isinstance(server, ScaledChat):
        groups = {f"worker{i + 1}": w.process.pid for i, w in enumerate(server.workers)}
        groups["redis"] = server.redis.process.pid
        groups["nginx"] = server.nginx.process.pid
        return groups
    if isinstance(server, GuardedChat):
        return {"server": server.chat.process.pid, "guard": server.guard.process.pid}
    return {"server": server.process.pid}


def kill_server(server, profiled=False):
    """Stop at once: a benchmark needs no graceful shutdown, and a graceful one would make
    every open connection announce its leave to the whole room. A profiled server gets
    SIGTERM, on which bench/profiled.py writes its statistics."""
    if profiled:
        server.stop(signal.SIGTERM)
    for pgid in process_groups(server).values():
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(pgid, signal.SIGKILL)
    server.close()


# --- CPU accounting ---------------------------------------------------------------------
def stat_fields(pid):
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()  # fields from the 3rd (state) on


def group_cpu(pgids):
    """Seconds of CPU (user + system) used so far by the processes of each group."""
    wanted = {pgid: name for name, pgid in pgids.items()}
    totals = dict.fromkeys(pgids, 0.0)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = stat_fields(entry.name)
        except (FileNotFoundError, ProcessLookupError):
            continue
        name = wanted.get(int(fields[2]))  # pgrp
        if name:
            totals[name] += (int(fields[11]) + int(fields[12])) / CLK_TCK
    return totals


def pid_cpu(pid):
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy():
    """Seconds of CPU the whole machine has spent not idle (all cores, from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


# --- load generators --------------------------------------------------------------------
class Generators:
    """`count` generator processes (bench/loadgen.py), kept for the whole benchmark."""

    def __init__(self, count, profile_dir=None):
        context = multiprocessing.get_context("spawn")
        if profile_dir:
            Path(profile_dir).mkdir(parents=True, exist_ok=True)
        self.progress = context.Array("d", count * loadgen.PROGRESS_SLOTS, lock=False)
        self.conns, self.processes = [], []
        for index in range(count):
            ours, theirs = context.Pipe()
            profile = profile_dir and str(Path(profile_dir) / f"loadgen-{index}.prof")
            process = context.Process(target=loadgen.main, name=f"loadgen-{index}",
                                      args=(index, theirs, self.progress, profile), daemon=True)
            process.start()
            self.conns.append(ours)
            self.processes.append(process)

    def __len__(self):
        return len(self.conns)

    def call(self, commands):
        """Send {index: (name, args)} and return {index: reply}."""
        for index, command in commands.items():
            self.conns[index].send(command)
        return {index: self.conns[index].recv() for index in commands}

    def call_all(self, name, args=None):
        return self.call({i: (name, args or {}) for i in range(len(self))})

    def counter(self, slot):
        return [self.progress[i * loadgen.PROGRESS_SLOTS + slot] for i in range(len(self))]

    def cpu(self):
        return [pid_cpu(p.pid) for p in self.processes]

    def close(self):
        for conn in self.conns:
            with contextlib.suppress(OSError):  # the worker has ended
                conn.send(("quit", {}))
        for process in self.processes:
            process.join(10)
            if process.is_alive():
                process.kill()


# --- scenarios --------------------------------------------------------------------------
@dataclass
class Scenario:
    key: str
    title: str
    clients: int
    senders: int
    messages: int
    rate: float | None  # messages a second per sender; None: as fast as acknowledged
    servers: list
    window: int = 8  # unacknowledged messages a sender may have in flight
    wave: int = 100  # users that connect and join together (see run_once)

    def describe(self):
        pace = f"at {self.rate:g}/s" if self.rate else "as fast as acknowledged"
        if self.senders == 1:
            return f"{self.clients} clients, 1 sender, {self.messages} messages {pace}"
        return (f"{self.clients} clients, {self.senders} senders (spread over the chat "
                f"processes), {self.messages} messages each {pace}")


SINGLE = ["part2", "part3", "part3-gevent", "bare"]
SCALED = ["part4-1w", "part4-2w", "part4-4w"]


def scenario_set(name):
    if name == "full":
        return 3, [
            Scenario("A", "latency", 50, 1, 200, 50, SINGLE),
            Scenario("B", "fan-out cost", 200, 1, 100, None, SINGLE),
            Scenario("C500", "500 join", 500, 1, 10, 10, SINGLE),
            Scenario("C1000", "1,000 join", 1000, 1, 10, 10, SINGLE),
            Scenario("D", "part4 fan-out", 200, 4, 75, None, SCALED),
        ]
    if name == "quick":
        return 1, [
            Scenario("A", "latency", 50, 1, 100, 50, SINGLE),
            Scenario("B", "fan-out cost", 200, 1, 100, None, SINGLE),
            Scenario("C1000", "1,000 join", 1000, 1, 10, 10, ["part2", "part3"]),
            Scenario("D", "part4 fan-out", 200, 4, 75, None, SCALED),
        ]
    if name == "guard":
        # Issue 32's comparison: the chat with and without the guard in front, under many
        # senders at once (as a busy class is), interleaved.
        return 3, [Scenario("G", "the guard's cost", 200, 20, 50, None,
                            ["part2", "part2-guard"])]
    if name == "tiny":
        return 1, [Scenario("tiny", "smoke test", 5, 1, 10, None,
                            ["part2", "part2-guard"])]
    raise SystemExit(f"unknown set {name}")


# --- one run ----------------------------------------------------------------------------
@dataclass
class Run:
    scenario: str
    server: str
    repeat: int
    clients: int
    joined: int = 0
    join_errors: list = field(default_factory=list)
    join_s: float = 0.0
    join_client_p50_ms: float = 0.0
    join_client_p95_ms: float = 0.0
    announcements: int = 0
    announcements_expected: int = 0
    join_server_cpu_s: float = 0.0
    join_generator_cpu_s: float = 0.0
    delivered: int = 0
    expected: int = 0
    duplicates: int = 0
    disconnects: int = 0  # connections that ended before the run was over
    disconnect_reasons: list = field(default_factory=list)
    acks_refused: int = 0
    ack_errors: list = field(default_factory=list)
    latency_p50_ms: float = 0.0
    latency_p95_ms: float = 0.0
    latency_p99_ms: float = 0.0
    latency_max_ms: float = 0.0
    deliveries_per_s: float = 0.0
    message_wall_s: float = 0.0
    server_cpu_s: float = 0.0
    server_cpu_parts: dict = field(default_factory=dict)
    server_cpu_us_per_delivery: float = 0.0
    generator_cpu_s: list = field(default_factory=list)
    generator_cpu_us_per_delivery: float = 0.0
    # The busiest single server process (a chat process, nginx or redis-server) and its CPU
    # per delivery: with a core to itself it could deliver at most 1e6 / that per second.
    busiest_part: str = ""
    busiest_us_per_delivery: float = 0.0
    projected_capacity_per_s: float = 0.0
    generator_busy_max: float = 0.0  # the busiest generator process: CPU / wall time
    server_busy_max: float = 0.0  # the busiest server process group: CPU / wall time
    machine_busy: float = 0.0  # all cores: share of the machine busy (any process)
    other_cpu_s: float = 0.0  # CPU used by processes that are not ours, during the phase
    join_wall_s: float = 0.0
    join_other_cpu_s: float = 0.0  # the same during the join phase
    disturbance: float = 0.0  # the larger share of all cores other processes used in a phase
    attempts: int = 1  # 2: the first attempt was disturbed by other work and run again
    attempt: int = 1  # which attempt these figures are from
    users_per_worker: dict = field(default_factory=dict)

    @property
    def loss(self):
        return self.expected - self.delivered


def wait_until(condition, timeout, quiet_for=None, progress=None):
    """Poll `condition()` every 20 ms until it holds or `timeout` passes. With `progress`
    (a callable returning a number), also give up after `quiet_for` s without change."""
    deadline = time.monotonic() + timeout
    last, changed = None, time.monotonic()
    while time.monotonic() < deadline:
        if condition():
            return True
        if progress is not None:
            now_value = progress()
            if now_value != last:
                last, changed = now_value, time.monotonic()
            elif time.monotonic() - changed > quiet_for:
                return False
        time.sleep(0.02)
    return False


def run_once(scenario, kind, repeat, gens, log=print, profile_dir=None):
    run = Run(scenario.key, kind.key, repeat, scenario.clients)
    profile_to = None
    if profile_dir and kind.profilable():
        Path(profile_dir).mkdir(parents=True, exist_ok=True)
        profile_to = Path(profile_dir) / f"{kind.key}-{scenario.key}-{repeat}"
    server = kind.start(profile_to)
    try:
        server.wait_until_serving()
        if profile_to:  # the start-up is over: profile the join phase (bench/profiled.py)
            os.kill(server.process.pid, signal.SIGUSR1)
        groups = process_groups(server)
        room = f"bench-{scenario.key}-{repeat}"
        users = [(n, f"user{n:04d}") for n in range(scenario.clients)]
        concurrency = max(1, 50 // len(gens))

        # Phase 1: everybody opens /chat, connects and joins, in waves: a wave starts
        # once every join of the waves before it has been announced to the room.
        server_before, gens_before = group_cpu(groups), gens.cpu()
        join_busy_before = machine_busy()
        joins = {i: {"numbers": [], "join_times": [], "errors": [], "workers": []}
                 for i in range(len(gens))}
        started = time.monotonic()
        for first in range(0, len(users), scenario.wave):
            wave = users[first:first + scenario.wave]
            shares = {i: wave[i::len(gens)] for i in range(len(gens)) if wave[i::len(gens)]}
            replies = gens.call({i: ("join", {"url": server.url, "room": room, "users": share,
                                              "concurrency": concurrency, "timeout": 30})
                                 for i, share in shares.items()})
            for index, reply in replies.items():
                for key in joins[index]:
                    joins[index][key] += reply[key]
            run.joined = sum(len(r["numbers"]) for r in joins.values())
            # Every join is announced to everybody already in the room: n(n-1)/2 in all.
            run.announcements_expected = run.joined * (run.joined - 1) // 2
            wait_until(lambda: sum(gens.counter(0)) >= run.announcements_expected, 60,
                       quiet_for=10, progress=lambda: sum(gens.counter(0)))
        run.join_s = time.monotonic() - started
        run.join_errors = [e for r in joins.values() for e in r["errors"]][:5]
        times = [t for r in joins.values() for t in r["join_times"]]
        if times:
            run.join_client_p50_ms = float(numpy.percentile(times, 50)) * 1000
            run.join_client_p95_ms = float(numpy.percentile(times, 95)) * 1000
        for reply in joins.values():
            for worker in reply["workers"]:
                if worker:
                    run.users_per_worker[worker] = run.users_per_worker.get(worker, 0) + 1
        time.sleep(0.2)  # let the last announcements settle
        run.announcements = int(sum(gens.counter(0)))
        server_joined, gens_joined = group_cpu(groups), gens.cpu()
        run.join_server_cpu_s = sum(server_joined.values()) - sum(server_before.values())
        run.join_generator_cpu_s = sum(gens_joined) - sum(gens_before)
        run.join_wall_s = time.monotonic() - started
        run.join_other_cpu_s = max(0.0, machine_busy() - join_busy_before
                                   - run.join_server_cpu_s - run.join_generator_cpu_s)

        # Phase 2: the senders send, every user receives.
        sender_plan = plan_senders(joins, scenario.senders)
        run.expected = scenario.messages * len(sender_plan["numbers"]) * run.joined
        if profile_to:  # profile the message phase only (bench/profiled.py)
            os.kill(server.process.pid, signal.SIGUSR1)
        busy_before, wall_before = machine_busy(), time.monotonic()
        for index, numbers in sender_plan["by_gen"].items():
            gens.conns[index].send(("send", {"senders": numbers, "count": scenario.messages,
                                             "rate": scenario.rate, "window": scenario.window,
                                             "timeout": 30}))
        sends = {}

        def finished():
            for index in sender_plan["by_gen"]:
                if index not in sends and gens.conns[index].poll():
                    sends[index] = gens.conns[index].recv()
            return len(sends) == len(sender_plan["by_gen"]) and \
                sum(gens.counter(1)) >= run.expected

        wait_until(finished, 60, quiet_for=10,
                   progress=lambda: (sum(gens.counter(1)), sum(gens.counter(3))))
        wall = time.monotonic() - wall_before
        server_after, gens_after = group_cpu(groups), gens.cpu()
        busy_after = machine_busy()
        for index in sender_plan["by_gen"]:  # a send that never finished: wait for it
            if index not in sends:
                sends[index] = gens.conns[index].recv()
        results = gens.call_all("results")
    finally:
        kill_server(server, profiled=bool(profile_to))
    gens.call_all("reset")

    run.delivered = sum(r["unique"] for r in results.values())
    run.duplicates = sum(r["duplicates"] for r in results.values())
    reasons = [reason for r in results.values() for reason in r["disconnects"]]
    run.disconnects = len(reasons)
    run.disconnect_reasons = sorted(set(reasons))
    run.acks_refused = sum(s["acks_refused"] for s in sends.values())
    run.ack_errors = [e for s in sends.values() for e in s["ack_errors"]][:5]
    latencies = [x for r in results.values() for x in r["latencies"]]
    if latencies:
        p50, p95, p99 = numpy.percentile(latencies, [50, 95, 99])
        run.latency_p50_ms, run.latency_p95_ms, run.latency_p99_ms = float(p50), float(p95), \
            float(p99)
        run.latency_max_ms = max(latencies)
        first_send = min(s["first_send"] for s in sends.values())
        last_receive = max(r["last_receive"] for r in results.values())
        run.deliveries_per_s = run.delivered / max(last_receive - first_send, 1e-6)
    run.message_wall_s = wall
    run.server_cpu_parts = {name: server_after[name] - server_joined[name] for name in groups}
    run.server_cpu_s = sum(run.server_cpu_parts.values())
    run.server_cpu_us_per_delivery = run.server_cpu_s / max(run.delivered, 1) * 1e6
    run.generator_cpu_s = [after - before for after, before in zip(gens_after, gens_joined)]
    run.generator_cpu_us_per_delivery = sum(run.generator_cpu_s) / max(run.delivered, 1) * 1e6
    run.busiest_part = max(run.server_cpu_parts, key=run.server_cpu_parts.get)
    run.busiest_us_per_delivery = (run.server_cpu_parts[run.busiest_part]
                                   / max(run.delivered, 1) * 1e6)
    run.projected_capacity_per_s = 1e6 / max(run.busiest_us_per_delivery, 1e-9)
    run.generator_busy_max = max(run.generator_cpu_s) / wall
    run.server_busy_max = max(run.server_cpu_parts.values()) / wall
    ours = run.server_cpu_s + sum(run.generator_cpu_s)
    run.machine_busy = (busy_after - busy_before) / (wall * os.cpu_count())
    run.other_cpu_s = max(0.0, (busy_after - busy_before) - ours)
    run.disturbance = max(run.other_cpu_s / wall, run.join_other_cpu_s / run.join_wall_s) \
        / os.cpu_count()
    log(one_line(run))
    return run


DISTURBED = 0.2  # other processes used more than this share of all cores in a phase


def measure(scenario, kind, repeat, gens, args):
    """One run; run again once if other processes on the machine used more than
    DISTURBED of it (other engineers' test suites, a browser...), keeping the quieter one."""
    def log(line):
        print(line, flush=True)

    run = run_once(scenario, kind, repeat, gens, log=log, profile_dir=args.profile_server)
    if run.disturbance > DISTURBED and args.retry_disturbed:
        log(f"    (other processes used {run.disturbance:.0%} of the machine: running again)")
        again = run_once(scenario, kind, repeat, gens, log=log,
                         profile_dir=args.profile_server)
        again.attempt = run.attempts = again.attempts = 2
        if again.disturbance < run.disturbance:
            run = again
    return run


def plan_senders(joins, count):
    """Which users send: the first `count` (by number) that joined; behind nginx (part4),
    taken in turn from each chat process, so that every process does its share of the
    sending. Returns their numbers, also by generator."""
    worker_of = {n: w for reply in joins.values()
                 for n, w in zip(reply["numbers"], reply["workers"])}
    by_worker = {}
    for number in sorted(worker_of):
        by_worker.setdefault(worker_of[number], []).append(number)
    queues = [by_worker[w] for w in sorted(by_worker, key=str)]
    numbers = []
    while len(numbers) < count and any(queues):
        for queue in queues:
            if queue and len(numbers) < count:
                numbers.append(queue.pop(0))
    by_gen = {}
    for index, reply in joins.items():
        mine = [n for n in reply["numbers"] if n in numbers]
        if mine:
            by_gen[index] = mine
    return {"numbers": numbers, "by_gen": by_gen}


def one_line(run):
    return (f"  {run.scenario:6} {run.server:13} #{run.repeat}  joined {run.joined}/{run.clients}"
            f" in {run.join_s:5.1f}s  delivered {run.delivered}/{run.expected}"
            f"  p50 {run.latency_p50_ms:6.1f} p99 {run.latency_p99_ms:7.1f} ms"
            f"  {run.deliveries_per_s:7.0f}/s  server {run.server_cpu_us_per_delivery:5.1f} µs/del"
            f"  busy: server {run.server_busy_max:4.0%} gen {run.generator_busy_max:4.0%}"
            f" machine {run.machine_busy:4.0%}")


# --- the machine ------------------------------------------------------------------------
def machine_description():
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.*)$", cpuinfo, re.MULTILINE)
    return {"cpu": model.group(1).strip() if model else platform.processor() or "unknown",
            "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}",
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "loadavg_before": Path("/proc/loadavg").read_text().split()[:3]}


def raise_open_file_limit():
    """1,000 clients need over 2,000 descriptors (both ends of every connection live on
    this machine); servers and generators started from here inherit the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- main -------------------------------------------------------------------------------
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", default="quick", choices=["quick", "full", "guard", "tiny"],
                        help="which scenarios: quick (make bench), full (make bench-full), "
                             "guard (make bench-guard: part2 with and without the guard), "
                             "tiny (the test suite's smoke run)")
    parser.add_argument("--repeats", type=int, help="repeats of every scenario (default: "
                                                    "1 for quick and tiny, 3 for full)")
    parser.add_argument("--servers", help="only these servers, comma-separated: "
                                          + ", ".join(SERVERS))
    parser.add_argument("--scenarios", help="only these scenarios, comma-separated")
    parser.add_argument("--generators", type=int, default=2,
                        help="load generator processes (default 2)")
    parser.add_argument("--profile-generators", type=Path, metavar="DIR",
                        help="run the generator processes under cProfile; statistics in DIR")
    parser.add_argument("--profile-server", type=Path, metavar="DIR",
                        help="run part2 and bare (and part2-guard's guard) under cProfile "
                             "(bench/profiled.py); "
                             "statistics in DIR. Profiling slows them: not for figures")
    parser.add_argument("--no-retry", dest="retry_disturbed", action="store_false",
                        help="keep a run that other work on the machine disturbed (by "
                             f"default it is run once more when other processes used over "
                             f"{DISTURBED:.0%} of the machine, and the quieter run is kept)")
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    parser.add_argument("--markdown", type=Path, help="write the results into this page")
    parser.add_argument("--plot", type=Path, help="write the plot (PNG) here")
    args = parser.parse_args(argv)

    repeats, scenarios = scenario_set(args.set)
    repeats = args.repeats or repeats
    if args.scenarios:
        scenarios = [s for s in scenarios if s.key in args.scenarios.split(",")]
    if args.servers:
        for s in scenarios:
            s.servers = [k for k in s.servers if k in args.servers.split(",")]
    scenarios = [s for s in scenarios if s.servers]

    started = time.monotonic()
    files = raise_open_file_limit()
    machine = machine_description()
    print(f"Benchmark set '{args.set}': {repeats} repeat(s) of every scenario, servers "
          f"interleaved, medians quoted. The chat's rate limit is raised for the benchmark: "
          f"{' '.join(f'{k}={v}' for k, v in RATE_LIMIT_ENV.items())}. SECRET_KEY is set. "
          f"{args.generators} load generator processes; open-file limit {files}.", flush=True)
    print(f"Machine: {machine['cpu']}, {machine['cores']} cores, Python {machine['python']}, "
          f"load average {' '.join(machine['loadavg_before'])}", flush=True)
    gens = Generators(args.generators, args.profile_generators)
    runs = []
    try:
        for repeat in range(1, repeats + 1):
            for scenario in scenarios:
                print(f"[repeat {repeat}/{repeats}] {scenario.key}: {scenario.describe()}",
                      flush=True)
                for key in scenario.servers:
                    runs.append(measure(scenario, SERVERS[key], repeat, gens, args))
    finally:
        gens.close()
    machine["loadavg_after"] = Path("/proc/loadavg").read_text().split()[:3]
    elapsed = time.monotonic() - started
    report = {"set": args.set, "repeats": repeats, "generators": args.generators,
              "rate_limit_env": RATE_LIMIT_ENV, "machine": machine,
              "elapsed_s": elapsed,
              "scenarios": [asdict(s) | {"describe": s.describe()} for s in scenarios],
              "servers": {k: asdict(v) for k, v in SERVERS.items()},
              "runs": [asdict(r) | {"loss": r.loss} for r in runs]}
    from bench import report as reporting  # noqa: PLC0415 - matplotlib only when it is needed
    summary = reporting.summarize(report)
    report["summary"] = summary
    print(reporting.text_summary(report), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    if args.plot:
        reporting.plot(report, args.plot)
    if args.markdown:
        reporting.write_page(report, args.markdown, args.plot)
    written = [str(path) for path in (args.json, args.markdown, args.plot) if path]
    print(f"Done in {elapsed:.0f} s."
          + (f" Written: {', '.join(written)}." if written else ""), flush=True)
    return report


if __name__ == "__main__":
    main()
