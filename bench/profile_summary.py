"""Where a profiled server's (or load generator's) CPU time went, by package: the summary
the benchmark page quotes. Reads the statistics that `bench.py --profile-server DIR` and
`--profile-generators DIR` write.

    .venv/bin/python bench/profile_summary.py DIR/part2-B-1.prof DIR/bare-B-1.prof
"""
import pstats
import sys
from pathlib import Path

# The first matching fragment of a function's file names its group.
GROUPS = [
    ("app.py", "the chat's own handlers (app.py)"),
    ("bare_server.py", "the bare server's handlers"),
    ("guard.py", "the guard's own code (scripts/guard.py)"),
    ("/flask_socketio/", "Flask-SocketIO"),
    ("/flask/", "Flask (app and request context, session)"),
    ("/werkzeug/", "Werkzeug"),
    ("/jinja2/", "Jinja2, itsdangerous (the /chat page, the session cookie)"),
    ("/itsdangerous/", "Jinja2, itsdangerous (the /chat page, the session cookie)"),
    ("/markupsafe/", "Jinja2, itsdangerous (the /chat page, the session cookie)"),
    ("/socketio/", "python-socketio"),
    ("/engineio/", "python-engineio"),
    ("/eventlet/", "eventlet (green threads, WebSocket framing)"),
    ("/greenlet/", "greenlet"),
    ("/aiohttp/", "aiohttp (the client's HTTP and WebSocket)"),
    ("/asyncio/", "asyncio (event loop, tasks)"),
    ("loadgen.py", "the load generator's own code"),
    ("/logging/", "logging"),
    ("/json/", "json"),
]


IDLE = "waiting for the network (epoll: idle, not counted)"


def group_of(filename, function):
    if filename == "~":  # a built-in: sockets, struct, json's C scanner, ...
        if "poll" in function and "epoll" in function:
            return IDLE
        if "socket" in function:
            return "socket system calls"
        if "switch" in function or "greenlet" in function:
            return "eventlet (green threads, WebSocket framing)"
        return "other built-ins"
    for fragment, name in GROUPS:
        if fragment in filename if "/" in fragment else filename.endswith(fragment):
            return name
    return "other Python (standard library)"


def by_group(path):
    stats = pstats.Stats(str(path)).stats
    totals = {}
    for (filename, _, function), (_, _, tottime, _, _) in stats.items():
        group = group_of(filename, function)
        totals[group] = totals.get(group, 0.0) + tottime
    return totals


def main(paths):
    tables = {Path(p).stem: by_group(p) for p in paths}
    groups = sorted({g for t in tables.values() for g in t},
                    key=lambda g: -max(t.get(g, 0) for t in tables.values()))
    print("| CPU time by package | " + " | ".join(tables) + " |")
    print("|---|" + "---:|" * len(tables))
    groups = [g for g in groups if g != IDLE]
    totals = {name: sum(v for g, v in t.items() if g != IDLE) for name, t in tables.items()}
    for group in groups:
        print(f"| {group} | " + " | ".join(
            f"{t.get(group, 0):.3f} s ({t.get(group, 0) / totals[name]:.0%})"
            for name, t in tables.items()) + " |")
    print("| **total** | " + " | ".join(f"**{v:.3f} s**" for v in totals.values()) + " |")
    print(f"| {IDLE} | " + " | ".join(f"{t.get(IDLE, 0):.3f} s" for t in tables.values())
          + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
