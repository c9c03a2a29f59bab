"""The tests' pytest plugin (tests/conftest.py loads it).

**What a run checks: its Target.** `--checkpoint COPY` and `--step S` are
read once, into `target(config)`: a learner's copy at a step, or (copy None)
the repository's own folders. A run of one exercise's tests
(`pytest tests/exercises/test_rooms.py --checkpoint COPY`) checks COPY as
that exercise's answer, at the exercise's base step.

**A learner's check**: `pytest tests --checkpoint COPY --step S` (or
`python -m tutorial check COPY S`):

- **Order.** What step S teaches is checked first, then what the earlier
  steps taught, the newest first, then the pages in the browser: the first
  failure is the lesson's own, and its sentence says what is missing.
- **Stop at the first failure** (unless --keep-going), and say it the moment
  it happens; the run ends with "n of m checks pass" and that sentence.
- **Two processes** (pytest-xdist, unless -n is given): most of a check is
  waiting for servers and the browser. The checks are handed out one at a
  time in the check's order; when one fails, the check another process is
  running is stopped and reported as skipped, so the run ends in seconds.
"""
import argparse
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tutorial import chain, lessons
from tutorial.chain import REPO

CHECK_PROCESSES = 2
BROWSER_TESTS = REPO / "tests" / "browser"
STOPPED = "the check stopped at the first that fails"
STOP_FILE = "check_stop_file"  # the key of its path in each worker's input


@dataclass(frozen=True)
class Target:
    """What a run checks: `copy`, a learner's folder at `step`, or (copy None)
    the repository's own folders, each at the step it is."""

    copy: Path | None
    step: chain.Checkpoint  # a copy's step; the finished part 2 by default
    # The exercise whose tests alone the run names (docs/lessons.yml), if
    # any: the copy is an answer to it, at its base step by default.
    exercise: lessons.Exercise | None = None


TARGET = pytest.StashKey[Target]()


def target(config):
    """The run's Target, read from --checkpoint and --step the first time."""
    if TARGET not in config.stash:
        copy = config.getoption("--checkpoint")
        exercise = exercise_of(config)
        default = exercise.base if exercise else "part2_chat"
        config.stash[TARGET] = Target(
            Path(copy).expanduser().resolve() if copy else None,
            config.getoption("--step") or chain.named(REPO, default), exercise)
    return config.stash[TARGET]


def exercise_of(config):
    """The exercise whose test file every path on the command line names
    (tests/exercises/test_rooms.py, or a test in it), or None."""
    here = config.invocation_params.dir
    named = {(here / arg.split("::")[0]).resolve() for arg in config.args}
    found = [exercise for exercise in chain.exercises(REPO)
             if named == {(REPO / exercise.test).resolve()}]
    return found[0] if found else None


