"""`pytest tests/chat --checkpoint FOLDER [--step N]` tests a learner's own copy of the chat:
only what steps 1 to N teach, and a failure names the behaviour that is missing."""
import re

import pytest

from tutorial import chain
from tutorial.chain import REPO
from harness.copies import copy_of, failed, first_that_fails, replaced, run_check
from harness.servers import require_programs

CHECKPOINTS = chain.checkpoints(REPO)

# A few checks, selected with -k, run in one process: two would cost more than they save.
ONE_PROCESS = ["-n", "0"]
SUBSET = "someone_else or malformed"  # a quick slice of the chat tests
# Every test-client test, and the one real-server test that shows `python app.py` starts.
QUICK = "not test_server or serves_the_start_page"
PART2 = {checkpoint.step: checkpoint for checkpoint in CHECKPOINTS if checkpoint.part == 2}


def copy_of_step(step, tmp_path):
    return copy_of(PART2[step].folder, tmp_path)


def run_chat_tests(folder, *options, select=SUBSET):
    return run_check("tests/chat", folder, "-k", select, "-v", *ONE_PROCESS, *options)


def test_a_copy_that_trusts_the_client_fails(tmp_path):
    copy = copy_of_step(max(PART2), tmp_path)
    app_py = copy / "app.py"
    source = app_py.read_text()
    check = "    if claimed_username != username:"
    assert check in source
    app_py.write_text(source.replace(check, "    if False:"))
    result = run_chat_tests(copy)
    assert result.returncode == 1, result.stdout
    assert first_that_fails(result)[0].endswith(
        "::test_nobody_can_send_as_someone_else[my-chat]"), result.stdout


# Step 1's whole check, run as its page prints it, is in test_docs_check_it.py.
@pytest.mark.parametrize("step", sorted(PART2)[1:], ids=lambda step: PART2[step].name)
def test_a_copy_of_each_step_passes_at_that_step(tmp_path, step):
    # The finished part 2 is what --step means when it is left out.
    options = [] if step == max(PART2) else ["--step", str(step)]
    result = run_chat_tests(copy_of_step(step, tmp_path), *options, select=QUICK)
    assert result.returncode == 0, result.stdout
    assert "[my-chat" in result.stdout and "[part2_chat" not in result.stdout


# A copy one step behind: the first test of the next step that it fails, and the words
# that failure must say.
ONE_STEP_BEHIND = [
    pytest.param(1, "test_chat_page_hands_the_name_and_room_to_its_script",
                 "the page should have data-username and data-room on <main id=\"chat\">",
                 id="pages at step 2"),
    pytest.param(2, "test_message_reaches_the_whole_room_and_no_other",
                 "send_message should answer {'ok': True}: it answered nothing",
                 id="joining at step 3"),
    pytest.param(3, "test_join_answer_lists_who_is_there",
                 "join_room should answer {'ok': True, 'members': ['alice', 'bob']}: it "
                 "answered {'ok': True}. List the room's members",
                 id="messages at step 4"),
    pytest.param(4, "test_sending_before_joining_is_refused",
                 "handling send_message with {'username': 'alice', 'room': ",
                 id="leaving at step 5"),
    pytest.param(5, "test_a_reconnecting_page_replaces_its_dead_connection_quietly",
                 "a second join with the same page_id should disconnect the page's older "
                 "connection",
                 id="bad input at step 6"),
    pytest.param(6, "test_sending_too_fast_is_throttled_with_a_reason",
                 "app.py should set MESSAGE_BURST",
                 id="reconnecting at step 7"),
]


@pytest.mark.parametrize(("step", "test", "words"), ONE_STEP_BEHIND)
def test_a_copy_checked_at_the_next_step_fails_naming_what_is_missing(tmp_path, step, test,
                                                                     words):
    result = run_chat_tests(copy_of_step(step, tmp_path), "--step", str(step + 1), select=test)
    assert result.returncode == 1, result.stdout
    assert first_that_fails(result)[0].endswith(f"::{test}[my-chat]"), result.stdout
    reasons = failed(result)
    assert reasons and all(" - AssertionError: " in line for line in reasons), result.stdout
    assert any(words in line for line in reasons), result.stdout


