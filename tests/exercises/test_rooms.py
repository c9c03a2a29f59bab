"""Exercise "Which rooms are busy" (docs/exercises-part4.md): the start page
of every process lists the rooms with people in them, and how many, from
what the processes share in Redis: at most the 20 busiest, without the
people of a killed process, and the room field suggests them. Without
Redis the start page still works."""
import signal
import time
from html.parser import HTMLParser

import pytest
import requests

from exercise_checks import two_people_chat
from harness.stack import CHAT_ENV, start_checkpoint

EXERCISE = "rooms"
TRICKY_ROOM = "<b>loud</b> & co"
LISTED_ROOMS = 20  # "at most the 20 busiest rooms"
# How long a killed process's people count as present (part 4's
# CHAT_RETURN_SECONDS), shortened for the test that kills one, and how long
# that test waits for them to stop counting.
RETURN_SECONDS = 2
LEAVE_TIMEOUT = RETURN_SECONDS + 4


class StartPage(HTMLParser):
    """The texts of the <li> items of <ul id="rooms">, the `list` attribute
    of the room field (<input id="room">), the values of the <option>s of
    each <datalist> by its id, and whether the page has the form."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.rooms, self.in_list, self.item = [], False, None
        self.room_field, self.datalists, self.datalist = None, {}, None
        self.feed(html)

    @property
    def options(self):
        """The rooms the room field suggests: the options of the datalist
        its `list` attribute names."""
        return self.datalists.get((self.room_field or {}).get("list"), [])

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("id") == "rooms":
            self.in_list = True
        elif tag == "li" and self.in_list:
            self.item = ""
        elif tag == "input" and attrs.get("id") == "room":
            self.room_field = attrs
        elif tag == "datalist":
            self.datalist = self.datalists.setdefault(attrs.get("id"), [])
        elif tag == "option" and self.datalist is not None:
            self.datalist.append(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "li" and self.item is not None:
            self.rooms.append(" ".join(self.item.split()))
            self.item = None
        elif tag == "ul":
            self.in_list = False
        elif tag == "datalist":
            self.datalist = None

    def handle_data(self, data):
        if self.item is not None:
            self.item += data


def start_page(process):
    response = requests.get(process.url + "/", timeout=5)
    assert response.status_code == 200, (
        f"the start page of {process.url} answered {response.status_code}")
    return StartPage(response.text)


def expect_listed(server, prefix, wanted, why, timeout=5, processes=None):
    """Every chat process (or those of `processes`) lists exactly `wanted`
    {room: count} among the rooms whose names start with `prefix`, within
    `timeout` seconds (a closed page leaves as soon as its process
    notices)."""
    deadline = time.monotonic() + timeout
    for number, process in enumerate(server.workers, 1):
        if processes is not None and process not in processes:
            continue
        while True:
            mine = [item for item in start_page(process).rooms
                    if item.startswith(prefix)]
            listed = {room: count for room, count in wanted.items()
                      if any(item.startswith(room) and str(count) in item
                             for item in mine)}
            if listed == wanted and len(mine) == len(wanted):
                break
            assert time.monotonic() < deadline, (
                f"the start page of chat process {number} should list "
                f"{wanted} (each room in a <li> of <ul id=\"rooms\">, with "
                f"how many are in it) {why}: it lists {mine or 'none'}")
            time.sleep(0.1)


def test_every_process_lists_the_busy_rooms(server, chat_user, room):
    maths, physics = f"{room}-maths", f"{room}-physics"
    first, second = server.workers[0].url, server.workers[1].url
    chat_user("alice", maths, url=first)
    bob = chat_user("bob", physics, url=second)
    carol = chat_user("carol", physics, url=first)
    expect_listed(server, room, {maths: 1, physics: 2},
                  "when alice is in one room, on process 1, and bob and "
                  "carol in another, on processes 2 and 1")
    bob.leave()
    expect_listed(server, room, {maths: 1, physics: 1}, "once bob has left")
    carol.close()
    expect_listed(server, room, {maths: 1}, "once the last person in "
                  f"{physics} has closed the page: an empty room is not busy")


def test_the_start_page_suggests_the_busy_rooms(server, chat_user, room):
    chat_user("alice", room)
    page = start_page(server)
    assert page.room_field is not None, (
        "the start page should still have the room field, <input id=\"room\">")
    named = page.room_field.get("list")
    assert named and named in page.datalists, (
        "the room field should suggest the busy rooms: give <input "
        "id=\"room\"> a list attribute that names the id of a <datalist> "
        f"on the page: its list is {named!r}, the datalists are "
        f"{sorted(map(str, page.datalists)) or 'none'}")
    assert room in page.options, (
        f"the room field's <datalist id=\"{named}\"> should have an <option "
        f"value=\"...\"> for each busy room, {room!r} too: its options are "
        f"{page.options}")


def test_at_most_the_20_busiest_rooms_are_listed(server, chat_user, room):
    busiest = f"{room}-busiest"
    for name in ("alice", "bob", "carol"):
        chat_user(name, busiest)
    quiet = [f"{room}-quiet-{number}" for number in range(LISTED_ROOMS)]
    for name in quiet:
        chat_user("dave", name)
    listed = start_page(server).rooms
    assert any(item.startswith(busiest) for item in listed), (
        f"the start page should list the busiest room, {busiest!r} (3 "
        f"people), among the {LISTED_ROOMS} busiest: it lists {listed}")
    assert len(listed) <= LISTED_ROOMS, (
        f"the start page should list at most the {LISTED_ROOMS} busiest "
        f"rooms: with {LISTED_ROOMS + 1} rooms busy it lists {len(listed)}. "
        "Sort the rooms by how many are in them and keep the first "
        f"{LISTED_ROOMS}")


def test_a_room_name_is_shown_as_text(server, chat_user):
    chat_user("mallory", TRICKY_ROOM)
    response = requests.get(server.url + "/", timeout=5)
    assert "<b>loud</b>" not in response.text, (
        "a room's name should be shown as text, never as HTML: the start "
        "page has <b>loud</b> in its markup")
    assert any(item.startswith(TRICKY_ROOM)
               for item in StartPage(response.text).rooms), (
        f"the start page should list the room {TRICKY_ROOM!r}")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


@pytest.fixture
def own_stack(solution):
    """The solution's stack for one test, which may kill its parts; its
    killed processes' people count as present for RETURN_SECONDS."""
    stack = start_checkpoint(solution, env={
        **CHAT_ENV, "CHAT_RETURN_SECONDS": str(RETURN_SECONDS)})
    try:
        yield stack.wait_until_serving()
    finally:
        stack.close()


