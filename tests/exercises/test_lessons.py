"""The lesson structure (docs/lessons.yml, tutorial/lessons.py): every
tutorial page has its questions, objectives, time and key points, the home
page's schedule lists every lesson, and every exercise is complete: a
solution folder, a base checkpoint, a page, a test file."""
import re

import pytest
import yaml

from tutorial import chain
from tutorial import lessons as hook
from tutorial.chain import REPO, exercises_by_id

EXERCISES = exercises_by_id()

DOCS = REPO / "docs"
MIN_EXERCISES = 8


LESSONS, _ = hook.load()


def nav_pages():
    """Every page in mkdocs.yml's navigation."""
    config = (REPO / "mkdocs.yml").read_text()
    return set(re.findall(r":\s*([\w./-]+\.md)\s*$", config, re.M))


def tutorial_pages():
    """The tutorial's own pages: the parts and part 2's steps."""
    return sorted(page for page in nav_pages() if re.match(r"part\d", page))


@pytest.mark.parametrize("page", tutorial_pages())
def test_every_tutorial_page_opens_with_its_lesson_and_ends_with_key_points(
        page):
    text = (DOCS / page).read_text()
    lessons = [lesson for lesson in LESSONS if lesson.page == page]
    assert lessons, f"docs/lessons.yml should have a lesson for {page}"
    lesson = lessons[0]
    assert f"<!-- lesson: {lesson.id} -->" in text.split("\n## ")[0], (
        f"docs/{page} should have the line <!-- lesson: {lesson.id} --> "
        "before its first section")
    assert text.rstrip().endswith("<!-- keypoints -->"), (
        f"docs/{page} should end with the line <!-- keypoints -->")
    for field in ("questions", "objectives", "keypoints"):
        assert getattr(lesson, field), f"lesson {lesson.id} has no {field}"
    assert lesson.teaching > 0, f"lesson {lesson.id} needs its teaching time"


def test_every_lesson_is_a_page_of_the_site():
    pages = nav_pages()
    for lesson in LESSONS:
        assert lesson.page in pages, (
            f"lesson {lesson.id}'s page {lesson.page} is not in mkdocs.yml's nav")


def test_the_home_page_shows_the_schedule_of_every_lesson():
    index = (DOCS / "index.md").read_text()
    assert "<!-- schedule -->" in index, "docs/index.md should show the schedule"
    table = hook.render("<!-- schedule -->\n", "index.md", LESSONS,
                        list(EXERCISES.values()))
    for lesson in LESSONS:
        row = next((line for line in table.splitlines()
                    if f"]({lesson.page})" in line), None)
        assert row, f"the schedule should have a row for {lesson.page}"
        assert hook.duration(lesson.teaching) in row
        assert lesson.objectives[0] in row
    practice = sum(exercise.minutes for exercise in EXERCISES.values())
    assert f"**{hook.duration(practice)}**" in table, (
        "the schedule's last row should add up the exercises' minutes")


def test_the_lessons_file_is_plain_yaml_with_known_keys():
    data = yaml.safe_load((DOCS / "lessons.yml").read_text())
    for lesson in data["lessons"]:
        assert set(lesson) == set(hook.LESSON_KEYS), lesson["id"]
    for exercise in data["exercises"]:
        assert set(exercise) == set(hook.EXERCISE_KEYS), exercise["id"]


def test_there_are_enough_exercises_across_the_parts():
    parts = {chain.find(REPO, REPO / e.base).part for e in EXERCISES.values()}
    assert len(EXERCISES) >= MIN_EXERCISES and parts >= {1, 2, 3, 4}, (
        f"{len(EXERCISES)} exercises on parts {sorted(parts)}: the tutorial "
        f"should have at least {MIN_EXERCISES}, on every part")


@pytest.mark.parametrize("exercise", EXERCISES.values(), ids=EXERCISES)
def test_every_exercise_has_a_page_a_solution_and_tests(exercise):
    assert chain.find(REPO, REPO / exercise.base), (
        f"exercise {exercise.id}: its base {exercise.base} is not a checkpoint")
    assert (REPO / exercise.folder / "app.py").is_file(), (
        f"exercise {exercise.id}: {exercise.folder}/app.py is missing")
    test = REPO / exercise.test
    assert test.is_file(), f"exercise {exercise.id}: {exercise.test} is missing"
    assert f'EXERCISE = "{exercise.id}"' in test.read_text(), (
        f"{exercise.test} should say EXERCISE = \"{exercise.id}\"")
    assert exercise.page in nav_pages(), f"{exercise.page} is not in the nav"
    page = (DOCS / exercise.page).read_text()
    for line in (f"<!-- exercise: {exercise.id} -->",
                 f"<!-- check: {exercise.id} -->",
                 f"<!-- step-code: {exercise.folder} from {exercise.base} -->"):
        assert line in page, f"docs/{exercise.page} should have the line {line}"
    lesson = next(lesson for lesson in LESSONS if lesson.id == exercise.lesson)
    assert exercise.base in (DOCS / lesson.page).read_text(), (
        f"exercise {exercise.id} builds on {exercise.base}, which its lesson's "
        f"page, {lesson.page}, should be about")
