"""Exercise "Greet by name" (docs/exercises-part1.md): /hello/<name> greets
the name from the address, shown as text, and refuses a name that is too
long with a reason."""
from html.parser import HTMLParser

import pytest

EXERCISE = "greet"
MAX_NAME_LENGTH = 32


class Text(HTMLParser):
    """The text of a page as a browser shows it, and its elements."""

    def __init__(self, page):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = "", []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text += data


@pytest.mark.parametrize("name", [
    "Ada",
    "Grace Hopper",
    "O'Brien & \"Co\"",
    "<img src=x onerror=alert(1)>",
    "<b>bold",
])
def test_hello_greets_the_name_as_text(client, name):
    response = client.get(f"/hello/{name}")
    assert response.status_code == 200, (
        f"/hello/{name} should open with status 200: it answered "
        f"{response.status_code}. Add @app.route(\"/hello/<name>\")")
    page = Text(response.get_data(as_text=True))
    assert page.text == f"Hello, {name}!", (
        f"/hello/{name} should show exactly 'Hello, {name}!' in the browser: "
        f"it shows {page.text!r}")
    assert not page.tags, (
        f"/hello/{name} should show the name as text, but the browser would "
        f"make it into HTML elements {page.tags}: escape the name "
        "(markupsafe.escape, or {{ name }} in a template)")


def test_the_longest_name_is_greeted(client):
    name = "x" * MAX_NAME_LENGTH
    response = client.get(f"/hello/{name}")
    assert response.status_code == 200 and name in response.get_data(
        as_text=True), f"a name of {MAX_NAME_LENGTH} characters should be greeted"


def test_a_name_that_is_too_long_is_refused_with_a_reason(client):
    response = client.get("/hello/" + "x" * (MAX_NAME_LENGTH + 1))
    text = Text(response.get_data(as_text=True)).text
    assert response.status_code == 400, (
        f"a name longer than {MAX_NAME_LENGTH} characters should be refused "
        f"with status 400 (Bad Request): it answered {response.status_code}")
    assert str(MAX_NAME_LENGTH) in text, (
        f"the refusal should say the limit, {MAX_NAME_LENGTH} characters: it "
        f"says {text!r}")


def test_the_home_page_still_says_hello_world(client):
    assert client.get("/").get_data(as_text=True) == "Hello World", (
        "/ should still say exactly Hello World")
