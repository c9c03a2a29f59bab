"""Every tutorial page's lesson structure, from docs/lessons.yml.

docs/lessons.yml holds, for each tutorial page, the questions it answers, what a learner
can do after it (objectives), its teaching time and its key points, and the exercises,
each attached to the lesson it starts from. These lines of a page (each a line of its own)
become:

- `<!-- lesson: ID -->`: a box with the questions, the objectives and the time (teaching,
  plus the minutes of the lesson's exercises). It is shown right under the page's title,
  also when the title comes from an included file (part3.md includes part3_deploy's
  README.md), so the line goes at the top of the page.
- `<!-- keypoints -->`, at the end of the same page: the key points, then links to the
  lesson's exercises.
- `<!-- schedule -->` (docs/index.md): the whole schedule as a table, built from the same
  data, so it cannot drift from the pages.
- `<!-- exercises -->` (docs/exercises.md): a table of every exercise.
- `<!-- exercise: ID -->` (an exercise page): the exercise's heading, what it builds on, its
  time and its solution folder; `<!-- check: ID -->`: the command that checks a learner's
  answer with the exercise's tests.

A placeholder that names nothing in docs/lessons.yml, or a lesson on the wrong page, stops
the build. The tests read the exercises from here too (`load()`).
"""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tutorial.markdown import indent

if TYPE_CHECKING:  # for the hooks' annotations: importing this needs no MkDocs
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

DATA = Path(__file__).resolve().parent.parent / "docs" / "lessons.yml"
LESSON = re.compile(r"^<!--\s*lesson:\s*(?P<id>[\w-]+)\s*-->[ \t]*$", re.M)
KEYPOINTS = re.compile(r"^<!--\s*keypoints\s*-->[ \t]*$", re.M)
SCHEDULE = re.compile(r"^<!--\s*schedule\s*-->[ \t]*$", re.M)
EXERCISES = re.compile(r"^<!--\s*exercises\s*-->[ \t]*$", re.M)
EXERCISE = re.compile(r"^<!--\s*exercise:\s*(?P<id>[\w-]+)\s*-->[ \t]*$", re.M)
CHECK = re.compile(r"^<!--\s*check:\s*(?P<id>[\w-]+)\s*-->[ \t]*$", re.M)
# Around the box in the HTML, so on_page_content can move it under the title.
BOX_START, BOX_END = "<!-- lesson-box -->", "<!-- /lesson-box -->"
LESSON_KEYS = ("id", "page", "title", "teaching", "questions", "objectives",
               "keypoints")
EXERCISE_KEYS = ("id", "title", "lesson", "page", "folder", "base", "test",
                 "minutes")


class LessonError(Exception):
    """docs/lessons.yml, or a placeholder, names something that is not there."""


@dataclass(frozen=True)
class Lesson:
    id: str
    page: str
    title: str
    teaching: int
    questions: tuple
    objectives: tuple
    keypoints: tuple


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    lesson: str  # the id of the lesson it starts from
    page: str
    folder: str  # the solution, below the repository
    base: str  # the checkpoint folder it starts from
    test: str
    minutes: int


def load(path: str | Path = DATA) -> tuple[list[Lesson], list[Exercise]]:
    """(lessons, exercises) from docs/lessons.yml, checked for missing keys,
    repeated ids and exercises of unknown lessons."""
    import yaml
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    lessons = [_record(Lesson, LESSON_KEYS, entry, "lesson")
               for entry in data.get("lessons") or []]
    exercises = [_record(Exercise, EXERCISE_KEYS, entry, "exercise")
                 for entry in data.get("exercises") or []]
    for kind, records in (("lesson", lessons), ("exercise", exercises)):
        ids = [record.id for record in records]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise LessonError(f"{path}: more than one {kind} has the id "
                              f"{', '.join(repeated)}")
    known = {lesson.id for lesson in lessons}
    for exercise in exercises:
        if exercise.lesson not in known:
            raise LessonError(f"{path}: exercise {exercise.id} belongs to lesson "
                              f"{exercise.lesson!r}, which is not in lessons:")
    return lessons, exercises


