"""Shared by the whole suite: the --checkpoint and --step options, and the
`checkpoint` parameter that makes the chat tests (tests/chat/,
tests/browser/) run once for every checkpoint that has reached the step
each test is marked with.

Which folders a test runs on comes from its markers and the chain
(tutorial/chain.py), never from its file's name:

- `@pytest.mark.step(n, part=2)`: the step that introduces the behaviour;
  the test runs on every checkpoint that has reached it;
- `@pytest.mark.solutions`: also on every exercise solution that has;
- `@pytest.mark.only_finished(part=4)`: on that part's finished folder,
  not on each of its steps;
- `@pytest.mark.own_part(3)`: a part's own lesson (part 3's platform), on
  that part's folders only;
- `@pytest.mark.socketio_test_client`: not on a part that relays through a
  message queue (Flask-SocketIO's test client cannot).

A test that no folder under test has reached is deselected, not skipped.

With --checkpoint COPY (a learner's own folder) only the tests that run on
COPY are kept, and the run ends with "n of m checks pass" and the first
failure's sentence.
"""
import fcntl
import functools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

# The harness's asserts say what went wrong, as the tests' do (pytest rewrites
# them: the package must be named before it is first imported).
pytest.register_assert_rewrite("harness")

from harness import venvs  # noqa: E402
from harness.servers import Server, chromium  # noqa: E402
from harness.plugin import target  # noqa: E402
from harness.stack import SharedServers, uses_message_queue  # noqa: E402
from tutorial import chain  # noqa: E402
from tutorial.chain import REPO  # noqa: E402

# The folder of the run's venvs (harness/venvs.py), in the process that made it.
VENVS_FOLDER = pytest.StashKey[Path]()
# The value of `checkpoint` for a test no folder under test has reached.
UNREACHED = pytest.param(None, marks=pytest.mark.unreached, id="unreached")
# --checkpoint and --step (the run's Target), and a learner's check: its
# order, its processes and its report.
pytest_plugins = ["harness.plugin"]


def pytest_configure(config):
    venvs_folder = venvs.make_folder()
    if venvs_folder:  # this process made it: it removes it at the end
        config.stash[VENVS_FOLDER] = venvs_folder
    # The chat's servers run as `make run` runs them: without the test tools.
    Server.default_bin_dir = staticmethod(venvs.chat_bin)


def pytest_unconfigure(config):
    if VENVS_FOLDER in config.stash:
        venvs.remove_folder(config.stash[VENVS_FOLDER])


@functools.cache
def reached_by(folder, custom_step=None):
    """chain.reached_by in the repository, worked out once per folder: the
    collection asks about each folder for every test."""
    return chain.reached_by(REPO, folder, custom_step)


@functools.cache
def checkpoint_of(folder):
    return chain.find(REPO, folder)


def has_reached(folder, marker, custom_step=None):
    """Whether the folder has the behaviour a test marked with `marker`
    checks (a test without a step marker: every one has)."""
    if marker is None:
        return True
    part, step = marker.kwargs.get("part", 2), marker.args[0]
    return reached_by(folder, custom_step).get(part, 0) >= step


def folders_under_test(definition):
    """The repository's folders a test runs on, by its markers."""
    folders = [c.folder for c in chain.checkpoints(REPO) if c.part >= 2]
    if definition.get_closest_marker("solutions"):
        folders += [REPO / e.folder for e in chain.exercises(REPO)
                    if reached_by(REPO / e.folder).get(2)]
    finished_only = definition.get_closest_marker("only_finished")
    if finished_only:
        part = finished_only.kwargs["part"]
        folders = [f for f in folders if not is_step_of(f, part)]
    return folders


def is_step_of(folder, part):
    checkpoint = checkpoint_of(folder)
    return bool(checkpoint and checkpoint.part == part
                and not checkpoint.finished)


def pytest_generate_tests(metafunc):
    if "checkpoint" not in metafunc.fixturenames:
        return
    config, definition = metafunc.config, metafunc.definition
    run = target(config)
    folders = [run.copy] if run.copy else folders_under_test(definition)
    marker = definition.get_closest_marker("step")
    custom_step = run.step
    folders = [folder for folder in folders
               if has_reached(folder, marker, custom_step)]
    own_part = definition.get_closest_marker("own_part")
    if own_part:
        folders = [f for f in folders
                   if max(reached_by(f, custom_step)) == own_part.args[0]]
    if definition.get_closest_marker("socketio_test_client"):
        folders = [folder for folder in folders
                   if not uses_message_queue(folder)]
    metafunc.parametrize(
        "checkpoint", folders or [UNREACHED],
        ids=[id_of(f) for f in folders] or None, scope="module")


def id_of(folder):
    """part2_chat, or part2_chat/steps/1_pages as part2_chat-1_pages, or
    exercises/part2_typing as exercises-part2_typing."""
    parts = folder.parts
    if parts[-2] == "exercises":
        return f"exercises-{parts[-1]}"
    if len(parts) >= 3 and parts[-2] == "steps":
        return f"{parts[-3]}-{parts[-1]}"
    return folder.name


