"""`make class` (scripts/classroom.py): the chat and the docs for a classroom."""
import io
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import zxingcpp
from PIL import Image

from harness import axe_core
from tutorial.chain import REPO
import classroom
from harness.servers import free_port, listening_addresses

SCRIPT = REPO / "scripts" / "classroom.py"
TIMEOUT = 30


script = classroom  # scripts/ is on the tests' path (pyproject.toml)

def test_the_addresses_students_can_reach_leave_out_loopback_and_link_local():
    found = script.classroom_addresses(
        ["127.0.0.1", "10.1.2.3", "192.168.0.7", "169.254.3.4", "10.1.2.3"])
    assert found == ["10.1.2.3", "192.168.0.7"], (
        "loopback and link-local addresses are not for students")


def test_this_machines_addresses_come_from_its_network_adapters():
    """ifaddr reads the adapters on Linux, macOS and Windows alike."""
    import ifaddr
    every = {ip.ip for adapter in ifaddr.get_adapters()
             for ip in adapter.ips if ip.is_IPv4}
    assert set(script.this_machines_addresses()) == {
        a for a in every if not a.startswith(("127.", "169.254."))}


def test_the_class_key_is_made_once_and_only_its_owner_can_read_it(tmp_path):
    key_file = tmp_path / "key"
    first = script.class_secret_key(key_file)
    assert len(first) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600, (
        "the key file must be readable by its owner only")
    assert script.class_secret_key(key_file) == first, (
        "a restart must reuse the key, or everybody is signed out")


@pytest.mark.parametrize(("key", "mode", "refusal"), [
    ("k" * 64, 0o644, "chmod 600"),
    ("k" * 64, 0o640, "chmod 600"),
    ("weak", 0o600, "rm "),
    ("", 0o600, "rm "),
])
def test_a_readable_or_short_class_key_is_refused_with_its_fix(
        tmp_path, key, mode, refusal):
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    key_file.chmod(mode)
    with pytest.raises(script.KeyFileError) as error:
        script.class_secret_key(key_file)
    assert refusal in str(error.value) and str(key_file) in str(error.value)


def a_good_key(path):
    """A key file class_secret_key() would take: 64 characters, owner-only."""
    path.write_text("k" * 64 + "\n")
    path.chmod(0o600)
    return path


def symlink_to_a_good_key(key_file):
    key_file.symlink_to(a_good_key(key_file.with_name("elsewhere")))


def dangling_symlink(key_file):
    """A link to where someone else would have the key written."""
    key_file.symlink_to(key_file.with_name("theirs"))


def directory(key_file):
    key_file.mkdir()


def named_pipe(key_file):
    os.mkfifo(key_file, 0o600)


@pytest.mark.parametrize(("make", "refusal"), [
    (symlink_to_a_good_key, "is a symbolic link"),
    (dangling_symlink, "is a symbolic link"),
    (directory, "is a directory"),
    (named_pipe, "is a named pipe"),
])
def test_a_class_key_that_is_no_regular_file_is_refused_with_its_fix(
        tmp_path, make, refusal):
    key_file = tmp_path / "key"
    make(key_file)
    with ThreadPoolExecutor(1) as pool:
        reading = pool.submit(script.class_secret_key, key_file)
        try:
            reading.result(timeout=5)
        except TimeoutError:
            # Opening a named pipe to read waits for a writer: be one, so
            # that it ends, and say so.
            os.close(os.open(key_file, os.O_WRONLY | os.O_NONBLOCK))
            pytest.fail(f"reading the class key waited for ever on {key_file}")
        except script.KeyFileError as error:
            message = str(error)
        else:
            pytest.fail(f"{key_file} was taken as the class key")
    fix = "rm " if "link" in refusal else f"mv {key_file} {key_file}.old"
    assert refusal in message and fix in message, (
        f"the refusal should say what {key_file} is and how to fix it: {message}")
    assert not (tmp_path / "theirs").exists(), "the key was written through a link"


