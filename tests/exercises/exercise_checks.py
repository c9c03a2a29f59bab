"""What the exercises' tests share: importing a solution's app, and the
base step's chat, still working."""
from chat.expect import OK, LearnerClient, expect_answer
from checkpoints import load_app_module


def import_app(folder):
    """`folder`/app.py, freshly imported, with the test client that turns
    a crash into a sentence."""
    try:
        module = load_app_module(folder)
    except Exception as error:
        raise AssertionError(f"importing {folder / 'app.py'} failed with "
                             f"{type(error).__name__}: {error}") from error
    assert hasattr(module, "app"), (
        f"{folder / 'app.py'} should create `app = Flask(__name__)`")
    module.app.config["TESTING"] = True
    module.app.test_client_class = LearnerClient
    return module


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