# The first browser test names a page whose script fails, before the chat tests that need it.
PAGE_SCRIPT_TEST = "tests/browser/test_a_page_script.py"
DOES_NOT_PARSE = "const messageList = null;  // declared twice: a SyntaxError\n"


def run_page_script_test(folder, step):
    return run_check(PAGE_SCRIPT_TEST, folder, "--step", str(step), "-v", *ONE_PROCESS)


def a_copy_whose_chat_js_does_not_parse(copy):
    """Declare a `const` a second time; return what the test must say."""
    chat_js = copy / "static" / "chat.js"
    lines = chat_js.read_text().splitlines(keepends=True)
    first = next(number for number, line in enumerate(lines)
                 if line.startswith("const messageList = "))
    lines.insert(first + 1, DOES_NOT_PARSE)
    chat_js.write_text("".join(lines))
    line = first + 2  # the second declaration's, counted from 1
    return (f"static/chat.js:{line}: SyntaxError: Identifier 'messageList' has already "
            "been declared")


def a_copy_whose_page_names_a_missing_script(copy):
    chat_html = copy / "templates" / "chat.html"
    source = chat_html.read_text()
    script = "filename='chat.js'"
    assert script in source
    chat_html.write_text(source.replace(script, "filename='chat-missing.js'"))
    return "static/chat-missing.js did not load (the server answered 404)"


@pytest.fixture
def chromium():
    require_programs("chromium")


def test_a_page_whose_script_runs_passes_the_page_script_test(tmp_path, chromium):
    result = run_page_script_test(copy_of_step(3, tmp_path), 3)
    assert result.returncode == 0, result.stdout
    assert "test_the_chat_page_script_runs_in_the_browser[my-chat-chromium] PASSED" in (
        result.stdout), result.stdout


@pytest.mark.parametrize("break_it", [a_copy_whose_chat_js_does_not_parse,
                                      a_copy_whose_page_names_a_missing_script],
                         ids=["syntax error", "missing script"])
def test_the_page_script_test_names_what_broke_the_page(tmp_path, chromium, break_it):
    copy = copy_of_step(3, tmp_path)
    found = break_it(copy)
    result = run_page_script_test(copy, 3)
    assert result.returncode == 1, result.stdout
    reasons = failed(result)
    assert len(reasons) == 1, result.stdout
    assert (f" - AssertionError: The page's script failed in the browser: {found}. Fix it "
            "first: the chat tests below need a working page.") in reasons[0], result.stdout


# Parts 3 and 4 on a learner's copy: a copy of each checkpoint whose lesson's key line is
# broken fails the one test that covers that line, naming it and saying in words what is
# missing; a faithful copy of the same checkpoint passes the same selection. Each run
# starts the copy's servers (part 4: its whole stack), so each case selects one test.
PART3_TESTS = ["tests/test_part3_deploy.py", "tests/chat/test_security_headers.py"]
PART4_TESTS = ["tests/test_part4_scale.py"]


def without_the_https_redirect(copy):
    replaced(copy / "app.py", "@app.before_request\ndef redirect_to_https():",
             "def redirect_to_https():")  # never called


def with_the_sync_worker(copy):
    replaced(copy / "Procfile", "gunicorn --worker-class eventlet ", "gunicorn ")


def without_the_message_queue(copy):
    replaced(copy / "app.py", ", message_queue=REDIS_URL)", ")")


def with_presence_in_one_process(copy):
    """members_of() back as in step 1: the process's own members only."""
    replaced(copy / "app.py",
             '    return sorted(entry["username"]\n'
             "                  for entry in present_entries(room).values())\n",
             "    return sorted(member.username for member in members.values()\n"
             "                  if member.room == room)\n")


def without_sticky_sessions(copy):
    replaced(copy / "nginx.conf", "        hash $cookie_session consistent;\n", "")


def without_the_replay(copy):
    replaced(copy / "app.py", "    send_missed_messages(room, last_id)\n", "")


