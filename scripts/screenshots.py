"""Take the docs site's pictures from the real part2 chat, in Debian's Chromium.

    .venv/bin/python -m scripts.screenshots [FOLDER]      (or: make screenshots)

Starts part2_chat with `python app.py` on a free port of 127.0.0.1, lets two people (two
browser contexts, so two separate cookie jars) join a room and talk, and writes into FOLDER
(else $SCREENSHOTS_DIR, else docs/images/):

- start-page.png: the form of NO:1, filled in;
- two-users.png: both chat pages side by side after a short conversation;
- chat.gif: the same conversation as an animation, from the first join to a leave.

The pages may reach nothing but the chat server: any other address is refused, so the
pictures also prove that the chat works offline.
"""
import io
import os
import re
import secrets
import sys
from pathlib import Path

from PIL import Image, ImageOps
from playwright.sync_api import expect, sync_playwright

from harness.servers import Server  # starts and stops the server
from tutorial.chain import REPO

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Headless, and kept off the network: no updates, sync, first-run pages or QUIC probes.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
VIEWPORT = {"width": 480, "height": 360}
GAP = 12  # pixels between the two browsers in two-users.png and chat.gif
BACKGROUND = (226, 232, 240)
FRAME = (148, 163, 184)  # a thin line around each browser, so it stands out on the page
GIF_COLOURS = 64
TIMEOUT_MS = 10_000
ROOM = "maths"

# The conversation: who says what, in order.
CONVERSATION = [
    ("Alice", "Hi Bob! Did you get question 3?"),
    ("Bob", "Not yet. Is it the one about <rooms>?"),
    ("Alice", "Yes: emit to the room, not to everybody."),
    ("Bob", "Got it, thanks!"),
]


def output_folder(argv):
    folder = Path(argv[1] if len(argv) > 1 else
                  os.environ.get("SCREENSHOTS_DIR") or REPO / "docs" / "images")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Person:
    """One person with their own browser context (cookie jar) and page."""

    def __init__(self, browser, server, name):
        self.name = name
        self.server = server
        self.context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
        self.context.set_default_timeout(TIMEOUT_MS)
        elsewhere = re.compile(rf"^(?![a-z]+://{re.escape(server.url.split('://')[1])}/)")
        self.context.route(elsewhere, lambda route: route.abort("blockedbyclient"))
        self.page = self.context.new_page()

    def open_start_page(self):
        self.page.goto(self.server.url + "/")
        self.page.get_by_label("Your name").fill(self.name)
        self.page.get_by_label("Room").fill(ROOM)

    def join(self):
        self.page.get_by_role("button", name="Join the chat").click()
        expect(self.page.locator("#status")).to_have_text("Connected")
        expect(self.page.locator("#messages li").first).to_contain_text("You joined room")

    def type(self, text):
        self.page.locator("#message_input").fill(text)

    def send(self):
        self.page.locator("#message_input").press("Enter")
        expect(self.page.locator("#message_input")).to_have_value("")

    def wait_for_line(self, text):
        expect(self.page.locator("#messages li").last).to_contain_text(text)

    def picture(self):
        shot = Image.open(io.BytesIO(self.page.screenshot())).convert("RGB")
        return ImageOps.expand(shot, border=1, fill=FRAME)


def side_by_side(left, right):
    width = left.width + GAP + right.width
    picture = Image.new("RGB", (width, max(left.height, right.height)), BACKGROUND)
    picture.paste(left, (0, 0))
    picture.paste(right, (left.width + GAP, 0))
    return picture


def save_png(picture, path):
    picture.save(path, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB)")


def save_gif(frames, path):
    """`frames` is a list of (picture, milliseconds); one shared palette keeps it small."""
    palette = frames[-1][0].quantize(GIF_COLOURS, method=Image.Quantize.MEDIANCUT)
    pictures = [picture.quantize(palette=palette, dither=Image.Dither.NONE)
                for picture, _ in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:],
                     duration=[ms for _, ms in frames], loop=0, optimize=True)
    print(f"wrote {path} ({path.stat().st_size // 1024} KB, {len(frames)} frames)")


def take_pictures(browser, server, folder):
    alice = Person(browser, server, "Alice")
    bob = Person(browser, server, "Bob")
    frames = []

    def frame(ms=1200):
        frames.append((side_by_side(alice.picture(), bob.picture()), ms))

    # NO:1: the start page, filled in.
    alice.open_start_page()
    save_png(alice.picture(), folder / "start-page.png")

    # Alice is in the room; Bob is still on the start page.
    alice.join()
    bob.open_start_page()
    frame(1500)
    # NO:4 and NO:5: Bob joins, and Alice is told.
    bob.join()
    alice.wait_for_line("Bob has joined the room")
    frame(1500)
    # NO:6, NO:7 and NO:8: each message is typed, sent, and shown on both pages.
    people = {"Alice": alice, "Bob": bob}
    for name, text in CONVERSATION:
        person = people[name]
        person.type(text)
        frame(900)
        person.send()
        for reader in (alice, bob):
            reader.wait_for_line(text)
        frame(1400)
    save_png(side_by_side(alice.picture(), bob.picture()), folder / "two-users.png")

    # NO:9, NO:10 and NO:11: Bob leaves, and Alice is told.
    bob.page.get_by_role("button", name="Leave").click()
    expect(bob.page.get_by_role("button", name="Join the chat")).to_be_visible()
    alice.wait_for_line("Bob has left the room")
    frame(2500)
    save_gif(frames, folder / "chat.gif")


def main(argv):
    folder = output_folder(argv)
    server = Server("python app.py", cwd=REPO / "part2_chat",
                    env={"SECRET_KEY": secrets.token_hex(16), "FLASK_DEBUG": None})
    try:
        server.wait_until_serving()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                take_pictures(browser, server, folder)
            finally:
                browser.close()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