_Record = TypeVar("_Record", Lesson, Exercise)


def _record(kind: type[_Record], keys: tuple[str, ...], entry: dict[str, Any] | None,
            what: str) -> _Record:
    missing = [key for key in keys if key not in (entry or {})]
    if missing:
        raise LessonError(f"{DATA}: the {what} {entry!r} has no "
                          f"{', '.join(missing)}")
    values = {key: tuple(entry[key]) if isinstance(entry[key], list)
              else entry[key] for key in keys}
    return kind(**values)


def duration(minutes: int) -> str:
    """45 -> "45 min", 135 -> "2 h 15 min"."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def exercises_of(lesson: Lesson, exercises: Iterable[Exercise]) -> list[Exercise]:
    return [exercise for exercise in exercises if exercise.lesson == lesson.id]


def link(target: str, here: str) -> str:
    """A link from page `here` to page `target` (both below docs/)."""
    return posixpath.relpath(target, posixpath.dirname(here) or ".")


def bullets(items: Iterable[str]) -> str:
    return "".join(f"- {item}\n" for item in items)


def time_line(lesson: Lesson, exercises: Iterable[Exercise]) -> str:
    practice = sum(e.minutes for e in exercises_of(lesson, exercises))
    text = f"**Time:** {duration(lesson.teaching)} teaching"
    if practice:
        text += f", {duration(practice)} exercises"
    return text + "\n"


def box(lesson: Lesson, exercises: Iterable[Exercise]) -> str:
    """The overview at the top of a lesson's page."""
    body = (time_line(lesson, exercises) + "\n**Questions**\n\n"
            + bullets(lesson.questions)
            + "\n**Objectives**: after this page you can\n\n"
            + bullets(lesson.objectives))
    return (f"{BOX_START}\n\n!!! abstract \"Overview\"\n\n" + indent(body)
            + f"\n{BOX_END}")


def ending(lesson: Lesson, exercises: Iterable[Exercise], here: str) -> str:
    """The key points, and the lesson's exercises, at the end of its page."""
    text = '!!! success "Key points"\n\n' + indent(bullets(lesson.keypoints))
    own = exercises_of(lesson, exercises)
    if own:
        lines = [f"[{e.title}]({link(e.page, here)}#{e.id}) "
                 f"({duration(e.minutes)})" for e in own]
        text += ('\n!!! example "Exercises"\n\n'
                 + indent("Extend this page's code yourself; each exercise "
                          "has hints, a solution that is tested, and a test "
                          "that checks your answer.\n\n" + bullets(lines)))
    return text.rstrip("\n")


def schedule(lessons: Iterable[Lesson], exercises: Sequence[Exercise], here: str) -> str:
    """The home page's table: every lesson, its objectives and its time. The objectives
    come right after the lesson: on a phone the table scrolls, and what a lesson teaches
    is what a reader looks for."""
    rows = ["| lesson | after it you can | teaching | exercises |",
            "|---|---|---|---|"]
    teaching = practice = 0
    for lesson in lessons:
        minutes = sum(e.minutes for e in exercises_of(lesson, exercises))
        teaching += lesson.teaching
        practice += minutes
        rows.append(f"| [{lesson.title}]({link(lesson.page, here)}) | "
                    + "<br>".join(lesson.objectives) + " | "
                    f"{duration(lesson.teaching)} | "
                    f"{duration(minutes) if minutes else ''} |")
    rows.append(f"| **All of it** | | **{duration(teaching)}** | "
                f"**{duration(practice)}** |")
    return "\n".join(rows)


def exercise_table(lessons: Iterable[Lesson], exercises: Iterable[Exercise],
                   here: str) -> str:
    """Every exercise, by the lesson it builds on."""
    titles = {lesson.id: (lesson.title, lesson.page) for lesson in lessons}
    rows = ["| exercise | builds on | time | its tests |", "|---|---|---|---|"]
    for e in exercises:
        title, page = titles[e.lesson]
        rows.append(f"| [{e.title}]({link(e.page, here)}#{e.id}) | "
                    f"[{title}]({link(page, here)}) | {duration(e.minutes)} | "
                    f"`{e.test}` |")
    return "\n".join(rows)


