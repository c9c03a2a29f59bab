"""Every requirement an exercise's text states (docs/exercises-part*.md) has a
check that can fail. For each there is a mutant: the solution with one small
change that breaks that requirement and nothing else. A copy of the solution
with the mutant, checked as a learner checks an answer
(`pytest tests/exercises/test_<name>.py --checkpoint COPY`), fails, and the
sentence it fails with names the requirement.

Each change is made by exact text that belongs to the exercise (replaced()
wants it exactly once), so a mutant that no longer fits the solution fails
loudly instead of checking nothing. Each run selects the checks that must
catch the mutant (-k) and runs in one process: a few checks, where two
processes would cost more than they save.
"""
import re
from dataclasses import dataclass

import pytest

from harness.copies import copy_of, first_that_fails, replaced, run_checks
from exercise_checks import PAGE_WAIT
from harness.servers import require_programs
from tutorial.chain import exercises_by_id

EXERCISES = exercises_by_id()
# How long the mutants' checks wait for a page (Playwright's expect) to show
# what it should: a page shows it in a fraction of that, and a mutant's
# page never does.
PAGE_WAIT_SECONDS = 2
BROWSER = ("chromium",)
STACK = ("redis-server", "nginx")  # part 4's whole stack


@dataclass(frozen=True)
class Mutant:
    exercise: str  # its id in docs/lessons.yml
    requirement: str  # as the exercise's text states it
    edits: tuple  # (file, old, new): old must be in the file once
    select: str  # -k: the checks that must catch it
    says: str  # what the sentence it fails with must say
    needs: tuple = ()  # programs the checks need


def mutant(exercise, requirement, edits, select, says, needs=()):
    """A parameter of the test below, named by its exercise and
    requirement."""
    return pytest.param(Mutant(exercise, requirement, tuple(edits), select,
                               says, needs),
                        id=f"{exercise}: {requirement}")


APP, INDEX = "app.py", "templates/index.html"
CHAT_JS, CHAT_HTML, STYLE = ("static/chat.js", "templates/chat.html",
                             "static/style.css")
ABOUT = "templates/about.html"

ABOUT_MUTANTS = [
    mutant("about", "/about is made from a template",
           [(APP, '    return render_template("about.html", '
                  'title="About this app")',
             '    return "<h1>About</h1><p><a href=\\"/\\">Home</a></p>"')],
           "made_from_a_template", "should be made from a template"),
    mutant("about", "the page has a <title>",
           [(ABOUT, "  <title>{{ title }}</title>\n", "")],
           "title_a_heading", "the page should have a <title>"),
    mutant("about", "the page has a heading (<h1>)",
           [(ABOUT, "  <h1>{{ title }}</h1>\n", "")],
           "title_a_heading", "the page should have a <h1>"),
    mutant("about", "a sentence about the app",
           [(ABOUT, "  <p>This is part 1 of the Flask chat tutorial: a Flask "
                    "app with two\n     pages, one of them made from a "
                    "template.</p>\n", "")],
           "says_something", "should have a sentence about the app"),
    mutant("about", "a link back to the home page",
           [(ABOUT, "<a href=\"{{ url_for('index') }}\">",
             "<a href=\"{{ url_for('about') }}\">")],
           "link_home", "a link back to the home page"),
    mutant("about", "/ still says exactly Hello World",
           [(APP, '    return "Hello World"\n',
             '    return "Hello World! See /about"\n')],
           "still_says_hello_world", "should still say exactly Hello World"),
]