LEFT_OUT = pytest.StashKey[str]()
SHARED_GROUP = pytest.StashKey[str]()  # see keep_shared_fixtures_on_one_worker


# A wrapper: it marks the groups before pytest-xdist's hook reads the
# xdist_group marks, and orders them after pytest has reordered the items.
@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    """Leave out, rather than skip, a test that no folder under test has
    reached: a learner at step 2 sees the tests of steps 1 and 2 only.
    With --checkpoint, also the tests of the repository itself."""
    unreached = [i for i in items if i.get_closest_marker("unreached")]
    repository = []
    if target(config).copy:
        repository = [i for i in items if not runs_on_the_copy(i, items)]
    left_out = {id(i) for i in unreached + repository}
    if left_out:
        config.hook.pytest_deselected(
            items=[i for i in items if id(i) in left_out])
        items[:] = [i for i in items if id(i) not in left_out]
    if target(config).copy:
        config.stash[LEFT_OUT] = (
            f"Left out {len(unreached)} tests that do not apply at this step (a later "
            f"step's, or another part's own) and {len(repository)} of the repository "
            "itself")
    keep_shared_fixtures_on_one_worker(items)
    yield
    put_groups_together(items)


def keep_shared_fixtures_on_one_worker(items):
    """`make test` runs the tests in parallel (pytest-xdist, --dist
    loadgroup). The tests that share a module-scoped fixture (a server, a
    stack, a copy of the repository) go to one worker, so it starts once:
    grouped by module and by the value of each module-scoped parameter
    (the chat tests' checkpoint). The others go wherever a worker is free."""
    for item in items:
        definitions = item._fixtureinfo.name2fixturedefs
        shared = [name for name in item.fixturenames
                  if any(definition.scope == "module"
                         for definition in definitions.get(name, ()))]
        if not shared:
            continue
        params = item.callspec.params if hasattr(item, "callspec") else {}
        # No "]" in a group's name: pytest-xdist takes the group from after
        # the id's last "@" only when no "]" follows it.
        group = item.module.__name__ + "".join(
            ":" + str(id_of(value) if name == "checkpoint" else value)
            .replace("[", "(").replace("]", ")")
            for name, value in params.items() if name in shared and value)
        item.add_marker(pytest.mark.xdist_group(group))
        item.stash[SHARED_GROUP] = group


def put_groups_together(items):
    """The tests of each shared-fixture group next to each other, where the
    group's first test is; everything else keeps pytest's order.

    pytest's own reordering keys a module-scoped parameter by its index,
    not its value, and the chat tests' folder lists differ by step marker
    (index 0 is part2_chat-5 for one test, part3_deploy for the next): left
    to it, the checkpoints interleave and a module's server starts again for
    almost every test."""
    places = {}
    keys = []
    for place, item in enumerate(items):
        group = item.stash.get(SHARED_GROUP, place)
        keys.append(places.setdefault(group, place))
    order = sorted(range(len(items)), key=keys.__getitem__)
    items[:] = [items[place] for place in order]

def runs_on_the_copy(item, items):
    """Whether a test checks the --checkpoint folder: the chat, browser
    and part tests do; an exercise's tests do when only one exercise's
    tests were collected (the file named on the command line)."""
    if "checkpoint" in getattr(item, "fixturenames", ()):
        return True
    exercises = {i.module.__name__ for i in items
                 if "solution" in getattr(i, "fixturenames", ())}
    return "solution" in getattr(item, "fixturenames", ()) and len(
        exercises) == 1


def pytest_report_collectionfinish(config):
    return config.stash.get(LEFT_OUT, None) or []


@pytest.fixture(scope="session")
def shared_servers():
    """The checkpoints' servers that tests share across modules (stack.SharedServers)."""
    servers = SharedServers()
    yield servers
    servers.close()


@pytest.fixture
def room():
    """A room name no other test uses."""
    return f"room-{uuid.uuid4().hex[:8]}"


# Keep the browser itself off the network: no updates, sync, first-run pages
# or QUIC probes.
OFFLINE_FLAGS = ["--no-sandbox", "--disable-gpu",
                 "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium (or
    at $CHROMIUM): Playwright's own browser download does not work here.

    Headless, the tests use Debian's chromium-headless-shell where it is
    installed, as Playwright itself does with its own download: the same
    Blink, without the desktop browser around it, and about a third less
    work for each page. --headed shows the full chromium."""
    headless = browser_type_launch_args.get("headless", True)
    return {**browser_type_launch_args,
            "executable_path": chromium(headless=headless),
            "args": (["--headless"] if headless else []) + OFFLINE_FLAGS}


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The docs site, built once as `make docs-build` does (--strict): once
    for the whole run, whichever parallel worker (pytest-xdist) asks first;
    the others wait for it under a lock."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the workers' folders are inside the run's
    folder = shared / "site"
    with open(shared / "site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        built = shared / "site.built"  # a failed build is not used
        if not built.exists():
            build_site(folder)
            built.touch()
    return folder


def build_site(folder):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir",
         str(folder)], cwd=REPO, capture_output=True, text=True, timeout=180,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, (
        f"mkdocs build --strict failed:\n{result.stderr}")