def test_a_class_key_of_another_user_is_refused_with_its_fix(
        tmp_path, monkeypatch):
    key_file = a_good_key(tmp_path / "key")
    if os.geteuid() == 0:
        os.chown(key_file, 4321, 4321)  # a real file of another user
    else:  # only root may give a file away: be another user instead
        monkeypatch.setattr(os, "geteuid", lambda: os.getuid() + 1)
    with pytest.raises(script.KeyFileError) as error:
        script.class_secret_key(key_file)
    assert "belongs to another user" in str(error.value)
    assert f"rm {key_file}" in str(error.value)


def test_the_projector_page_shows_each_address_and_its_qr_code():
    page = script.projector_page(["http://10.1.2.3:5000/"],
                                 ["http://10.1.2.3:8000/"])
    assert page.count("<svg") == 1 and "http://10.1.2.3:5000/" in page
    assert "http://10.1.2.3:8000/" in page


# The projector page in Chromium, as a class sees it.

LAPTOP_SCREEN = {"width": 1280, "height": 800}  # what the projector shows
PHONE = {"width": 390, "height": 844}
BACK_ROW = 6  # the screenshot at 1/6 of its size: the code as a phone sees it from afar
MIN_QR_SHARE = 0.45  # of the screen's height
ADDRESSES = {"one address": ["10.1.2.3"], "two addresses": ["192.168.1.20", "10.8.0.5"]}
ROOM = "maths 2b"


def open_projector_page(browser, addresses, viewport):
    """The page `make class` writes for `addresses`, open in a new tab of `viewport`'s
    size; it may load nothing from anywhere."""
    page = browser.new_page(viewport=viewport)
    page.route("**/*", lambda route: route.abort())
    page.set_content(script.projector_page(
        [f"http://{address}:5000/" for address in addresses],
        [f"http://{address}:8000/" for address in addresses], room=ROOM))
    return page


def drawn_codes(page):
    """Where each QR code is drawn: the box of its modules (the SVG's path), which is what
    a phone's camera sees, whatever size the <svg> element itself has."""
    return page.locator("svg path").evaluate_all(
        "paths => paths.map(path => path.getBoundingClientRect().toJSON())")