GREET_MUTANTS = [
    mutant("greet", "/hello/Ada says Hello, Ada!",
           [(APP, 'return f"Hello, {escape(name)}!"',
             'return f"Hi, {escape(name)}!"')],
           "test_hello_greets_the_name and not as_text",
           "/hello/Ada should show 'Hello, Ada!' on the page"),
    mutant("greet", "the name is shown as text",
           [(APP, 'return f"Hello, {escape(name)}!"',
             'return f"Hello, {name}!"')],
           "as_text", "should show the name as text"),
    mutant("greet", "a name of up to 32 characters is greeted",
           [(APP, "if len(name) > MAX_NAME_LENGTH:",
             "if len(name) >= MAX_NAME_LENGTH:")],
           "longest_name", "a name of 32 characters should be greeted"),
    mutant("greet", "a longer name is refused with the status 400",
           [(APP, "characters long.\", 400", "characters long.\"")],
           "too_long", "should be refused with status 400"),
    mutant("greet", "the refusal says the limit",
           [(APP, 'f"A name can be at most {MAX_NAME_LENGTH} characters '
                  'long."', '"That name is too long."')],
           "too_long", "the refusal should say the limit, 32 characters"),
]

TIMESTAMPS_MUTANTS = [
    mutant("timestamps", "the server adds the time as a field time",
           [(APP, '"message": message, "time": sent}', '"message": message}')],
           "carries_the_servers_time",
           "should carry the time the server relayed it"),
    mutant("timestamps", "the time is ISO 8601 with its time zone",
           [(APP, "datetime.now(UTC).isoformat(",
             "datetime.now().isoformat(")],
           "carries_the_servers_time",
           "the time should be ISO 8601 text with its time zone"),
    mutant("timestamps", "a sender cannot fake the time",
           [(APP, '"time": sent}', '"time": data.get("time", sent)}')],
           "cannot_choose", "never from the sender's payload"),
    mutant("timestamps", "the other fields of receive_message stay as they are",
           [(APP, '{"username": username, "room": room,\n',
             '{"username": username, "room": room.upper(),\n')],
           "other_fields", "receive_message should keep its fields"),
    mutant("timestamps", "each page shows the time in its reader's time zone",
           [(CHAT_JS, '{ hour: "2-digit", minute: "2-digit" }',
             '{ hour: "2-digit", minute: "2-digit", timeZone: "UTC" }')],
           "own_time_zone", "should show the message with the time in",
           BROWSER),
    mutant("timestamps", "the page shows hours and minutes",
           [(CHAT_JS, '{ hour: "2-digit", minute: "2-digit" }',
             '{ hour: "2-digit" }')],
           "own_time_zone", "(hours:minutes)", BROWSER),
]

MEMBERS_MUTANTS = [
    mutant("members", "join_room_announcement carries the room's list",
           [(APP, '{"username": username, "room": room,\n'
                  '                                    "members": '
                  'members_of(room)}',
             '{"username": username, "room": room}')],
           "join_announcement",
           "alice should hear that bob joined, with the room's new list"),
    mutant("members", "the list is sorted",
           [(APP, '"members": members_of(room)},\n         to=room',
             '"members": [member.username for member in members.values()\n'
             '                                                if member.room '
             '== room]},\n         to=room')],
           "sorted", "the list sorted by name"),
    mutant("members", "leave_room_announcement carries the room's list",
           [(APP, '"room": member.room,\n'
                  '          "members": members_of(member.room)}',
             '"room": member.room}')],
           "leave_announcement",
           "alice should hear that bob left, with the room's new list"),
    mutant("members", "closing the tab updates the list too",
           [(APP, 'def on_disconnect(reason=None):\n'
                  '    member = members.pop(request.sid, None)\n'
                  '    if member:\n'
                  '        announce_leave(member)\n',
             'def on_disconnect(reason=None):\n'
             '    member = members.get(request.sid)\n'
             '    if member:\n'
             '        announce_leave(member)\n'
             '        del members[request.sid]\n')],
           "closing_the_page",
           "alice should hear that bob's page closed, with the room's new "
           "list"),
    mutant("members", "the page lists who is here, in <ul id=\"members\">",
           [(CHAT_JS, "    showMembers(answer.members);\n", "")],
           "shows_who_is_here",
           "alice's page should list who is here, one <li> per name",
           BROWSER),
    mutant("members", "a join updates everybody's list",
           [(CHAT_JS, '["span", " has joined the room"]);\n'
                      '  showMembers(data.members);\n',
             '["span", " has joined the room"]);\n')],
           "shows_who_is_here", "alice's list should gain the newcomer",
           BROWSER),
    mutant("members", "a leave updates everybody's list",
           [(CHAT_JS, '["span", " has left the room"]);\n'
                      '  showMembers(data.members);\n',
             '["span", " has left the room"]);\n')],
           "shows_who_is_here", "alice's list should lose bob", BROWSER),
    mutant("members", "each name is shown as text",
           [(CHAT_JS, "item.textContent = name;", "item.innerHTML = name;")],
           "shows_who_is_here", "named as text", BROWSER),
]

