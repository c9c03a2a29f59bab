"""The start page (templates/index.html) in Chromium: the form, and what a refusal looks like."""
import re

import pytest
from playwright.sync_api import expect


# Part 4's steps change the server behind the page, which the real-server
# chat tests and tests/test_part4_scale.py check on every step; here the
# finished part 4 is enough.
pytestmark = [pytest.mark.step(1), pytest.mark.only_finished(part=4)]


def test_the_form_takes_you_to_the_chat_page(visitor, room):
    alice = visitor("alice", room)
    expect(alice.page.locator("h1"), "the chat page's heading should name the room"
           ).to_have_text(f"Room: {room}")
    expect(alice.page.locator("main strong").first, "the chat page should say who you are, "
           "in <strong>").to_have_text("alice")


@pytest.mark.parametrize(("username", "room", "message"), [
    ("   ", "lobby", "Please enter a username."),
    ("alice", "   ", "Please enter a room."),
    ("", "lobby", "Please enter a username."),
    ("a" * 33, "lobby", "The username can be at most 32 characters long."),
    ("alice", "r" * 65, "The room can be at most 64 characters long."),
], ids=["blank name", "blank room", "no name", "long name", "long room"])
def test_invalid_input_comes_back_with_a_reason(visitor, server, part2_step, username,
                                                room, message):
    person = visitor().open_start_page()
    # The form's own `required` and `maxlength` stop most of these in a browser; switch them
    # off, as an old browser or a hand-edited link would, to see the server's answer.
    person.page.locator("form").evaluate(
        "form => { form.noValidate = true;"
        " form.querySelectorAll('input').forEach(i => i.removeAttribute('maxlength')); }")
    person.fill_form(username, room)
    # From step 5 the address carries the room back: /?room=lobby.
    expect(person.page, "a refused form should come back to the start page"
           ).to_have_url(re.compile(rf"^{re.escape(server.url)}/(\?room=[^&]*)?$"))
    if part2_step >= 5:
        expect(person.page.get_by_label("Room"), "the room field should still hold the "
               "room as typed").to_have_value(room)
    expect(person.page.get_by_role("alert"), "the start page should show the reason, with "
           'role="alert"').to_have_text(message)
    expect(person.page.get_by_role("button", name="Join the chat"),
           "the form should be there to try again").to_be_visible()


def test_the_form_itself_keeps_to_the_servers_limits(visitor, server):
    person = visitor().open_start_page()
    person.page.get_by_label("Your name").fill("a" * 40)
    person.page.get_by_label("Room").fill("r" * 70)
    expect(person.page.get_by_label("Your name"), "the name field should stop at 32 "
           'characters, maxlength="32"').to_have_value("a" * 32)
    expect(person.page.get_by_label("Room"), "the room field should stop at 64 "
           'characters, maxlength="64"').to_have_value("r" * 64)
    # A blank name is caught before anything is sent.
    person.page.get_by_label("Your name").fill("")
    person.page.get_by_role("button", name="Join the chat").click()
    expect(person.page, "a blank name should not leave the start page"
           ).to_have_url(server.url + "/")
    assert person.page.get_by_label("Your name").evaluate(
        "input => input.validity.valueMissing"), "the name field should be required"


def test_the_pages_need_nothing_from_another_host(visitor, room):
    alice = visitor("alice", room)
    origins = alice.page.evaluate(
        "performance.getEntriesByType('resource').map(entry => new URL(entry.name).origin)")
    assert set(origins) == {alice.server.url}, (
        f"the pages should load everything from the chat's own server: they loaded from "
        f"{sorted(set(origins))}")
    assert alice.blocked == [], f"the pages asked for other hosts: {alice.blocked}"


def test_a_request_to_another_host_is_refused_and_recorded(visitor, server):
    # From a blank page: from step 5 on, the chat's pages carry a Content-Security-Policy
    # that refuses these requests before the browser context's router would see them.
    person = visitor()
    outcome = person.page.evaluate("""() => Promise.all([
        fetch('https://cdn.example.com/socket.io.min.js').then(() => 'loaded', () => 'refused'),
        new Promise(done => {
            const ws = new WebSocket('wss://cdn.example.com/socket');
            ws.onopen = () => done('open');
            ws.onclose = () => done('refused');
        }),
    ])""")
    assert outcome == ["refused", "refused"], (
        f"the browser should be kept off other hosts: a fetch and a WebSocket were {outcome}")
    assert sorted(person.blocked) == ["https://cdn.example.com/socket.io.min.js",
                                      "wss://cdn.example.com/socket"], person.blocked
    person.blocked.clear()  # this test made those requests on purpose