@pytest.mark.parametrize("addresses", ADDRESSES.values(), ids=ADDRESSES)
def test_the_projector_page_s_qr_code_fills_the_screen_and_scans_from_the_back(
        browser, addresses):
    page = open_projector_page(browser, addresses, LAPTOP_SCREEN)
    try:
        codes = drawn_codes(page)
        assert len(codes) == len(addresses), f"one QR code for each address: {codes}"
        height, width = LAPTOP_SCREEN["height"], LAPTOP_SCREEN["width"]
        for code in codes:
            assert code["height"] >= MIN_QR_SHARE * height, (
                f"on a {width}x{height} screen each QR code should take at least "
                f"{MIN_QR_SHARE:.0%} of its height (give the SVG a viewBox and size it in "
                f"vh): it is {code['height']:.0f} px high")
            middle = code["left"] + code["width"] / 2
            assert abs(middle - width / 2) <= 0.02 * width, (
                f"each QR code should be centred: its middle is at {middle:.0f} px of {width}")
        assert codes[0]["bottom"] <= height, (
            f"the first QR code should be on the screen whole, without scrolling: {codes[0]}")

        # The whole page: with several addresses, one section under the other.
        shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
        far = shot.resize((shot.width // BACK_ROW, shot.height // BACK_ROW),
                          Image.Resampling.LANCZOS)
        read = sorted(barcode.text for barcode in zxingcpp.read_barcodes(far))
        wanted = sorted(f"http://{address}:5000/?room=maths+2b" for address in addresses)
        assert read == wanted, (
            f"the screen at 1/{BACK_ROW} of its size, as from the back of the room, should "
            f"still scan to each chat address with its room: it reads {read}")
    finally:
        page.close()


@pytest.mark.parametrize("addresses", ADDRESSES.values(), ids=ADDRESSES)
def test_the_projector_page_says_where_and_which_room_to_join(browser, addresses):
    page = open_projector_page(browser, addresses, LAPTOP_SCREEN)
    try:
        text = page.locator("body").inner_text()
        assert re.search(r"\bRoom\b.*\bmaths 2b\b", text), (
            f"the page should name the room to join, {ROOM!r}: it says {text!r}")
        codes = drawn_codes(page)
        for address, code in zip(addresses, codes, strict=True):
            url = page.get_by_text(f"http://{address}:5000/", exact=True)
            box = url.bounding_box()
            size = float(url.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
            assert box["y"] >= code["bottom"] and size >= 40, (
                f"the address http://{address}:5000/ should stand under its QR code in large "
                f"type: it is at {box} in {size} px type, the code at {code}")
        if len(addresses) > 1:
            titles = page.locator("h2").all_inner_texts()
            networks = [f"On network {address.rsplit('.', 1)[0]}.x" for address in addresses]
            assert titles == networks, (
                f"with several addresses each should have a section titled by its network, "
                f"{networks}, for a class to pick the one it is on: the titles are {titles}")
        problems = [f"{rule['id']}: {node['target']}" for rule in axe_core.run(page)
                    for node in rule["nodes"]]
        assert problems == [], f"axe-core finds problems on the projector page: {problems}"
    finally:
        page.close()


@pytest.mark.parametrize("addresses", ADDRESSES.values(), ids=ADDRESSES)
def test_the_projector_page_fits_a_phone(browser, addresses):
    page = open_projector_page(browser, addresses, PHONE)
    try:
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (
            f"at {PHONE['width']} px the projector page should not scroll sideways: it "
            f"scrolls {overflow} px")
    finally:
        page.close()


def free_public_port(tries=100):
    """A free port that make class can take on every address, as it checks
    (classroom.port_is_free). One free on 127.0.0.1 may not be: after the
    load test's thousands of connections, 51 to 95 of 3,000 the kernel handed
    out for 127.0.0.1 failed that check, each held by a closed connection
    from another address (TIME-WAIT)."""
    for _ in range(tries):
        port = free_port()
        if classroom.port_is_free(port):
            return port
    raise AssertionError(f"no port free on every address in {tries} tries")


def start_class(tmp_path, *extra, env=None, preexec_fn=None):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("<p>the docs</p>")
    ports = free_public_port(), free_public_port()
    command = [sys.executable, str(SCRIPT), "--no-build", "--site", str(site),
               "--key-file", str(tmp_path / "key"),
               "--chat-port", str(ports[0]), "--docs-port", str(ports[1]),
               *extra]
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True, env={**os.environ, **(env or {})},
        preexec_fn=preexec_fn)
    return process, ports


def read_until(process, marker):
    """The output up to the line that contains `marker`, within TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    lines = []
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line:
            lines.append(line)
            if marker in line:
                return "".join(lines)
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.1)
    raise AssertionError(f"no {marker!r} from make class:\n{''.join(lines)}")


def test_make_class_serves_chat_and_docs_and_ctrl_c_stops_both(tmp_path):
    process, (chat_port, docs_port) = start_class(tmp_path, "--room", ROOM)
    try:
        output = read_until(process, "Projector page")
        assert "anyone on this network can open the chat" in output
        assert f"Room: {ROOM}" in output
        chat = requests.get(f"http://127.0.0.1:{chat_port}/", timeout=5)
        assert "Join the chat" in chat.text, "the chat should answer"
        # What the QR codes open: the start page with the room filled in.
        start = requests.get(f"http://127.0.0.1:{chat_port}/?room=maths+2b", timeout=5)
        assert f'value="{ROOM}"' in start.text, "the room should be filled in"
        docs = requests.get(f"http://127.0.0.1:{docs_port}/", timeout=5)
        assert "the docs" in docs.text, "the docs should answer"
        projector = requests.get(
            f"http://127.0.0.1:{docs_port}/class.html", timeout=5)
        assert "<svg" in projector.text
        assert f"Room: <strong>{ROOM}</strong>" in projector.text
        for address in script.this_machines_addresses():
            assert f"Chat: http://{address}:{chat_port}/" in output
            assert f"Docs: http://{address}:{docs_port}/" in output
        printed = re.findall(r"Chat: http://([\d.]+):", output)
        assert "127.0.0.1" not in printed
        assert listening_addresses(chat_port) == {"0.0.0.0"}, (
            "the chat's guard must listen on every interface for a class")
        key = (tmp_path / "key").read_text()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl+C does
        assert process.wait(TIMEOUT) == 0, "Ctrl+C should end make class"
    assert not listening_addresses(chat_port), "the chat is still running"
    assert not listening_addresses(docs_port), "the docs are still served"
    assert (tmp_path / "key").read_text() == key


def started_by(pid):
    """{pid: command line} of the processes that process `pid` started."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "stat").read_text()
            if int(status[status.rindex(")") + 2:].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(
                    b"\0", b" ").decode()
        except (OSError, ValueError):  # not a process, or one that has ended
            continue
    return found


def environment_of(pid):
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.decode().split("=", 1) for item in raw.split(b"\0") if b"=" in item)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="reads /proc")
def test_only_the_chat_is_given_the_class_key(tmp_path):
    """The docs server and the guards have no use for SECRET_KEY: they are
    started without it, even when the shell that starts the class has one."""
    process, _ = start_class(tmp_path, env={"SECRET_KEY": "the shell's own"})
    try:
        read_until(process, "Projector page")
        key = (tmp_path / "key").read_text().strip()
        servers = started_by(process.pid)
        roles = {pid: "chat" if "app.py" in command else "docs"
                 if "http.server" in command else "guard" if "guard.py" in command
                 else command for pid, command in servers.items()}
        assert sorted(roles.values()) == ["chat", "docs", "guard", "guard"], servers
        for pid, role in roles.items():
            given = environment_of(pid).get("SECRET_KEY")
            if role == "chat":
                assert given == key, "the chat should get the class key"
            else:
                assert given is None, f"the {role} ({servers[pid]}) was given SECRET_KEY"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(TIMEOUT)


