"""Every step's page ends with "Check it": the one command that checks a
learner's own copy at that step, in the same form on every page
(tutorial/check_it.py). Read from the built pages, and run as printed."""
import html
import os
import re
import shlex
import shutil
import subprocess

import pytest

from tutorial import chain
from tutorial.chain import REPO

CHECK = re.compile(r"^\.venv/bin/python -m tutorial check (\S+) (\S+)$", re.M)
PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S)
TAG = re.compile(r"<[^>]+>")


def commands(site):
    """{page: [the check commands in its code blocks]}, as a reader sees
    them (highlighting and tags removed)."""
    found = {}
    for page in sorted(site.glob("*.html")):
        blocks = [html.unescape(TAG.sub("", block))
                  for block in PRE.findall(page.read_text())]
        lines = [m[0] for block in blocks for m in CHECK.finditer(block)]
        if lines:
            found[page.name] = lines
    return found


@pytest.fixture(scope="module")
def printed(built_site):
    return commands(built_site)


def test_every_step_from_part_2_on_has_one_check_it_on_its_pages(printed):
    steps = [c for c in chain.checkpoints(REPO) if c.part >= 2]
    named = [chain.named(REPO, CHECK.match(line)[2]).name
             for lines in printed.values() for line in lines]
    missing = [c.name for c in steps if c.name not in named]
    assert not missing, f"no page has a Check it for {missing}"


def test_every_check_it_uses_the_same_copy_and_a_step_the_pages_name(printed):
    for page, lines in printed.items():
        for line in lines:
            copy, step = CHECK.match(line).groups()
            assert copy == "~/my-chat", f"{page}: {line} (use ~/my-chat)"
            assert chain.step_name(chain.named(REPO, step)) == step, (
                f"{page}: --step {step} is not how the pages name the step")


def test_no_page_names_another_copy_folder(built_site):
    other = [page.name for page in built_site.glob("*.html")
             if "../my-chat" in page.read_text()]
    assert not other, f"{other} use ../my-chat: every page uses ~/my-chat"


def run_as_printed(line, home):
    """The command as a learner runs it, from the repository folder, with
    ~ standing for `home`."""
    return subprocess.run(
        shlex.split(line.replace("~/", f"{home}/")), cwd=REPO,
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "HOME": str(home), "COLUMNS": "200"})


def test_step_1s_check_passes_a_faithful_copy_and_fails_one_behind(
        printed, tmp_path):
    line = printed["part2-1-pages.html"][0]
    faithful = run_as_printed(
        line, shutil.copytree(REPO / "part2_chat" / "steps" / "1_pages",
                              tmp_path / "my-chat").parent)
    assert faithful.returncode == 0, faithful.stdout[-3000:]
    assert re.search(r"(\d+) of \1 checks pass", faithful.stdout)
    shutil.rmtree(tmp_path / "my-chat")
    behind = run_as_printed(
        line, shutil.copytree(REPO / "part1_hello", tmp_path / "my-chat").parent)
    assert behind.returncode == 1, behind.stdout[-3000:]
    assert "The first that fails" in behind.stdout, behind.stdout[-3000:]


RUN_IT = re.compile(r"^(SECRET_KEY=\S+ )?make run PART=part\S+$", re.M)


def test_check_it_runs_a_copy_as_the_pages_run_it_says(built_site):
    """A page whose "Run it" sets SECRET_KEY (several processes behind nginx share one)
    says the same in its Check it, for the learner's copy."""
    for page in sorted(built_site.glob("*.html")):
        text = html.unescape(TAG.sub("", page.read_text()))
        keyed = {bool(m[1]) for m in RUN_IT.finditer(text)}
        if True in keyed:
            assert "SECRET_KEY=pick-a-long-random-string make run PART=~/my-chat" in text, (
                f"{page.name}: Run it sets SECRET_KEY; Check it should too "
                "(tutorial/check_it.py run_command)")
