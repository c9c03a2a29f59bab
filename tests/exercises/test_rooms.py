"""Exercise "Which rooms are busy" (docs/exercises-part4.md): the start page
of every process lists the rooms with people in them, and how many, from
what the processes share in Redis."""
import time
from html.parser import HTMLParser

import requests

from exercise_checks import two_people_chat

EXERCISE = "rooms"
TRICKY_ROOM = "<b>loud</b> & co"


class StartPage(HTMLParser):
    """The texts of the <li> items of <ul id="rooms">, and the values of
    the <option>s of the room field's <datalist>."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.rooms, self.options, self.in_list, self.item = [], [], False, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "ul" and attrs.get("id") == "rooms":
            self.in_list = True
        elif tag == "li" and self.in_list:
            self.item = ""
        elif tag == "option":
            self.options.append(attrs.get("value"))

    def handle_endtag(self, tag):
        if tag == "li" and self.item is not None:
            self.rooms.append(" ".join(self.item.split()))
            self.item = None
        elif tag == "ul":
            self.in_list = False

    def handle_data(self, data):
        if self.item is not None:
            self.item += data


def start_page(process):
    response = requests.get(process.url + "/", timeout=5)
    assert response.status_code == 200, (
        f"the start page of {process.url} answered {response.status_code}")
    return StartPage(response.text)


def expect_listed(server, prefix, wanted, why, timeout=5):
    """Every chat process lists exactly `wanted` {room: count} among the
    rooms whose names start with `prefix`, within `timeout` seconds (a
    closed page leaves as soon as its process notices)."""
    deadline = time.monotonic() + timeout
    for number, process in enumerate(server.workers, 1):
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
    assert room in page.options, (
        "the room field should suggest the busy rooms: <input id=\"room\" "
        "list=\"...\"> and a <datalist> with an <option value=\"...\"> for "
        f"each; the options are {page.options}")


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
