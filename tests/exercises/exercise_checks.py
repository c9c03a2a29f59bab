"""What the exercises' tests share: importing a solution's app, the text a
browser shows of a page, and the base step's chat, still working."""
from html.parser import HTMLParser

from harness.apps import import_app as _import_app
from chat.expect import OK, LearnerClient, expect_answer

# The environment variable that sets how many seconds a check waits for a
# page to show what it should (conftest.py).
PAGE_WAIT = "CHECK_PAGE_WAIT_SECONDS"


def import_app(folder):
    """`folder`/app.py, freshly imported, with the test client that turns
    a crash into a sentence."""
    return _import_app(folder, LearnerClient)


def expect_refused_on_purpose(answer, event):
    """`answer`, a refusal, is the handler's own, not the error handler's
    answer to a crash (step 5's "Something went wrong on the server")."""
    assert "went wrong" not in answer["error"], (
        f"{event} before join_room should be refused on purpose, with a "
        "reason such as 'Join a room before ...': the handler crashed and "
        f"the server answered {answer['error']!r}. Check that the sender "
        "has joined (members.get(request.sid)) first")


def two_people_chat(chat_user, room):
    """Alice and Bob join `room` on the real server and say hello, as in the
    step the exercise builds on: the exercise broke nothing of it. Returns
    them, with what they received so far consumed."""
    alice = chat_user("alice", room)
    bob = chat_user("bob", room)
    alice.wait_for("join_room_announcement", username="bob")
    expect_answer(alice.send("hi bob"), OK, "send_message from alice",
                  "The exercise should leave sending as it was.")
    for user in (alice, bob):
        user.wait_for("receive_message", username="alice", message="hi bob")
    return alice, bob


class Text(HTMLParser):
    """The text of a page as a browser shows it in the window (not the
    <title>, nor scripts and styles), its runs of white space as one space,
    and its elements."""

    HIDDEN = {"title", "script", "style", "template"}  # text not shown

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.parts, self.tags, self.hidden = [], [], []
        self.feed(page)
        self.close()
        self.text = " ".join("".join(self.parts).split())

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in self.HIDDEN:
            self.hidden.append(tag)

    def handle_endtag(self, tag):
        if tag in self.hidden:
            self.hidden.remove(tag)

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)
