"""Exercise "Who is here" (docs/exercises-part2.md): every join and leave
announcement carries the room's new list of members, and the page keeps a
list of who is here from them."""
from playwright.sync_api import expect

from chat.expect import ask, expect_events, received
from exercise_checks import two_people_chat

EXERCISE = "members"
TRICKY_NAME = "<b>Bob</b> & co"


def expect_announcement(sio, event, username, room, members, why):
    expect_events(received(sio, who="alice"),
                  [(event, {"username": username, "room": room,
                            "members": members})],
                  f"{why}, with the room's new list of members, sorted, as "
                  '"members"')


def test_a_join_announcement_lists_everybody_now_here(login, room):
    alice = login("alice", room)
    login("carol", room + "-other")
    login("bob", room)
    expect_announcement(alice, "join_room_announcement", "bob", room,
                        ["alice", "bob"], "alice should hear that bob joined")


def test_the_list_is_sorted(login, room):
    login("zoe", room)
    alice = login("alice", room)
    login("bob", room)
    expect_announcement(alice, "join_room_announcement", "bob", room,
                        ["alice", "bob", "zoe"], "alice should hear that bob "
                        "joined after zoe and her (the list sorted by name, "
                        "as members_of(room) gives it, not in joining order)")


def test_a_leave_announcement_lists_who_is_still_here(login, room):
    alice, bob = login("alice", room), login("bob", room)
    login("carol", room)
    alice.get_received()
    ask(bob, "leave_room", {"username": "bob", "room": room})
    expect_announcement(alice, "leave_room_announcement", "bob", room,
                        ["alice", "carol"], "alice should hear that bob left")


def test_closing_the_page_updates_the_list_too(login, room):
    alice, bob = login("alice", room), login("bob", room)
    alice.get_received()
    bob.disconnect()
    expect_announcement(alice, "leave_room_announcement", "bob", room,
                        ["alice"], "alice should hear that bob's page closed")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_the_page_shows_who_is_here_as_it_changes(chat_page, chat_user, room):
    page = chat_page("alice", room)
    names = page.locator("#members li")
    expect(names, "alice's page should list who is here, one <li> per "
           'name in <ul id="members">, from the answer to join_room'
           ).to_have_text(["alice"])
    bob = chat_user(TRICKY_NAME, room)
    expect(names, "alice's list should gain the newcomer, named as text, "
           "when the join announcement arrives").to_have_text(
        ["<b>Bob</b> & co", "alice"])
    bob.leave()
    expect(names, "alice's list should lose bob when the leave "
           "announcement arrives").to_have_text(["alice"])
