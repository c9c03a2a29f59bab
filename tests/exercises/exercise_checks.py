"""What the exercises' tests share: importing a solution's app, and the
base step's chat, still working."""
from harness.apps import import_app as _import_app
from chat.expect import OK, LearnerClient, expect_answer


def import_app(folder):
    """`folder`/app.py, freshly imported, with the test client that turns
    a crash into a sentence."""
    return _import_app(folder, LearnerClient)


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