TYPING_MUTANTS = [
    mutant("typing", "the server sends typing to the others in the room",
           [(APP, "         to=member.room, include_self=False)\n"
                  "    return {\"ok\": True}\n\n\n# NO:10",
             "         to=request.sid, include_self=False)\n"
             "    return {\"ok\": True}\n\n\n# NO:10")],
           "hear_who_is_typing", "bob should hear that alice is typing"),
    mutant("typing", "not to the person typing",
           [(APP, "         to=member.room, include_self=False)\n"
                  "    return {\"ok\": True}\n\n\n# NO:10",
             "         to=member.room)\n"
             "    return {\"ok\": True}\n\n\n# NO:10")],
           "hear_who_is_typing",
           "alice should not hear about her own typing"),
    mutant("typing", "the sender must have joined",
           [(APP, "    if member is None:\n"
                  '        raise ChatError("Join a room before typing.")\n', "")],
           "before_joining", "typing before join_room should be refused on "
           "purpose"),
    mutant("typing", "the name and the room must be the sender's own",
           [(APP, '    check_identity(*read_fields(data, "username", "room"),\n'
                  "                   member.username, member.room)\n"
                  "    now = time.monotonic()\n",
             "    now = time.monotonic()\n")],
           "someone_else", "from alice claiming to be bob should be refused"),
    mutant("typing", "at most one typing a second per page, refused with a "
           "reason",
           [(APP, "    if now - member.typed_at < TYPING_INTERVAL_SECONDS:\n"
                  '        raise ChatError("Typing is announced at most once '
                  'a second.")\n', "")],
           "flood", "typing events at once should reach bob once"),
    mutant("typing", "typing is relayed again after a second",
           [(APP, "TYPING_INTERVAL_SECONDS = 1\n",
             "TYPING_INTERVAL_SECONDS = 60\n")],
           "flood", "typing should be relayed again after about a second"),
    mutant("typing", "the page says \"bob is typing…\"",
           [(CHAT_JS, 'socket.on("typing", (data) => {',
             'socket.on("typing-off", (data) => {')],
           "shows_who_is_typing", 'should say "bob is typing…"', BROWSER),
    mutant("typing", "it goes away when bob's message arrives",
           [(CHAT_JS, "  stopTyping(data.username);  // the message is what "
                      "they were typing\n", "")],
           "shows_who_is_typing", "once bob's message arrives", BROWSER),
    mutant("typing", "or a few seconds after he stopped typing",
           [(CHAT_JS, "setTimeout(() => stopTyping(data.username), "
                      "SHOW_TYPING_MS)", "undefined")],
           "two_typists", "a few seconds after bob and carol stopped typing",
           BROWSER),
    mutant("typing", "two people typing: \"alice, bob are typing…\"",
           [(CHAT_JS, '`${names.join(", ")} ${names.length === 1 ? "is" : '
                      '"are"} typing…`',
             '`${names.at(-1)} is typing…`')],
           "two_typists", "bob, carol are typing…", BROWSER),
    mutant("typing", "the page sends typing only while its box has text",
           [(CHAT_JS, "if (!messageInput.value.trim() || now - typingSentAt",
             "if (now - typingSentAt")],
           "no_text", "should make her page send no typing", BROWSER),
    mutant("typing", "the page sends typing at most once every two seconds",
           [(CHAT_JS, " || now - typingSentAt < TYPING_EVERY_MS", "")],
           "every_two_seconds", "send typing at most once every 2 seconds",
           BROWSER),
]

