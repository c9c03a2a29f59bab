"""MkDocs hook: the pages built from the tutorial's own folders.

The work is done by the package `tutorial/` at the top of the repository,
which the tests import too:

- tutorial/what_changed.py: the "What changed" page, from the checkpoints;
- tutorial/step_code.py: a checkpoint's complete code, for typing along;
- tutorial/check_it.py: the "Check it" command of a step's page;
- tutorial/lessons.py: each page's questions, objectives, time and key
  points, the schedule and the exercises, from docs/lessons.yml;
- tutorial/regions.py: the region of a file that an include names
  (`--8<-- "part2_chat/app.py:def on_join_room"`), as the line numbers
  that pymdownx.snippets reads next.
"""
import sys
from pathlib import Path

# MkDocs puts only this hook's folder on sys.path while it loads the hook.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tutorial import (  # noqa: E402
    check_it, lessons, regions, step_code, what_changed)


def on_page_markdown(markdown, page, config, files, **kwargs):
    for builder in (what_changed, step_code, check_it, lessons, regions):
        markdown = builder.on_page_markdown(markdown, page, config, files)
    return markdown


def on_page_content(html, page, config, files, **kwargs):
    return lessons.on_page_content(html, page, config, files)


def on_serve(server, config, builder, **kwargs):
    return what_changed.on_serve(server, config, builder)
