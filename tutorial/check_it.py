"""The "Check it" of a step's page, from the chain: one command, for the
learner's own copy, in the same form on every page.

A line of its own in a page,

    <!-- check-it: part2_chat/steps/3_messages -->

becomes where the learner's copy is (COPY), how to run it, and the command
that checks it at that step (`python -m tutorial check COPY 3`),
with the watch mode that runs it again on every save. The step is written
as the pages call it (chain.step_name): 3, part3, 4.2.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from tutorial import chain

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

PLACEHOLDER = re.compile(
    r"^(?P<indent>[ \t]*)<!--\s*check-it:\s*(?P<folder>[^\s>]+?)/?\s*-->[ \t]*$",
    re.M)
COPY = "~/my-chat"  # where every page has the learner keep their copy


class CheckItError(Exception):
    """A placeholder names no checkpoint."""


def command(checkpoint: chain.Checkpoint, copy: str = COPY) -> str:
    """The check of a copy at `checkpoint`, as a learner types it
    (tutorial/check.py)."""
    return (f".venv/bin/python -m tutorial check {copy} "
            f"{chain.step_name(checkpoint)}")


def fresh_command(checkpoint: chain.Checkpoint, copy: str = COPY) -> str:
    """A fresh copy of `checkpoint`, as a learner types it (tutorial/fresh.py)."""
    return (f".venv/bin/python -m tutorial fresh {copy} "
            f"{chain.step_name(checkpoint)}")


def run_command(checkpoint: chain.Checkpoint, copy: str = COPY) -> str:
    """How the page's "Run it" starts a copy of `checkpoint`: behind nginx
    the processes share one SECRET_KEY, so that a browser whose process
    stops keeps its session on another."""
    run = f"make run PART={copy}"
    if (checkpoint.folder / "nginx.conf").exists():
        run = f"SECRET_KEY=pick-a-long-random-string {run}"
    return run


def render(root: Path, folder: str) -> str:
    """The markdown for the placeholder of checkpoint `folder`."""
    checkpoint = chain.find(root, root / folder)
    if checkpoint is None:
        raise CheckItError(f"check-it: {folder} is not a checkpoint folder")
    before = chain.previous(root, checkpoint)
    step = chain.step_name(checkpoint)
    copy = fresh_command(before) if before else ""
    start = (f" (to start afresh: `{copy}` from the repository folder, "
             "then type this step; a folder already there is moved aside, "
             "never overwritten)") if before else ""
    return (
        f"Your copy is the folder `{COPY}`: your copy of the step before, "
        f"changed as above{start}. Run it from the repository folder with "
        f"`{run_command(checkpoint)}`. Check it from the repository folder too "
        "(the check starts your server itself, so it need not be running; "
        "its tools, pytest and the rest, come with `make venv-dev`, which "
        "`make test` runs too):"
        f"\n\n```sh\n{command(checkpoint)}\n```\n\n"
        "It checks what this step teaches first, then what the steps before "
        "it taught, then your pages in a browser, and stops at the first "
        "check that fails with a sentence that says in words what is missing "
        "(a mistake shows within seconds; a whole check takes about half a "
        "minute). Add `--watch` to check again every time you save a file, "
        "starting with the check that failed last; `make check "
        f"COPY={COPY} STEP={step}` is the same as `--watch`. On Windows the "
        "Python is `.venv\\Scripts\\python`.\n")


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig,
                     files: Files, **kwargs: object) -> str:
    if "check-it:" not in markdown:
        return markdown
    from mkdocs.exceptions import PluginError
    root = Path(config["config_file_path"]).parent

    def replace(match: re.Match[str]) -> str:
        text = render(root, match["folder"])
        return "".join(match["indent"] + line if line.strip() else line
                       for line in text.splitlines(keepends=True)).rstrip("\n")

    try:
        return PLACEHOLDER.sub(replace, markdown)
    except CheckItError as error:
        raise PluginError(f"{page.file.src_uri}: {error}") from None