HISTORY_MUTANTS = [
    mutant("history", "the answer to join_room carries history, oldest first",
           [(APP, '"history": list(history.get(room, ()))}',
             '"history": list(reversed(history.get(room, ())))}')],
           "last_messages_oldest_first",
           "bob should get the last 20 messages, oldest first"),
    mutant("history", "each message as receive_message sends it",
           [(APP, "deque(maxlen=HISTORY_LENGTH)).append(sent)",
             "deque(maxlen=HISTORY_LENGTH)).append(message)")],
           "last_messages_oldest_first",
           "each as receive_message sends it"),
    mutant("history", "at most 20 messages for each room",
           [(APP, "deque(maxlen=HISTORY_LENGTH)).append(sent)",
             "deque(maxlen=HISTORY_LENGTH + 5)).append(sent)")],
           "last_messages_oldest_first", "bob should get the last 20 messages"),
    mutant("history", "each room's own history",
           [(APP, "history.setdefault(member.room, ",
             'history.setdefault("every room", '),
            (APP, '"history": list(history.get(room, ()))}',
             '"history": list(history.get("every room", ()))}')],
           "rooms_own", "should get no history of alice's room"),
    mutant("history", "a room's history goes when its last person leaves",
           [(APP, "    if not members_of(member.room):\n"
                  "        history.pop(member.room, None)  # nobody is left "
                  "to remember it\n", "")],
           "goes_when_the_room_empties",
           "once its last member has left, a room's history should be "
           "forgotten"),
    mutant("history", "the page shows the history",
           [(CHAT_JS, "for (const old of answer.history) {",
             "for (const old of []) {")],
           "shows_what_was_said_before",
           "bob's page should show the room's earlier messages", BROWSER),
    mutant("history", "above \"You joined room …\"",
           [(CHAT_JS, "      if (!historyShown) {\n",
             "      setTimeout(() => {\n      if (!historyShown) {\n"),
            (CHAT_JS, '["span", ": "], ["span", old.message]);\n'
                      "        }\n      }\n",
             '["span", ": "], ["span", old.message]);\n'
             "        }\n      }\n      });\n")],
           "shows_what_was_said_before",
           "should show the earlier messages above", BROWSER),
    mutant("history", "after a reconnection the page shows it no second time",
           [(CHAT_JS, "      if (!historyShown) {\n",
             "      if (true) {\n")],
           "history_once", "should not show the history again", BROWSER),
]

