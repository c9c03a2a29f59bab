"""Run a class: the chat and the docs site on the classroom network.

    make class                      # the finished part 2
    make class PART=part2_chat/steps/3_messages ROOM=maths

Starts the chosen checkpoint and the built docs site, each behind a guard
(scripts/guard.py) that takes the classroom's connections on every IPv4
interface: it keeps a flood from one address, half-sent requests and the
open-file limit from stopping a server. Prints the addresses students type
(with a QR code of each chat address, which opens the start page with
the class's room filled in), writes a page for the projector, and stops
everything on Ctrl+C. One SECRET_KEY is kept for the class in a
file git ignores, so a restart signs nobody out.
"""
import argparse
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from html import escape
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import ifaddr
import segno

from guard import RESERVED_DESCRIPTORS, raise_open_file_limit

REPO = Path(__file__).resolve().parent.parent
KEY_FILE = REPO / ".class-secret-key"
START_TIMEOUT = 30
GUARD = Path(__file__).with_name("guard.py")
GUARDED_CHAT = Path(__file__).with_name("guarded_chat.py")
# Where the guard can hand the chat its connections (scripts/guarded_chat.py):
# it reads how each is doing from Linux's TCP_INFO.
HAND_OVER = sys.platform == "linux"
MIN_KEY_BYTES = 32
DEFAULT_ROOM = "class"
PER_ADDRESS = 50  # connections one client address may hold (--per-address)
MAX_ROOM_LENGTH = 64  # as the chat's own MAX_ROOM_LENGTH


def classroom_addresses(found):
    """The addresses students can reach: IPv4, not loopback, each once."""
    addresses = []
    for text in found:
        address = ipaddress.ip_address(text)
        if (not address.is_loopback and not address.is_link_local
                and text not in addresses):
            addresses.append(text)
    return addresses


def this_machines_addresses():
    """Every non-loopback IPv4 address of this computer, from its network
    adapters (ifaddr works the same on Linux, macOS and Windows)."""
    return classroom_addresses(ip.ip for adapter in ifaddr.get_adapters()
                               for ip in adapter.ips if ip.is_IPv4)


class KeyFileError(Exception):
    """The class key file is not safe to use; the message says the fix."""


# Where the system has them: O_NOFOLLOW refuses to open a symbolic link,
# O_NONBLOCK keeps opening a named pipe from waiting for a writer.
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def class_secret_key(path=KEY_FILE):
    """The class's SECRET_KEY: read from `path`, or made once, owner-only.
    A key others can read, or a short one, is refused: whoever knows the
    key can sign a session cookie with any name in it."""
    path = Path(path)
    try:
        # O_EXCL: whatever is at `path` already, a link included, is never
        # written through; existing_key() checks it instead.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | NOFOLLOW, 0o600)
    except FileExistsError:
        return existing_key(path)
    key = secrets.token_hex(32)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def existing_key(path):
    descriptor = open_key_file(path)
    try:
        check_key_file(path, os.fstat(descriptor))
    except KeyFileError:
        os.close(descriptor)
        raise
    with os.fdopen(descriptor) as file:
        key = file.read().strip()
    if len(key.encode()) < MIN_KEY_BYTES:
        raise KeyFileError(
            f"{path} holds a key of {len(key.encode())} bytes; a class key "
            f"needs at least {MIN_KEY_BYTES}, or it can be guessed. Delete "
            f"it and a new one is made: rm {path}")
    return key


def open_key_file(path):
    """The key file, opened for reading without following a link: a link
    lets whoever controls its target choose or read the class key."""
    try:
        return os.open(path, os.O_RDONLY | NOFOLLOW | NONBLOCK)
    except OSError:
        if path.is_symlink():
            raise KeyFileError(
                f"{path} is a symbolic link (to {os.readlink(path)}); the "
                "class key must be a file of its own. Remove the link and a "
                f"new key is made: rm {path}") from None
        raise