def test_the_people_of_a_killed_process_do_not_count(own_stack, chat_user,
                                                     room):
    # Bob's room has nobody on a living process, which would tidy it up.
    alive, killed = own_stack.workers
    alices, bobs = f"{room}-alice", f"{room}-bob"
    chat_user("alice", alices, url=alive.url)
    chat_user("bob", bobs, url=killed.url)
    expect_listed(own_stack, room, {alices: 1, bobs: 1}, "when alice is in "
                  "one room, on process 1, and bob in another, on process 2")
    killed.stop(signal.SIGKILL)  # no goodbye: bob's entry stays in Redis
    expect_listed(own_stack, room, {alices: 1}, "once process 2, bob's, has "
                  "been killed: the people of a killed process must not "
                  "count (count present_entries(room), which leaves them "
                  "out, not the entries in Redis)",
                  timeout=LEAVE_TIMEOUT, processes=[alive])


def test_the_start_page_works_while_redis_is_down(own_stack):
    own_stack.redis.stop(signal.SIGKILL)
    for number, process in enumerate(own_stack.workers, 1):
        response = requests.get(process.url + "/", timeout=5)
        assert response.status_code == 200, (
            f"while Redis cannot be reached, the start page of chat process "
            f"{number} should still work, without its list of rooms: it "
            f"answered {response.status_code}. Catch redis.RedisError "
            "around the list")
        assert StartPage(response.text).room_field is not None, (
            "while Redis cannot be reached, the start page should still "
            "have its form, with the room field")