PRIVATE_MUTANTS = [
    mutant("private", "receive_private reaches the recipient and the sender",
           [(APP, "to=[*pages, request.sid])", "to=pages)")],
           "reaches_one_member",
           "alice's own page should get her private message back"),
    mutant("private", "and nobody else",
           [(APP, "to=[*pages, request.sid])", "to=member.room)")],
           "reaches_one_member", "carol, in the same room, must not see it"),
    mutant("private", "every page the recipient has open in the room",
           [(APP, "to=[*pages, request.sid])", "to=[pages[0], request.sid])")],
           "every_page_of_the_recipient",
           "each of bob's pages in the room should get the message"),
    mutant("private", "the recipient must be in the sender's room",
           [(APP, "if (other.username, other.room) == (to, member.room)]",
             "if other.username == to]")],
           "outside_the_room", "to dave, who is in another room"),
    mutant("private", "the refusal names the recipient",
           [(APP, 'f"Nobody called {to} is in room {member.room}."',
             '"Nobody by that name is here."')],
           "outside_the_room", "containing 'dave'"),
    mutant("private", "a message to yourself is refused",
           [(APP, "    if to == member.username:\n"
                  '        raise ChatError("You cannot send a private message '
                  'to yourself.")\n', "")],
           "bad_private_messages", "send_private to alice herself"),
    mutant("private", "the sender must have joined",
           [(APP, "    if member is None:\n"
                  '        raise ChatError("Join a room before sending '
                  'messages.")\n'
                  "    claimed_username, claimed_room, to, message",
             "    claimed_username, claimed_room, to, message")],
           "before_joining", "send_private before join_room should be "
           "refused on purpose"),
    mutant("private", "the sender's own name and room",
           [(APP, "    check_identity(claimed_username, claimed_room,\n"
                  "                   member.username, member.room)\n"
                  '    to = clean_text(to, "recipient", MAX_USERNAME_LENGTH)\n',
             '    to = clean_text(to, "recipient", MAX_USERNAME_LENGTH)\n')],
           "comes_from_the_session", "from alice claiming to be carol"),
    mutant("private", "a usable message",
           [(APP, '    to = clean_text(to, "recipient", MAX_USERNAME_LENGTH)\n'
                  '    message = clean_text(message, "message", '
                  'MAX_MESSAGE_LENGTH)\n',
             '    to = clean_text(to, "recipient", MAX_USERNAME_LENGTH)\n')],
           "bad_private_messages", "of 1001 characters"),
    mutant("private", "the rate limit",
           [(APP, '        raise ChatError(f"Nobody called {to} is in room '
                  '{member.room}.")\n'
                  "    if not limiter_of(member.person_id).allow():\n",
             '        raise ChatError(f"Nobody called {to} is in room '
             '{member.room}.")\n'
             "    if False:\n")],
           "rate_limit", "should meet the rate limit"),
    mutant("private", "the page has a field labelled \"Private to\"",
           [(CHAT_HTML, '<label for="private_to">Private to</label>',
             '<label for="private_to">To</label>')],
           "sends_and_shows", "a field labelled 'Private to'", BROWSER),
    mutant("private", "with a name in it, the page sends send_private",
           [(CHAT_JS, "const to = privateTo.value.trim();", 'const to = "";')],
           "sends_and_shows", "should send it with send_private", BROWSER),
    mutant("private", "the page shows a private message",
           [(CHAT_JS, 'socket.on("receive_private", (data) => {',
             'socket.on("receive_privately", (data) => {')],
           "sends_and_shows", "alice's page should show her private message",
           BROWSER),
]

ME_MUTANTS = [
    mutant("me", "/me waves reaches the room as an action",
           [(APP, '"message": message,\n'
                  '                             "action": action},',
             '"message": message},')],
           "test_me_is_an_action", "should reach the room as an action"),
    mutant("me", "the message is the text after /me",
           [(APP, '        message = message.removeprefix("/me").strip()\n'
                  "        if not message:",
             "        if not message.removeprefix(\"/me\").strip():")],
           "test_me_is_an_action", "(without /me)"),
    mutant("me", "/meh and say /me too are ordinary messages",
           [(APP, 'action = message == "/me" or message.startswith("/me ")',
             'action = message.startswith("/me")')],
           "not_actions", "is an ordinary message, not an action"),
    mutant("me", "/me alone is refused with a reason",
           [(APP, "        if not message:\n"
                  '            raise ChatError("Say what you do after /me, as '
                  'in /me waves.")\n', "")],
           "without_an_action", "which says no action should be refused"),
    mutant("me", "the page shows \"* alice waves\"",
           [(CHAT_JS, 'addLine("message action", ["span", "* "],',
             'addLine("message action", ["span", ""],')],
           "shows_an_action", "should show the action as '* alice waves",
           BROWSER),
    mutant("me", "in italics",
           [(STYLE, "#messages .action { font-style: italic; }\n", "")],
           "shows_an_action", "should show the action in italics", BROWSER),
    mutant("me", "as text",
           [(CHAT_JS, 'addLine("message action", ["span", "* "], '
                      '["strong", data.username],\n'
                      '      ["span", ` ${data.message}`]);',
             'const line = document.createElement("li");\n'
             "    line.innerHTML = `* ${data.username} ${data.message}`;\n"
             "    messageList.appendChild(line);")],
           "shows_an_action", "all of it as text", BROWSER),
]