def check_key_file(path, status):
    """Refuse a key file that is not a regular file of this user's, or
    that other users may read (`status`: its os.fstat)."""
    mode = status.st_mode
    if not stat.S_ISREG(mode):
        kind = ("a directory" if stat.S_ISDIR(mode) else "a named pipe"
                if stat.S_ISFIFO(mode) else "not a regular file")
        raise KeyFileError(
            f"{path} is {kind}; the class key must be a regular file. Move "
            f"it out of the way and a new key is made: mv {path} {path}.old")
    if status.st_uid != os.geteuid():
        raise KeyFileError(
            f"{path} belongs to another user (uid {status.st_uid}), who can "
            "read or change the class key. Remove it and a new key is made, "
            f"yours: sudo rm {path}")
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path} can be read by other users of this computer "
            f"(mode {stat.filemode(mode)}): anyone who reads it can sign in "
            f"as anybody. Make it yours only: chmod 600 {path}")


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def room_name(text):
    """--room's value: a room the chat's start page takes, or an error."""
    room = text.strip()
    if not room or len(room) > MAX_ROOM_LENGTH or not room.isprintable():
        raise argparse.ArgumentTypeError(
            f"{text!r} is no room for the chat: 1 to {MAX_ROOM_LENGTH} "
            "characters, no control or invisible ones. For example: "
            "make class ROOM=maths")
    return room


def room_url(chat_url, room):
    """The chat's address with the room filled in: the start page reads
    ?room= into its room field."""
    return f"{chat_url}?{urlencode({'room': room})}"


def network_of(url):
    """How a section names its network: "192.168.1.x" for an address in
    it (a classroom's network is nearly always a /24)."""
    return urlsplit(url).hostname.rsplit(".", 1)[0] + ".x"


def breakable(url):
    """`url` escaped for HTML, where a narrow screen may break its line:
    after the // and before the port, rather than inside a number."""
    head, _, port = url.rpartition(":")
    scheme, _, host = head.partition("//")
    return f"{escape(scheme)}//<wbr>{escape(host)}<wbr>:{escape(port)}"


def qr_svg(url):
    """The QR code of `url` as an inline SVG that scales: a viewBox, no
    fixed width or height (the page's CSS sizes it), and a name for
    screen readers."""
    svg = segno.make(url, error="m").svg_inline(
        border=2, omitsize=True, title=f"QR code of {url}")
    return svg.replace("<svg ", '<svg role="img" ', 1)


def projector_page(chat_urls, docs_urls, room=DEFAULT_ROOM):
    """A page for the projector: the room to join, then a section for each
    address of this computer (each network it is on) with a QR code as
    large as the screen allows, the address in large type under it, and
    the docs' address. Several sections come one under the other, each
    nearly a screen high: side by side, their addresses would not fit in
    large type."""
    several = len(chat_urls) > 1
    sections = "\n".join(
        "<section>"
        + (f"<h2>On network {escape(network_of(chat))}</h2>" if several else "")
        + qr_svg(room_url(chat, room))
        + f'<p class="url">{breakable(chat)}</p>'
        f"<p>The tutorial: <strong>{escape(docs)}</strong></p></section>"
        for chat, docs in zip(chat_urls, docs_urls))
    if several:
        sections = (f"<p>This computer is on {len(chat_urls)} networks, one "
                    "section each: if an address does not open, try the "
                    "next.</p>\n" + sections)
    if not chat_urls:
        sections = ("<p>No network address found: is this computer on the "
                    "classroom network?</p>")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join the chat: room {escape(room)}</title>
