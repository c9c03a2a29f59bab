"""`pytest tests/exercises/test_<name>.py --checkpoint FOLDER` checks a
learner's answer: a copy of the solution passes, and a copy of the step it
starts from fails, saying in words what is missing."""
import pytest

from harness.copies import copy_of, replaced, run_check
from tutorial.chain import exercises_by_id

EXERCISES = exercises_by_id()

# (exercise, -k selection, what a failure on the bare base step must say)
CASES = [
    pytest.param("greet", "greets", 'Add @app.route("/hello/<name>")',
                 id="greet"),
    pytest.param("typing", "flood or someone_else",
                 "typing events at once should reach bob once",
                 id="typing"),
]


def check(exercise, folder, select):
    return run_check(exercise.test, folder, "-k", select, "-q",
                     "--keep-going",  # every failure's sentence
                     timeout=120)


@pytest.mark.parametrize(("name", "select", "missing"), CASES)
def test_a_copy_of_the_solution_passes_and_the_base_step_fails(
        tmp_path, name, select, missing):
    exercise = EXERCISES[name]
    answer = copy_of(exercise.folder, tmp_path)
    passed = check(exercise, answer, select)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    base = copy_of(exercise.base, tmp_path, "my-step")
    failed = check(exercise, base, select)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert missing in failed.stdout, failed.stdout


# Any correct answer to "Greet by name" passes, not only the solution's plain text: here a
# whole HTML page from a template (as hint 2 suggests), with a <title> and white space
# around the greeting. The same page with another greeting, or with the name let through
# as HTML, fails saying so.
HELLO_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Greetings</title>
</head>
<body>
  <h1>
    {greeting}
  </h1>
  <p>Welcome to the site.</p>
</body>
</html>
"""
GREET_ANSWERS = [
    pytest.param("Hello, {{ name }}!", None, id="a whole HTML page passes"),
    pytest.param("Hi, {{ name }}!", "/hello/Ada should show 'Hello, Ada!' on the page",
                 id="another greeting fails"),
    pytest.param("Hello, {{ name|safe }}!",
                 "should show the name as text, but the browser would make it into HTML "
                 "elements ['img']", id="a name let through as HTML fails"),
]


@pytest.mark.parametrize(("greeting", "missing"), GREET_ANSWERS)
def test_greet_checks_the_page_the_browser_shows(tmp_path, greeting, missing):
    exercise = EXERCISES["greet"]
    answer = copy_of(exercise.folder, tmp_path, "my-hello")
    (answer / "templates").mkdir()
    (answer / "templates" / "hello.html").write_text(
        HELLO_PAGE.format(greeting=greeting))
    replaced(answer / "app.py", '    return f"Hello, {escape(name)}!"\n',
             '    return render_template("hello.html", name=name)\n')
    replaced(answer / "app.py", "from flask import Flask\n",
             "from flask import Flask, render_template\n")
    result = check(exercise, answer, "greets")
    if missing is None:
        assert result.returncode == 0, result.stdout + result.stderr
    else:
        assert result.returncode == 1, result.stdout + result.stderr
        assert missing in result.stdout, result.stdout
