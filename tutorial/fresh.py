"""A fresh copy of a checkpoint to type the next step into:
`python -m tutorial fresh COPY STEP`.

It copies the repository's checkpoint STEP (3, 4.2, part3: as the pages name
the steps) to COPY, without what only the repository needs (a part's later
steps) or what a run leaves behind. It never copies into an existing folder
(`cp -r` would put the copy inside it) and never loses one: an existing COPY
is moved aside first, to COPY-before-<date and time>, and it says so.
"""
from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from tutorial import chain
from tutorial.chain import REPO

LEFT_OUT = shutil.ignore_patterns("steps", "nginx-tmp", "nginx.pid", "__pycache__",
                                  ".pytest_cache")


def aside_name(copy: Path) -> Path:
    """A name beside `copy` that no folder has yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = copy.with_name(f"{copy.name}-before-{stamp}")
    number = 2
    while candidate.exists():
        candidate = copy.with_name(f"{copy.name}-before-{stamp}-{number}")
        number += 1
    return candidate


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tutorial fresh COPY STEP   (e.g. ~/my-chat 5)",
              file=sys.stderr)
        return 2
    copy, step = Path(argv[0]).expanduser().resolve(), argv[1]
    try:
        checkpoint = chain.named(REPO, step)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    if copy.exists() or copy.is_symlink():
        aside = aside_name(copy)
        copy.rename(aside)
        print(f"Your earlier {copy} is kept, as {aside}.")
    shutil.copytree(checkpoint.folder, copy, ignore=LEFT_OUT)
    print(f"{copy} now holds {checkpoint.label} ({checkpoint.name}).")
    return 0