<style>
* {{ box-sizing: border-box; }}
body {{ font-family: system-ui, sans-serif; margin: 0; padding: 2vh 2vw;
       color: #111; background: #fff; text-align: center; }}
p {{ font-size: min(2.5vh, 4.5vw); margin: 0.5vh 0; overflow-wrap: anywhere; }}
h1 {{ font-size: min(6vh, 9vw); margin: 0; }}
.room {{ font-size: min(4.5vh, 7vw); margin: 0 0 1vh; }}
h2 {{ font-size: min(3.5vh, 6vw); margin: 3vh 0 0; }}
/* The code as high as the screen lets it be (its viewBox scales it). */
svg {{ display: block; margin: 1vh auto 0; width: min(62vh, 90vw);
      height: min(62vh, 90vw); }}
.url {{ font-size: min(5.5vh, 8vw); font-weight: 700; margin: 0; }}
</style>
</head>
<body>
<main>
<h1>Join the chat</h1>
<p class="room">Room: <strong>{escape(room)}</strong></p>
{sections}
</main>
</body>
</html>
"""


def chat_command(folder, port, channel=None):
    """How `make run` starts the checkpoint, on `port`, as an argv list;
    with `channel`, `python app.py` also takes the connections the guard
    hands over there."""
    if (folder / "Procfile.local").exists():
        return None  # part 4: see part4_stack()
    if (folder / "Procfile").exists():
        return ["honcho", "start", "-p", str(port)]
    if channel:
        return [sys.executable, str(GUARDED_CHAT), str(channel), "app.py"]
    return [sys.executable, "app.py"]


def part4_stack(folder, port, workdir):
    """Part 4's Procfile.local, with nginx listening on 127.0.0.1:`port`
    (behind the guard), from a copy of its nginx.conf in `workdir`."""
    conf = (folder / "nginx.conf").read_text()
    conf, count = re.subn(r"listen 127\.0\.0\.1:\d+;",
                          f"listen 127.0.0.1:{port};", conf)
    if count != 1:
        raise SystemExit(f"{folder}/nginx.conf: expected one listen line")
    (workdir / "nginx.conf").write_text(conf)
    (workdir / "nginx-tmp").mkdir(exist_ok=True)
    procfile = (folder / "Procfile.local").read_text()
    procfile = procfile.replace("-p . -c nginx.conf", f"-p {workdir}/ -c nginx.conf")
    procfile = procfile.replace("mkdir -p nginx-tmp && ", "")
    (workdir / "Procfile").write_text(procfile)
    return ["honcho", "-f", str(workdir / "Procfile"), "-d", str(folder),
            "start"]


def missing_programs(folder):
    procfile = folder / "Procfile.local"
    if not procfile.exists():
        return []
    path = os.environ["PATH"] + os.pathsep + "/usr/sbin"
    return [tool for tool in ("redis-server", "nginx")
            if tool + " " in procfile.read_text()
            and not shutil.which(tool, path=path)]


def free_loopback_port():
    """A port no server uses on 127.0.0.1, for a server behind a guard."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def check_ports(options):
    """Stop with the fix if the chat's or the docs' port is taken."""
    for name, port in (("chat", options.chat_port),
                       ("docs", options.docs_port)):
        if not port_is_free(port):
            flag = "CHAT_PORT" if name == "chat" else "DOCS_PORT"
            raise SystemExit(
                f"Port {port} for the {name} is taken (on macOS, port 5000 is "
                f"often AirPlay Receiver). Stop what uses it, or pick another: "
                f"make class {flag}={port + 1}")


# eventlet serves 1,024 connections at once unless told more; a step
# before part 2's last cannot be told (CHAT_MAX_CONNECTIONS arrives there).
EVENTLET_DEFAULT_GUARD_CAP = 1000


def guard(public_port, private_port, options, channel=None, cap=None):
    """The guard in front of a server on 127.0.0.1:`private_port`; with
    `channel`, it hands each connection over to the chat there; with
    `cap`, it takes at most that many connections at once."""
    return [sys.executable, str(GUARD), "--listen", f"0.0.0.0:{public_port}",
            "--to", f"127.0.0.1:{private_port}",
            "--per-address", str(options.per_address),
            *(["--hand-over", str(channel)] if channel else []),
            *(["--max-connections", str(cap)] if cap else [])]


def chat_guard_cap(folder):
    """The chat's guard's cap when the chat cannot be told to serve more
    than eventlet's default (None: the open-file limit decides)."""
    reads_it = "CHAT_MAX_CONNECTIONS" in (folder / "app.py").read_text()
    return None if reads_it else EVENTLET_DEFAULT_GUARD_CAP


def environments(key, chat_port, open_files):
    """The environments the servers start with: (the chat's, the others').
    Only the chat gets the class key: the docs server and the guards have
    no use for it, and a process cannot leak what it was never given. A
    SECRET_KEY of the shell that started the class is left out too.

    The chat serves as many connections at once as its `open_files` allow
    (eventlet's own default is 1,024; gunicorn's 1,000): more than its
    guard lets through, which needs two files a connection, so an idle
    crowd is refused by the guard before it can fill the chat."""
    others = {name: value for name, value in os.environ.items()
              if name != "SECRET_KEY"}
    others["PATH"] = (f"{Path(sys.executable).parent}{os.pathsep}"
                      f"{os.environ['PATH']}{os.pathsep}/usr/sbin")
    connections = max(1, open_files - RESERVED_DESCRIPTORS)
    chat = {**others, "HOST": "127.0.0.1", "PORT": str(chat_port),
            "SECRET_KEY": key, "CHAT_MAX_CONNECTIONS": str(connections),
            "GUNICORN_CMD_ARGS": f"--worker-connections {connections}"}
    return chat, others


def answers(port):
    """Whether the server on `port` serves its start page (part 4's nginx
    answers 502 until the chat processes behind it do)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/",
                                    timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def stop(processes):
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def build_docs(site):
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                    "--quiet", "--site-dir", str(site)], cwd=REPO, check=True,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", default="part2_chat")
    parser.add_argument("--chat-port", type=int, default=5000)
    parser.add_argument("--docs-port", type=int, default=8000)
    parser.add_argument("--room", type=room_name, default=DEFAULT_ROOM,
                        help="the room the QR codes fill in")
    parser.add_argument("--site", type=Path, default=REPO / "site")
    parser.add_argument("--key-file", type=Path, default=KEY_FILE)
    parser.add_argument("--no-build", action="store_true",
                        help="serve --site as it is")
    parser.add_argument("--per-address", type=int, default=PER_ADDRESS,
                        help="connections one client address may hold")
    options = parser.parse_args(argv)
    before, after = raise_open_file_limit()  # the servers inherit it
    if after != before:
        print(f"Open files: this class may use {after} (the limit was "
              f"{before}); every connection takes one.", flush=True)

    folder = (REPO / options.part).resolve()
    if not (folder / "app.py").exists():
        raise SystemExit(f"{options.part} is not a checkpoint folder.")
    if os.environ.get("FLASK_DEBUG") == "1":
        raise SystemExit("Refusing to start with FLASK_DEBUG=1: the debugger "
                         "would let anyone on the network run code here.")
    missing = missing_programs(folder)
    if missing:
        raise SystemExit(f"{options.part} needs {', '.join(missing)}. "
                         f"Install: sudo apt-get install {' '.join(missing)} "
                         "(Debian, Ubuntu) or brew install redis nginx (macOS).")
    check_ports(options)
    try:
        key = class_secret_key(options.key_file)
    except KeyFileError as error:
        raise SystemExit(str(error)) from None

    if not options.no_build:
        build_docs(options.site)
    addresses = this_machines_addresses()
    chat_urls = [f"http://{a}:{options.chat_port}/" for a in addresses]
    docs_urls = [f"http://{a}:{options.docs_port}/" for a in addresses]
    (options.site / "class.html").write_text(
        projector_page(chat_urls, docs_urls, options.room), encoding="utf-8")

    # The servers listen on loopback only; the guards take the classroom's
    # connections on the ports students type.
    chat_port, docs_port = free_loopback_port(), free_loopback_port()
    chat_env, other_env = environments(key, chat_port, after)
    workdir = Path(tempfile.mkdtemp(prefix="class-"))
    # Handed over, a connection costs the guard nothing per message
    # (docs/benchmark.md); part 3's and part 4's servers cannot take one.
    channel = workdir / "hand-over" if HAND_OVER else None
    command = (chat_command(folder, chat_port, channel)
               or part4_stack(folder, chat_port, workdir))
    if str(GUARDED_CHAT) not in command:
        channel = None  # nothing there takes a connection
    check_ports(options)  # again: the docs took a while to build
    start = {"env": other_env, "start_new_session": True,
             "stdin": subprocess.DEVNULL}
    quiet = {**start, "stdout": subprocess.DEVNULL,
             "stderr": subprocess.DEVNULL}
    processes = [
        subprocess.Popen(command, cwd=folder, **start | {"env": chat_env}),
        subprocess.Popen([sys.executable, "-m", "http.server", "--bind",
                          "127.0.0.1", "--directory", str(options.site),
                          str(docs_port)], **quiet),
        subprocess.Popen(guard(options.chat_port, chat_port, options,
                               channel, chat_guard_cap(folder)), **start),
        subprocess.Popen(guard(options.docs_port, docs_port, options),
                         **start)]
    # Ctrl+C ends the class even when a shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not (answers(options.chat_port) and answers(options.docs_port)):
            if time.monotonic() > deadline or any(
                    p.poll() is not None for p in processes):
                raise SystemExit("The chat or the docs did not start; see "
                                 "the messages above.")
            time.sleep(0.2)
        announce(chat_urls, docs_urls, options)
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        raise SystemExit("A server stopped; see the messages above.")
    except KeyboardInterrupt:
        print("\nStopping the chat and the docs.", flush=True)
    finally:
        stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)


def announce(chat_urls, docs_urls, options):
    print("\nWARNING: anyone on this network can open the chat and the docs."
          "\nRun a class only on a network you trust; Ctrl+C stops both.\n")
    if not chat_urls:
        print("No network address found: is this computer on the classroom "
              "network? (Students need its address on that network.)")
    print(f"Room: {options.room}")
    for chat, docs in zip(chat_urls, docs_urls):
        print(f"Chat: {chat}\nDocs: {docs}")
        segno.make(room_url(chat, options.room), error="m").terminal(
            compact=True)
    print(f"Projector page: {options.site / 'class.html'}"
          + "".join(f"\n  or {docs}class.html" for docs in docs_urls),
          flush=True)


if __name__ == "__main__":
    main()