def exercise_heading(exercise: Exercise, lessons: Iterable[Lesson], here: str) -> str:
    lesson = next(lesson for lesson in lessons if lesson.id == exercise.lesson)
    return (f"## {exercise.title} {{ #{exercise.id} }}\n\n"
            f"**Builds on:** [{lesson.title}]({link(lesson.page, here)}), "
            f"folder `{exercise.base}/` · **Time:** {duration(exercise.minutes)} "
            f"· **Solution:** `{exercise.folder}/`")


def check_command(exercise: Exercise) -> str:
    return ("From the repository folder, with your copy of the step in "
            "`~/my-chat`:\n\n```sh\n.venv/bin/python -m pytest "
            f"{exercise.test} \\\n    --checkpoint ~/my-chat\n```\n\n"
            "Without `--checkpoint` the tests check the solution, "
            f"`{exercise.folder}/`. Run the solution with `make run "
            f"PART={exercise.folder}`.")


def render(markdown: str, here: str, lessons: Sequence[Lesson],
           exercises: Sequence[Exercise]) -> str:
    """The page `here` (a path below docs/) with its placeholders filled in."""
    by_id = {lesson.id: lesson for lesson in lessons}
    exercise_by_id = {exercise.id: exercise for exercise in exercises}
    named = [match["id"] for match in LESSON.finditer(markdown)]
    unknown = [name for name in named if name not in by_id]
    if unknown:
        raise LessonError(f"<!-- lesson: {unknown[0]} --> names no lesson of "
                          "docs/lessons.yml")
    found = [by_id[name] for name in named]
    if len(found) > 1:
        raise LessonError("a page has one <!-- lesson: ID --> line, not several")
    lesson = found[0] if found else None
    if lesson and lesson.page != here:
        raise LessonError(f"lesson {lesson.id} belongs on {lesson.page} "
                          "(docs/lessons.yml)")
    if KEYPOINTS.search(markdown) and lesson is None:
        raise LessonError("<!-- keypoints --> needs a <!-- lesson: ID --> line on "
                          "the same page")

    def exercise(match: re.Match[str]) -> Exercise:
        if match["id"] not in exercise_by_id:
            raise LessonError(f"{match[0]} names no exercise of docs/lessons.yml")
        return exercise_by_id[match["id"]]

    markdown = LESSON.sub(lambda m: box(lesson, exercises), markdown)
    markdown = KEYPOINTS.sub(lambda m: ending(lesson, exercises, here), markdown)
    markdown = SCHEDULE.sub(lambda m: schedule(lessons, exercises, here), markdown)
    markdown = EXERCISES.sub(
        lambda m: exercise_table(lessons, exercises, here), markdown)
    markdown = EXERCISE.sub(
        lambda m: exercise_heading(exercise(m), lessons, here), markdown)
    return CHECK.sub(lambda m: check_command(exercise(m)), markdown)


def under_the_title(html: str) -> str:
    """Move the lesson box under the page's first <h1>, if it stands above it."""
    start, end = html.find(BOX_START), html.find(BOX_END)
    title = html.find("<h1")
    if start < 0 or end < 0 or title < 0 or start > title:
        return html
    end += len(BOX_END)
    text = html[start:end]
    html = html[:start] + html[end:]
    after_title = html.find("</h1>") + len("</h1>")
    return html[:after_title] + "\n" + text + html[after_title:]


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files,
                     **kwargs: object) -> str:
    if "<!--" not in markdown:
        return markdown
    from mkdocs.exceptions import PluginError
    try:
        lessons, exercises = load()
        return render(markdown, page.file.src_uri, lessons, exercises)
    except LessonError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files,
                    **kwargs: object) -> str:
    return under_the_title(html)