# (checkpoint, --step, test files, -k selection of one test, the test's name, what its
# failure must say); each id is what the copy lacks. A broken copy gets the whole check,
# whose first failure must be this test; a faithful one passes the selected tests.
KEY_LINES = [
    pytest.param("part3_deploy", "part3", PART3_TESTS, "redirected_to_https",
                 "test_on_the_platform_http_is_redirected_to_https",
                 "should be redirected for good (301) to the same address with https://",
                 without_the_https_redirect, id="part3 without the https redirect"),
    pytest.param("part3_deploy", "part3", PART3_TESTS,
                 "procfile_command_serves and eventlet",
                 "test_the_procfile_command_serves_the_chat_as_on_the_platform",
                 "the Procfile should start gunicorn with --worker-class eventlet: it says "
                 "'gunicorn -w 1 app:app'", with_the_sync_worker,
                 id="part3 with the sync worker"),
    pytest.param("part4_scale/steps/1_message_queue", "4.1", PART4_TESTS,
                 "test_a_room_spans_processes and websocket",
                 "test_a_room_spans_processes",
                 "an emit on one process should reach the room's members on the other",
                 without_the_message_queue, id="4.1 without the message queue"),
    pytest.param("part4_scale/steps/2_presence", "4.2", PART4_TESTS,
                 "names_everybody_on_every_process",
                 "test_the_member_list_names_everybody_on_every_process",
                 "the answer to join_room should list the room's members on every "
                 "process (kept in Redis)", with_presence_in_one_process,
                 id="4.2 with presence in one process"),
    pytest.param("part4_scale/steps/3_nginx", "4.3", PART4_TESTS,
                 "test_polling_works_through_nginx_with_sticky_sessions",
                 "test_polling_works_through_nginx_with_sticky_sessions",
                 "nginx should send every request of a browser to the same chat process",
                 without_sticky_sessions, id="4.3 without sticky sessions"),
    pytest.param("part4_scale", "part4", PART4_TESTS, "dropped_page_gets_every_missed",
                 "test_a_dropped_page_gets_every_missed_message_once_in_order",
                 "join_room with last_id should send every message the page missed",
                 without_the_replay, id="part4 without the replay"),
]
KEY_LINE_CHECKPOINTS = list(dict.fromkeys(case.values[0] for case in KEY_LINES))


def run_part_tests(folder, step, files, select):
    return run_check(files, folder, "--step", step, "-k", select, "-v", *ONE_PROCESS,
                     timeout=600)


def run_the_whole_check(folder, step):
    """The check as a learner runs it: every test, in its order, in parallel."""
    return run_check("tests", folder, "--step", step, "-q", "--tb=no", "-rfE", timeout=600)


def require_the_programs_of(name):
    """Skip unless the programs the checkpoint's stack starts are installed."""
    if name.startswith("part4"):
        require_programs("redis-server", "nginx")


@pytest.mark.parametrize(("name", "step", "files", "select", "test", "words", "break_it"),
                         KEY_LINES)
def test_a_copy_without_its_lessons_key_line_fails_saying_what_is_missing(
        tmp_path, name, step, files, select, test, words, break_it):
    require_the_programs_of(name)
    copy = copy_of(name, tmp_path)
    break_it(copy)
    # The whole check: the lesson's own test must be the first that fails, however
    # many other checks the broken line breaks too (the pages', say).
    result = run_the_whole_check(copy, step)
    assert result.returncode == 1, result.stdout + result.stderr
    nodeid, sentence = first_that_fails(result)
    assert f"::{test}[my-chat" in nodeid and words in sentence, result.stdout
    # Said at once too (a check of the same test, in parallel, may come first).
    assert re.search(rf"^Fails \(\S+::{re.escape(test)}\[my-chat", result.stdout, re.M), (
        "the check should say what fails the moment it fails:\n" + result.stdout)


@pytest.mark.parametrize("name", KEY_LINE_CHECKPOINTS, ids=str)
def test_a_faithful_copy_passes_the_same_checks(tmp_path, name):
    cases = [case.values for case in KEY_LINES if case.values[0] == name]
    (_, step, files, *_), selections = cases[0], [case[3] for case in cases]
    require_the_programs_of(name)
    copy = copy_of(name, tmp_path)
    result = run_part_tests(copy, step, files, " or ".join(f"({s})" for s in selections))
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if line.endswith(" PASSED")
              or " PASSED " in line]
    for test in (case[4] for case in cases):
        assert any(f"::{test}[my-chat" in line for line in passed), result.stdout