def checkpoint_named(text):
    """--step's value: the checkpoint a learner names (chain.named)."""
    try:
        return chain.named(REPO, text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def pytest_addoption(parser):
    parser.addoption(
        "--checkpoint", metavar="FOLDER",
        help="run the tests against FOLDER (your own copy of a step) instead "
             "of the repository's own folders; tests/exercises/test_<name>.py: "
             "check your answer in FOLDER")
    parser.addoption(
        "--step", metavar="STEP", type=checkpoint_named,
        help="with --checkpoint: the step your copy has reached, so only the "
             f"tests of what it teaches run: {chain.STEP_FORMS}. Default: "
             "the finished part 2")
    parser.addoption(
        "--keep-going", action="store_true",
        help="with --checkpoint: run every check, instead of stopping at the "
             "first that fails")


def is_check(config):
    return target(config).copy is not None


def in_a_worker(config):
    return hasattr(config, "workerinput")  # pytest-xdist gives workers this


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    """--checkpoint without -n: the check runs in CHECK_PROCESSES processes,
    which take the checks one at a time in the check's order (`-n 0` runs it
    in one process)."""
    if (is_check(config) and config.option.numprocesses is None
            and not config.option.collectonly and not in_a_worker(config)):
        config.option.numprocesses = CHECK_PROCESSES
        config.option.dist = "load"
        config.option.maxschedchunk = 1


def pytest_configure(config):
    if not is_check(config):
        return
    stops = not config.getoption("--keep-going")
    if stops:
        config.option.maxfail = 1  # in each process, and in the whole run
    if not in_a_worker(config):
        config.pluginmanager.register(Report(config, stops), "learners-check-report")
    elif stops and config.workerinput.get(STOP_FILE):
        config.pluginmanager.register(Stopper(Path(config.workerinput[STOP_FILE])),
                                      "learners-check-stopper")


# An outer wrapper (this plugin is registered after tests/conftest.py): it
# orders the items last, after conftest has grouped them; pytest's own
# --failed-first (the watch mode's) still goes before it.
@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    result = yield
    if is_check(config):
        put_the_lesson_first(items, target(config).step)
    return result


def put_the_lesson_first(items, step):
    """The checks of what `step` teaches first, then those of the earlier
    steps, the newest first, then the browser's. (A missing key line of the
    server breaks the pages too, and their sentences would send the learner
    to chat.js.) The copy's servers are shared across modules
    (shared_servers), so the order costs no restart."""
    lesson = (step.part, step.step)

    def rank(item):
        if BROWSER_TESTS in item.path.parents:
            return (2, ())  # in their own order: the page's script first
        marker = item.get_closest_marker("step")
        taught = (marker.kwargs.get("part", 2), marker.args[0]) if marker else (0, 0)
        return (0 if taught == lesson else 1, tuple(-number for number in taught))

    items.sort(key=rank)


class Report:
    """The check's report, in the process that reports (with pytest-xdist,
    not in the workers): what it checks, the first failure's sentence the
    moment it fails, and at the end "n of m checks pass" and the sentence of
    the first failure in the check's order."""

    def __init__(self, config, stops):
        self.config = config
        self.stops = stops
        self.order = {}  # node id: its place in the check
        self.announced = None  # the report of the failure said at once
        self.stop_file = Path(tempfile.mkdtemp(prefix="check-")) / "stop"

    def terminal(self):
        return self.config.pluginmanager.get_plugin("terminalreporter")

    def pytest_sessionstart(self, session):
        run = target(self.config)
        step = run.step
        stops = "; it stops at the first that fails" if self.stops else ""
        if not self.terminal():
            return
        if run.exercise:
            self.terminal().write_line(
                f"Checking {run.copy} as the exercise '{run.exercise.title}', "
                f"which builds on {step.label} ({run.exercise.base}/){stops}.")
        else:
            self.terminal().write_line(
                f"Checking {run.copy} as {step.label} "
                f"(--step {step.name}): what this step teaches first{stops}.")

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[STOP_FILE] = str(self.stop_file)

    def pytest_collection_finish(self, session):
        self.order = {item.nodeid: place for place, item in enumerate(session.items)}

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self.order = {nodeid: place for place, nodeid in enumerate(ids)}

    def pytest_runtest_logreport(self, report):
        if not report.failed or self.announced:
            return
        self.announced = report
        if self.stops:
            self.stop_file.touch()  # the other processes stop their checks
        if self.terminal():  # at once, before the copy's servers stop
            self.terminal().write_line(
                f"\nFails ({report.nodeid}):\n  {first_sentence(report)}", red=True)

    def pytest_sessionfinish(self, session, exitstatus):
        # In parallel, stopping at the first failure ends as "interrupted"
        # (2); the check says "a check failed" (1), as in one process.
        if exitstatus == pytest.ExitCode.INTERRUPTED and session.testsfailed:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        self.stop_file.unlink(missing_ok=True)
        self.stop_file.parent.rmdir()

    def pytest_terminal_summary(self, terminalreporter):
        stats = terminalreporter.stats
        passed = len(stats.get("passed", []))
        failed = stats.get("failed", []) + stats.get("error", [])
        if not passed + len(failed):
            return
        stopped = " (stopped at the first that fails)" if failed and self.stops else ""
        terminalreporter.write_sep(
            "=", f"{passed} of {len(self.order)} checks pass{stopped}",
            green=not failed, red=bool(failed))
        if failed:
            # The one said at once, if it is a check's own sentence; else the
            # first in the check's order whose sentence is (a check's own
            # sentence says more than a library's timeout).
            first = min(failed, key=lambda report: (
                not crash_text(report).startswith("AssertionError: "),
                report is not self.announced,
                self.order.get(report.nodeid, len(self.order))))
            terminalreporter.write_line(
                f"The first that fails ({first.nodeid}):\n  " + first_sentence(first))


class Stopper:
    """In a worker: once the check has failed elsewhere (the report touched
    the stop file), the check under way here is interrupted and reported as
    skipped, and the ones still queued here are skipped, so that the run
    ends in seconds instead of waiting out a check that waits for a timeout.
    Only a check's body is interrupted: its fixtures still stop its servers."""

    POLL_SECONDS = 0.1

    def __init__(self, stop_file):
        self.stop_file = stop_file
        self.in_call = False
        self.main_thread = threading.main_thread()
        threading.Thread(target=self.watch, daemon=True).start()

    def watch(self):
        while not self.stop_file.exists():
            time.sleep(self.POLL_SECONDS)
        if self.in_call:
            self.interrupt_main_thread()

    def interrupt_main_thread(self):
        # A signal to the main thread wakes it from a blocking wait, which
        # _thread.interrupt_main() does not; Windows has only the latter.
        if sys.platform == "win32":
            import _thread
            _thread.interrupt_main()
        else:
            signal.pthread_kill(self.main_thread.ident, signal.SIGINT)

    def pytest_runtest_setup(self, item):
        if self.stop_file.exists():
            pytest.skip(STOPPED)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item):
        self.in_call = True
        try:
            return (yield)
        except KeyboardInterrupt:
            if self.stop_file.exists():
                pytest.skip(STOPPED)
            raise
        finally:
            self.in_call = False


def crash_text(report):
    crash = getattr(report.longrepr, "reprcrash", None)
    return crash.message if crash else str(report.longrepr)


def first_sentence(report):
    """The failure's own message, without the assertion's internals."""
    text = crash_text(report).removeprefix("AssertionError: ")
    for detail in ("\nassert ", "\nActual value", "\nCall log"):
        text = text.split(detail)[0]
    return text.strip()