def local_ports_of_sockets(pid):
    """The local ports of the TCP (IPv4) sockets process `pid` holds."""
    inodes = set()
    for link in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(link) if link.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] in inodes:
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the guard hands connections over on Linux only")
def test_the_chat_s_guard_hands_the_chat_its_connections(tmp_path):
    """Once a request's headers are in, the chat itself holds the
    student's connection (the guard copies no message)."""
    process, (chat_port, _) = start_class(tmp_path)
    try:
        read_until(process, "Projector page")
        with socket.create_connection(("127.0.0.1", chat_port)) as student:
            student.sendall(b"GET / HTTP/1.1\r\nHost: class\r\n\r\n")
            student.settimeout(TIMEOUT)
            assert student.recv(64).startswith(b"HTTP/1.1 200")
            [chat] = [pid for pid, command in started_by(process.pid).items()
                      if "app.py" in command]
            assert chat_port in local_ports_of_sockets(chat), (
                "the chat should hold the student's connection to port "
                f"{chat_port}, handed over by the guard")
    finally:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(TIMEOUT)


@pytest.mark.parametrize("room", ["  ", "r" * 65, "ma\u200bths"],
                         ids=["blank", "too long", "invisible character"])
def test_make_class_refuses_a_room_the_chat_would_refuse(tmp_path, room):
    process, _ = start_class(tmp_path, "--room", room)
    output, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode != 0 and "is no room for the chat" in output, output


def test_make_class_refuses_debug_mode(tmp_path):
    process, _ = start_class(tmp_path, env={"FLASK_DEBUG": "1"})
    output, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode != 0 and "FLASK_DEBUG=1" in output


def test_make_class_says_what_to_do_when_the_port_is_taken(tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process, _ = start_class(tmp_path, "--chat-port", str(port))
        output, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode != 0
    assert f"Port {port} for the chat is taken" in output
    assert f"CHAT_PORT={port + 1}" in output


def test_make_class_names_a_folder_that_is_no_checkpoint(tmp_path):
    process, _ = start_class(tmp_path, "--part", "nowhere")
    output, _ = process.communicate(timeout=TIMEOUT)
    assert process.returncode != 0 and "nowhere" in output


def test_a_step_that_cannot_serve_more_than_eventlet_s_default_gets_a_guard_below_it():
    """CHAT_MAX_CONNECTIONS arrives in part 2's last step; before it, eventlet serves
    1,024 at once, so the chat's guard must take fewer."""
    early = classroom.chat_guard_cap(REPO / "part2_chat" / "steps" / "3_messages")
    assert early is not None and early < 1024
    assert classroom.chat_guard_cap(REPO / "part2_chat") is None, (
        "part 2's last step reads CHAT_MAX_CONNECTIONS: its guard takes what the open-file "
        "limit allows")
