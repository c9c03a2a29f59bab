"""A learner's check of their own copy: `python -m tutorial check COPY STEP`.

It runs the repository's tests against COPY as it is at STEP (3, 4.2,
part3: as the pages name the steps), the lesson's own checks first, and
stops at the first that fails with a sentence that says what is missing
(tests/conftest.py). With --watch it runs again whenever a file of COPY is
saved, the check that failed last time first (pytest's --failed-first).

The same command on Linux, macOS and Windows: it needs the tests' packages
(requirements-dev.txt), nothing else. `make check` calls it with --watch.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

from tutorial import chain
from tutorial.chain import REPO

# The watch mode's record of what failed last (pytest's cache), kept in the
# venv, so that neither the repository nor the copy gets a .pytest_cache.
CACHE = REPO / ".venv" / "check-cache"
# What a server leaves in the copy while it runs: no reason to check again.
NOT_SAVED_BY_YOU = {"nginx-tmp", "nginx.pid", "__pycache__", ".pytest_cache"}


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(
        prog="python -m tutorial check",
        description="Check your copy of the chat at a step of the tutorial.",
        epilog="Any other option goes to pytest, e.g. -k leave for a few "
               "checks, or --keep-going to run them all.")
    parser.add_argument("copy", type=Path, help="your folder, e.g. ~/my-chat")
    parser.add_argument("step", help=f"the step it is at: {chain.STEP_FORMS}")
    parser.add_argument("--watch", action="store_true",
                        help="check again every time you save a file")
    return parser.parse_known_args(argv)


def pytest_arguments(copy: Path, step: str, extra: list[str]) -> list[str]:
    """A line per check with -v; else a dot per check, counted."""
    verbose = any(option in ("-v", "-vv", "--verbose") for option in extra)
    return ["tests", "--checkpoint", str(copy), "--step", step,
            # -rfE: the summary lists failures and errors, not the checks
            # skipped because the check stopped.
            *([] if verbose else ["-q"]), "--tb=no", "-rfE",
            "-o", "console_output_style=count", "-o", f"cache_dir={CACHE}",
            *extra]


def keep_bytecode() -> None:
    """Every Python of the check (its processes, the copy's servers) keeps
    its compiled modules in the venv: making them again takes seconds."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(REPO / ".venv" / "pycache")
    sys.dont_write_bytecode = False
    sys.pycache_prefix = os.environ["PYTHONPYCACHEPREFIX"]


def run_once(copy: Path, step: str, extra: list[str]) -> int:
    """One check, in this process: pytest, then how long it took."""
    import pytest

    started = time.monotonic()
    print(f"Started at {time.strftime('%H:%M:%S')}.", flush=True)
    os.chdir(REPO)
    status = pytest.main(pytest_arguments(copy, step, extra))
    print(f"The check took {time.monotonic() - started:.0f} s.", flush=True)
    return int(status)


def saved_by_you(change: object, path: str) -> bool:
    return not NOT_SAVED_BY_YOU & set(Path(path).parts)


def watch(copy: Path, step: str, extra: list[str]) -> int:
    """Run the check, and again on every save. A save during a run stops
    that run (Ctrl+C, so the copy's servers stop) and starts a new one."""
    import logging

    import watchfiles

    # Not "process already dead, exit code: 0" after every finished run.
    logging.getLogger("watchfiles").setLevel(logging.ERROR)

    once = [sys.executable, "-m", "tutorial", "check", str(copy), step,
            "--failed-first", *extra]
    print(f"Watching {copy}: the check runs again when you save a file "
          "(Ctrl+C stops).", flush=True)
    # sigint_timeout: a run stops its servers before it ends.
    return watchfiles.run_process(copy, target=shlex.join(once),
                                  target_type="command",
                                  watch_filter=saved_by_you, sigint_timeout=30)


def main(argv: list[str]) -> int:
    options, extra = parse(argv)
    copy = options.copy.expanduser().resolve()
    if not copy.is_dir():
        print(f"{options.copy} is not a folder: name your copy, e.g. "
              "python -m tutorial check ~/my-chat 3", file=sys.stderr)
        return 2
    try:
        chain.named(REPO, options.step)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    keep_bytecode()
    if options.watch:
        return watch(copy, options.step, extra)
    return run_once(copy, options.step, extra)