HEALTH_MUTANTS = [
    mutant("health", "GET /health answers 200 with {\"status\": \"ok\"}",
           [(APP, 'return {"status": "ok"}, 200,', 'return "ok", 200,')],
           "says_ok_as_json", "should answer the JSON"),
    mutant("health", "it sets no cookie",
           [(APP, "def health():\n",
             'def health():\n    session["checked"] = True\n')],
           "no_cookie", "/health should not touch the session"),
    mutant("health", "it says Cache-Control: no-store",
           [(APP, ', {"Cache-Control": "no-store"}', "")],
           "no_cookie", "should say Cache-Control: no-store"),
    mutant("health", "on the platform, /health is let through on plain http",
           [(APP, '\n            and request.endpoint != "health"', "")],
           "let_through", "over plain http on the platform"),
    mutant("health", "everything else is still redirected to https",
           [(APP, 'and request.endpoint != "health"',
             'and request.endpoint not in ("health", "home")')],
           "let_through", "should still be sent to https"),
]

LIMIT_MUTANTS = [
    mutant("limit", "not set: 1,000",
           [(APP, '"CHAT_MAX_MESSAGE_LENGTH",\n'
                  "                                            1000, 2000)",
             '"CHAT_MAX_MESSAGE_LENGTH",\n'
             "                                            500, 2000)")],
           "follows_the_config_var", "when CHAT_MAX_MESSAGE_LENGTH is not set"),
    mutant("limit", "set from 1 to 2,000: the limit of the server's check",
           [(APP, 'message = clean_text(message, "message", '
                  'MAX_MESSAGE_LENGTH)',
             'message = clean_text(message, "message", 1000)')],
           "follows_the_config_var",
           "of 201 characters when CHAT_MAX_MESSAGE_LENGTH is '200'"),
    mutant("limit", "and of the maxlength of the page's message box",
           [(APP, '"max_message_length": MAX_MESSAGE_LENGTH}',
             '"max_message_length": 1000}')],
           "follows_the_config_var", "with maxlength 200"),
    mutant("limit", "anything else: the app does not start",
           [(APP, "    if not 1 <= value <= highest:",
             "    if not 0 <= value <= highest:")],
           "bad_value", "should refuse to start"),
    mutant("limit", "a line that names the config var and the bad value, "
           "no traceback",
           [(APP, "    value = int(text) if text.isdecimal() else 0\n",
             "    value = int(text)\n")],
           "bad_value", "and no traceback"),
    mutant("limit", "the line says what the value should be",
           [(APP, 'f"{name} must be a whole number from 1 to {highest}, not "\n'
                  '              f"{text!r}. Unset it for the default, '
                  '{default}."',
             'f"{name} cannot be {text!r}."')],
           "bad_value", "should say what the value should be"),
    mutant("limit", "one line",
           [(APP, 'f"{text!r}. Unset it for the default, {default}."',
             'f"{text!r}.\\nUnset it for the default, {default}."')],
           "bad_value", "should print one line"),
]

