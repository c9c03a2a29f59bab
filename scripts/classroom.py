"""Run a class: the chat and the docs site on the classroom network.

    make class                      # the finished part 2
    make class PART=part2_chat/steps/3_messages

Starts the chosen checkpoint on every interface and the built docs site on
a second port, prints the addresses students type (with a QR code of each
chat address), writes a page for the projector, and stops both on Ctrl+C.
One SECRET_KEY is kept for the class in a file git ignores, so a restart
signs nobody out.
"""
import argparse
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from html import escape
from pathlib import Path

import segno

REPO = Path(__file__).resolve().parent.parent
KEY_FILE = REPO / ".class-secret-key"
START_TIMEOUT = 30


def parse_ip_addr(text):
    """IPv4 addresses in the output of `ip -4 -o addr show` (Linux)."""
    return re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", text)


def parse_ifconfig(text):
    """IPv4 addresses in the output of `ifconfig` (macOS, BSD, older Linux)."""
    return re.findall(r"\binet (?:addr:)?(\d+\.\d+\.\d+\.\d+)\b", text)


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
    """Every non-loopback IPv4 address of this computer."""
    for command, parse in ((["ip", "-4", "-o", "addr", "show"], parse_ip_addr),
                           (["ifconfig"], parse_ifconfig)):
        if shutil.which(command[0]) or Path("/usr/sbin", command[0]).exists():
            try:
                output = subprocess.run(
                    command, capture_output=True, text=True, timeout=10,
                    env={**os.environ, "PATH": os.environ["PATH"] + ":/usr/sbin"}
                ).stdout
            except (OSError, subprocess.SubprocessError):
                continue
            addresses = classroom_addresses(parse(output))
            if addresses:
                return addresses
    # No tool to ask: the address the computer would use to reach a network.
    # Connecting a UDP socket sends nothing.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            return classroom_addresses([probe.getsockname()[0]])
        except OSError:
            return []


def class_secret_key(path=KEY_FILE):
    """The class's SECRET_KEY: read from `path`, or made once, owner-only."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = secrets.token_hex(32)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def qr_svg(url):
    """The QR code of `url` as an inline SVG element."""
    return segno.make(url, error="m").svg_inline(scale=8, border=2,
                                                  title=f"QR code: {url}")


def projector_page(chat_urls, docs_urls):
    """A page with the addresses in large type and their QR codes."""
    rows = "\n".join(
        f'<section><p class="url">{escape(url)}</p>{qr_svg(url)}</section>'
        for url in chat_urls)
    docs = ", ".join(f"<strong>{escape(url)}</strong>" for url in docs_urls)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Join the chat</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #111;
       background: #fff; text-align: center; }}
h1 {{ font-size: 3rem; margin: 0 0 1rem; }}
.url {{ font-size: 3rem; font-weight: 700; margin: 1rem 0 0.5rem; }}
p {{ font-size: 1.5rem; }}
svg {{ width: min(60vh, 90vw); height: auto; }}
</style>
</head>
<body>
<main>
<h1>Join the chat</h1>
{rows}
<p>The tutorial: {docs}</p>
</main>
</body>
</html>
"""


def chat_command(folder, port):
    """How `make run` starts the checkpoint, on `port`, as an argv list."""
    if (folder / "Procfile.local").exists():
        return None  # part 4: see part4_stack()
    if (folder / "Procfile").exists():
        return ["honcho", "start", "-p", str(port)]
    return [sys.executable, "app.py"]


def part4_stack(folder, port, workdir):
    """Part 4's Procfile.local, with nginx listening on every interface at
    `port`, from a copy of its nginx.conf in `workdir`."""
    conf = (folder / "nginx.conf").read_text()
    conf, count = re.subn(r"listen 127\.0\.0\.1:\d+;", f"listen 0.0.0.0:{port};",
                          conf)
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
    parser.add_argument("--site", type=Path, default=REPO / "site")
    parser.add_argument("--key-file", type=Path, default=KEY_FILE)
    parser.add_argument("--no-build", action="store_true",
                        help="serve --site as it is")
    options = parser.parse_args(argv)

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
    for name, port in (("chat", options.chat_port), ("docs", options.docs_port)):
        if not port_is_free(port):
            flag = "CHAT_PORT" if name == "chat" else "DOCS_PORT"
            raise SystemExit(
                f"Port {port} for the {name} is taken (on macOS, port 5000 is "
                f"often AirPlay Receiver). Stop what uses it, or pick another: "
                f"make class {flag}={port + 1}")

    if not options.no_build:
        build_docs(options.site)
    addresses = this_machines_addresses()
    chat_urls = [f"http://{a}:{options.chat_port}/" for a in addresses]
    docs_urls = [f"http://{a}:{options.docs_port}/" for a in addresses]
    (options.site / "class.html").write_text(projector_page(chat_urls, docs_urls))

    env = {**os.environ, "HOST": "0.0.0.0", "PORT": str(options.chat_port),
           "SECRET_KEY": class_secret_key(options.key_file),
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                   f"{os.environ['PATH']}{os.pathsep}/usr/sbin"}
    workdir = Path(tempfile.mkdtemp(prefix="class-"))
    command = (chat_command(folder, options.chat_port)
               or part4_stack(folder, options.chat_port, workdir))
    processes = [
        subprocess.Popen(command, cwd=folder, env=env, start_new_session=True,
                         stdin=subprocess.DEVNULL),
        subprocess.Popen([sys.executable, "-m", "http.server", "--bind",
                          "0.0.0.0", "--directory", str(options.site),
                          str(options.docs_port)],
                         env=env, start_new_session=True,
                         stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
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
    for chat, docs in zip(chat_urls, docs_urls):
        print(f"Chat: {chat}\nDocs: {docs}")
        segno.make(chat, error="m").terminal(compact=True)
    print(f"Projector page: {options.site / 'class.html'}"
          + "".join(f"\n  or {docs}class.html" for docs in docs_urls),
          flush=True)


if __name__ == "__main__":
    main()
