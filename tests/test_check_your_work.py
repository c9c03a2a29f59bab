"""`pytest tests/chat --checkpoint FOLDER` tests a learner's own copy of the chat."""
import shutil
import subprocess
import sys

from checkpoints import REPO

SUBSET = "someone_else or malformed"  # a quick slice of the chat tests


def run_chat_tests(folder):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "tests/chat", "--checkpoint", str(folder),
         "-k", SUBSET, "-v", "-p", "no:cacheprovider"],
        cwd=REPO, capture_output=True, text=True, timeout=300)


def test_a_faithful_copy_passes(tmp_path):
    copy = shutil.copytree(REPO / "part2_chat", tmp_path / "my-chat")
    result = run_chat_tests(copy)
    assert result.returncode == 0, result.stdout
    assert "[my-chat-" in result.stdout and "[part2_chat" not in result.stdout


def test_a_copy_that_trusts_the_client_fails(tmp_path):
    copy = shutil.copytree(REPO / "part2_chat", tmp_path / "my-chat")
    app_py = copy / "app.py"
    source = app_py.read_text()
    check = "    if claimed_username != username:"
    assert check in source
    app_py.write_text(source.replace(check, "    if False:"))
    result = run_chat_tests(copy)
    assert result.returncode == 1, result.stdout
    assert "test_nobody_can_send_as_someone_else[my-chat] FAILED" in result.stdout
