"""`make class` (scripts/classroom.py): the chat and the docs for a classroom."""
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time

import pytest
import requests

from tutorial.chain import REPO
import classroom
from servers import free_port, listening_addresses

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


def test_the_projector_page_shows_each_address_and_its_qr_code():
    page = script.projector_page(["http://10.1.2.3:5000/"],
                                 ["http://10.1.2.3:8000/"])
    assert page.count("<svg") == 1 and "http://10.1.2.3:5000/" in page
    assert "http://10.1.2.3:8000/" in page


def start_class(tmp_path, *extra, env=None, preexec_fn=None):
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("<p>the docs</p>")
    ports = free_port(), free_port()
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
    process, (chat_port, docs_port) = start_class(tmp_path)
    try:
        output = read_until(process, "Projector page")
        assert "anyone on this network can open the chat" in output
        chat = requests.get(f"http://127.0.0.1:{chat_port}/", timeout=5)
        assert "Join the chat" in chat.text, "the chat should answer"
        docs = requests.get(f"http://127.0.0.1:{docs_port}/", timeout=5)
        assert "the docs" in docs.text, "the docs should answer"
        projector = requests.get(
            f"http://127.0.0.1:{docs_port}/class.html", timeout=5)
        assert "<svg" in projector.text
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
