"""Exercise "The time of each message" (docs/exercises-part2.md): the server
adds the time it relayed a message, and each page shows it in its reader's
own time zone."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from chat.expect import OK, ask, expect_answer, received
from exercise_checks import two_people_chat

EXERCISE = "timestamps"
SLACK = timedelta(seconds=2)  # between the test's clock and the server's


def send(sio, text, **extra):
    return ask(sio, "send_message", {"username": "alice", "room": "r",
                                     "message": text, **extra})


def time_of(payload, who):
    """The payload's "time", checked: ISO 8601 with its time zone."""
    assert isinstance(payload, dict) and "time" in payload, (
        f"the receive_message that {who} got should carry the time the "
        f"server relayed it, as \"time\": it is {payload!r}")
    try:
        sent = datetime.fromisoformat(payload["time"])
    except (TypeError, ValueError):
        sent = None
    assert sent is not None and sent.tzinfo is not None, (
        "the time should be ISO 8601 text with its time zone, such as "
        "datetime.now(UTC).isoformat(): it is "
        f"{payload['time']!r}")
    return sent


def message_received(sio, who):
    got = received(sio, "receive_message", who=who)
    assert len(got) == 1, f"{who} should receive the message once: got {got}"
    return got[0][1]


def test_every_message_carries_the_servers_time(login):
    alice, bob = login("alice", "r"), login("bob", "r")
    before = datetime.now(UTC)
    expect_answer(send(alice, "hello"), OK, "send_message")
    after = datetime.now(UTC)
    for sio, who in ((alice, "alice"), (bob, "bob")):
        sent = time_of(message_received(sio, who), who)
        assert before - SLACK <= sent <= after + SLACK, (
            f"the time should be the server's clock when it relayed the "
            f"message, between {before} and {after}: it is {sent}")


def test_the_other_fields_are_as_before(login):
    alice, bob = login("alice", "r"), login("bob", "r")
    expect_answer(send(alice, "hello"), OK, "send_message")
    data = message_received(bob, "bob")
    before = {"username": "alice", "room": "r", "message": "hello"}
    kept = {name: data.get(name) for name in before}
    assert kept == before, (
        "receive_message should keep its fields as they were, "
        f"{before}, and add \"time\": bob got {data}")


def test_the_sender_cannot_choose_the_time(login):
    alice, bob = login("alice", "r"), login("bob", "r")
    expect_answer(send(alice, "from the past",
                       time="2000-01-01T00:00:00+00:00"), OK, "send_message")
    sent = time_of(message_received(bob, "bob"), "bob")
    assert abs(sent - datetime.now(UTC)) < SLACK, (
        "the time should come from the server's clock, never from the "
        f"sender's payload: alice said 2000, and bob got {sent}")


def test_two_people_still_chat(chat_user, room):
    two_people_chat(chat_user, room)


def test_each_reader_sees_the_time_in_their_own_time_zone(
        chat_page, chat_user, room):
    alice = chat_user("alice", room)
    zones = {"bob": "Asia/Tokyo", "carol": "America/New_York"}
    pages = {name: chat_page(name, room, timezone_id=zone, locale="en-GB")
             for name, zone in zones.items()}
    for name in zones:
        alice.wait_for("join_room_announcement", username=name)
    expect_answer(alice.send("what time is it?"), OK, "send_message")
    payload = alice.wait_for("receive_message",
                             message="what time is it?")[-1][1]
    sent = time_of(payload, "alice")
    for name, zone in zones.items():
        local = sent.astimezone(ZoneInfo(zone)).strftime("%H:%M")
        expect(pages[name].locator("#messages li").filter(
            has_text="what time is it?"),
            f"{name}'s page, in {zone}, should show the message with the "
            f"time in {zone}, {local} (hours:minutes): turn the server's "
            "time into the reader's with new Date(...)."
            "toLocaleTimeString()").to_contain_text(local)
