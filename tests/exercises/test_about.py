"""Exercise "A second page, from a template" (docs/exercises-part1.md):
/about is made from templates/about.html, with a title, a heading, a
sentence about the app and a link home, and / still says Hello World."""
import flask
import requests

from chat.expect import elements, find_element, page_of
from exercise_checks import Text
from harness.servers import Server

EXERCISE = "about"


def rendered(app_module, path):
    """The response to GET `path`, and the templates rendered to make it."""
    templates = []

    def record(sender, template, context, **extra):
        templates.append(template.name)

    flask.template_rendered.connect(record, app_module.app)
    try:
        response = app_module.app.test_client().get(path)
    finally:
        flask.template_rendered.disconnect(record, app_module.app)
    return response, templates


def test_about_is_a_page_made_from_a_template(app_module, solution):
    response, templates = rendered(app_module, "/about")
    page_of(response, "/about (add a view with @app.route(\"/about\"))")
    assert templates, (
        "/about should be made from a template: the view should return "
        "render_template(\"about.html\", ...), but no template was rendered")
    assert (solution / "templates" / templates[0]).is_file(), (
        f"the template {templates[0]} should be a file in templates/")
    assert response.mimetype == "text/html", (
        f"/about should be an HTML page: it is {response.mimetype}")


def test_about_has_a_title_a_heading_and_a_link_home(app_module):
    page = page_of(app_module.app.test_client().get("/about"), "/about")
    for tag in ("title", "h1"):
        assert elements(page, tag), f"the page should have a <{tag}>"
    find_element(page, "a", "a link back to the home page", href="/")


class Prose(Text):
    """The text the page shows besides its heading and its links."""

    HIDDEN = Text.HIDDEN | {"h1", "a"}


def test_about_says_something_about_the_app(app_module):
    page = page_of(app_module.app.test_client().get("/about"), "/about")
    prose = Prose(page).text
    assert len(prose.split()) >= 3, (
        "/about should have a sentence about the app, besides its heading "
        f"and the link home (a <p>, say): it shows {prose!r} besides them")


def test_the_home_page_still_says_hello_world(app_module):
    response = app_module.app.test_client().get("/")
    assert response.get_data(as_text=True) == "Hello World", (
        "/ should still say exactly Hello World: the exercise adds a page "
        "and changes nothing else")


def test_python_app_py_serves_both_pages(solution):
    server = Server("python app.py", cwd=solution)
    try:
        server.wait_until_serving()
        for path in ("/", "/about"):
            response = requests.get(server.url + path, timeout=5)
            assert response.status_code == 200, (
                f"python app.py should serve {path}: it answered "
                f"{response.status_code}")
    finally:
        server.close()