ROOMS_MUTANTS = [
    mutant("rooms", "the list is the same on every process, counted over all",
           [(APP, "count = len(present_entries(room))",
             "count = sum(member.room == room for member in members.values())")],
           "every_process_lists", "the start page of chat process", STACK),
    mutant("rooms", "the room's name as text",
           [(INDEX, "<li>{{ room }} ({{ count }})</li>",
             "<li>{{ room|safe }} ({{ count }})</li>")],
           "shown_as_text", "should be shown as text, never as HTML", STACK),
    mutant("rooms", "at most the 20 busiest rooms",
           [(APP, "    return rooms[:LISTED_ROOMS]\n", "    return rooms\n")],
           "20_busiest", "at most the 20 busiest rooms", STACK),
    mutant("rooms", "the room field gets a <datalist>",
           [(INDEX, '           list="active_rooms">', "           >")],
           "suggests", "give <input id=\"room\"> a list attribute", STACK),
    mutant("rooms", "the people of a killed process must not count",
           [(APP, "count = len(present_entries(room))",
             "count = store.hlen(key)")],
           "killed_process", "the people of a killed process must not count",
           STACK),
    mutant("rooms", "if Redis cannot be reached, the start page still works",
           [(APP, "    try:\n        rooms = active_rooms()\n"
                  "    except redis.RedisError as error:\n"
                  '        log.warning("Cannot list the rooms: %s", error)\n'
                  "        rooms = []  # the form works without the list\n",
             "    rooms = active_rooms()\n")],
           "redis_is_down", "while Redis cannot be reached", STACK),
]

MUTANTS = [*ABOUT_MUTANTS, *GREET_MUTANTS, *TIMESTAMPS_MUTANTS,
           *MEMBERS_MUTANTS, *TYPING_MUTANTS, *HISTORY_MUTANTS,
           *PRIVATE_MUTANTS, *ME_MUTANTS, *HEALTH_MUTANTS, *LIMIT_MUTANTS,
           *ROOMS_MUTANTS]


def with_mutant(mutant, folder):
    """A copy of the mutant's exercise's solution, in `folder`, with the
    mutant."""
    copy = copy_of(EXERCISES[mutant.exercise].folder, folder)
    for file, old, new in mutant.edits:
        replaced(copy / file, old, new)
    return copy


def not_caught(mutant, result):
    """What is wrong with the check's `result` on a copy with `mutant`, or
    None if it failed naming the requirement."""
    title = EXERCISES[mutant.exercise].title
    said = "\n" + re.sub(r"[=.]{5,}", "...", result.stdout)  # no long rules
    if f"as the exercise '{title}'" not in result.stdout:
        return f"the check should say that it checks the exercise '{title}':{said}"
    if result.returncode != 1:
        return (f"the check should fail an answer that breaks \"{mutant.requirement}\": "
                f"it ended with {result.returncode}:{said}")
    _, sentence = first_that_fails(result)
    if mutant.says not in sentence:
        return (f"the check should fail an answer that breaks \"{mutant.requirement}\" "
                f"saying {mutant.says!r}: it said {sentence!r}")
    return None


@pytest.mark.parametrize("exercise", list(EXERCISES))
def test_the_check_fails_each_mutant_naming_its_requirement(tmp_path, exercise):
    """Each mutant of the exercise in a copy of its own, each copy checked by
    itself (-k: the checks that must catch it; one process, -n 0), the
    checks of all of them in one Python (run_checks)."""
    mutants = [m.values[0] for m in MUTANTS if m.values[0].exercise == exercise]
    require_programs(*{program for m in mutants for program in m.needs})
    test = EXERCISES[exercise].test
    copies = [with_mutant(mutant, tmp_path / str(number))
              for number, mutant in enumerate(mutants)]
    results = run_checks([(test, copy, ["-k", mutant.select, "-n", "0", "-q"])
                          for mutant, copy in zip(mutants, copies)],
                         env={PAGE_WAIT: str(PAGE_WAIT_SECONDS)})
    problems = [f"{mutant.requirement}: {problem}"
                for mutant, result in zip(mutants, results)
                if (problem := not_caught(mutant, result))]
    assert not problems, "\n\n".join(problems)


def test_every_exercise_has_its_mutants():
    assert {m.values[0].exercise for m in MUTANTS} == set(EXERCISES), (
        "every exercise of docs/lessons.yml should have its mutants here")
