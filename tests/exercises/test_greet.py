"""Exercise "Greet by name" (docs/exercises-part1.md): /hello/<name> greets
the name from the address, shown as text, and refuses a name that is too
long with a reason."""
from collections import Counter

import pytest

from exercise_checks import Text

EXERCISE = "greet"
MAX_NAME_LENGTH = 32


def greeting(name):
    return " ".join(f"Hello, {name}!".split())


def made_into_elements(page, plain):
    """The elements of `page` that the page for a plain name has not: those
    the name became."""
    return sorted((Counter(page.tags) - Counter(plain.tags)).elements())


def test_hello_greets_the_name(client):
    response = client.get("/hello/Ada")
    assert response.status_code == 200, (
        f"/hello/Ada should open with status 200: it answered "
        f"{response.status_code}. Add @app.route(\"/hello/<name>\")")
    page = Text(response.get_data(as_text=True))
    assert greeting("Ada") in page.text, (
        "/hello/Ada should show 'Hello, Ada!' on the page (plain text, or in "
        f"the body of an HTML page): the browser shows {page.text!r}")


@pytest.mark.parametrize("name", [
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
    plain = Text(client.get("/hello/Ada").get_data(as_text=True))
    extra = made_into_elements(page, plain)
    assert not extra, (
        f"/hello/{name} should show the name as text, but the browser would "
        f"make it into HTML elements {extra}: escape the name "
        "(markupsafe.escape, or {{ name }} in a template)")
    assert greeting(name) in page.text, (
        f"/hello/{name} should show 'Hello, {name}!' on the page, every "
        f"character of the name as typed: the browser shows {page.text!r}")


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
