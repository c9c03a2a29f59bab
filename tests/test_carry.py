"""`make carry FROM=<checkpoint>` (tutorial/carry.py): an uncommitted edit
of one checkpoint reaches every checkpoint and exercise solution built on
it, a line a later step rewrote keeps the step's version, and a conflict is
reported and marked in the file, never dropped.

Every test works on one temporary copy of the repository's working tree
(so uncommitted tooling is what gets tested), committed in a git
repository of its own and reset between tests.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutorial import carry, chain
from tutorial.chain import REPO

FROM = "part2_chat/steps/5_bad_input"
NEXT = "part2_chat/steps/6_reconnecting"
GIT = ["git", "-c", "user.name=Carry Test", "-c", "user.email=carry@test",
       "-c", "commit.gpgsign=false"]

# A line every copy from step 5 on shares: 7 later checkpoints and 7
# exercise solutions (the issue that asked for `make carry` counted them).
PACKET_FIRST = ("# The biggest packet we accept. A 1,000-character message "
                "is at most about")


def git(clone: Path, *args: str) -> str:
    result = subprocess.run([*GIT, *args], cwd=clone, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, (args, result.stderr)
    return result.stdout


def working_tree_files() -> list[str]:
    """The repository's files as they are now: tracked ones still there,
    plus untracked ones git does not ignore."""
    names = git(REPO, "ls-files", "-z", "--cached", "--others",
                "--exclude-standard").split("\0")
    return sorted({name for name in names if name
                   and not name.startswith(".venv/")
                   and (REPO / name).is_file()})


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    """One copy of the working tree, committed: HEAD is the repository
    as it is, so whatever a test edits is the uncommitted change."""
    clone = tmp_path_factory.mktemp("carry") / "repo"
    for name in working_tree_files():
        target = clone / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    git(clone, "init", "-q")
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", "the working tree")
    return clone


@pytest.fixture
def clone(repository: Path) -> Path:
    """The copy, back at its commit."""
    git(repository, "reset", "-q", "--hard")
    git(repository, "clean", "-q", "-f", "-d")
    return repository


def run_carry(clone: Path, source: str = FROM) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tutorial.carry", source],
                          cwd=clone, timeout=120, capture_output=True,
                          text=True)


def changed(clone: Path) -> set[str]:
    """The paths `git status` lists as changed, added or deleted."""
    lines = git(clone, "status", "--porcelain", "-z",
                "--untracked-files=all").split("\0")
    return {line[3:] for line in lines if line}


def holding(clone: Path, line: str) -> set[str]:
    """The files of the copy that hold `line` as a whole line (a grep;
    git grep has no whole-line match for fixed strings)."""
    found = set()
    for name in filter(None, git(clone, "ls-files", "-z").split("\0")):
        text = (clone / name).read_bytes().decode("utf-8", "replace")
        if line in text.splitlines():
            found.add(name)
    return found


def report(result: subprocess.CompletedProcess) -> dict[str, str]:
    """{folder: the rest of its report line}."""
    lines = {}
    for line in result.stdout.splitlines():
        if line.startswith("Carried "):  # the summary
            break
        folder, _, rest = line.partition("  ")
        lines[folder] = rest.strip()
    return lines


def copies_of(clone: Path, source: str = FROM) -> list[str]:
    """The folders carry reaches from `source`: later checkpoints, then the
    solutions built on it or later (tutorial/chain.py decides)."""
    checkpoint = chain.find(clone, clone / source)
    return ([c.name for c in chain.after(clone, checkpoint)]
            + [e.folder for e in chain.solutions_on(clone, checkpoint)])


def replace_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old + "\n") == 1, f"{path} has no single line {old!r}"
    path.write_text(text.replace(old + "\n", new + "\n"), encoding="utf-8")


def edit_shared_line(clone: Path) -> tuple[str, set[str]]:
    """Reword PACKET_FIRST in FROM; the new line and the copies that hold
    the old one."""
    new = PACKET_FIRST.replace("The biggest", "The largest")
    copies = holding(clone, PACKET_FIRST) - {f"{FROM}/app.py"}
    assert len(copies) > 10, copies
    replace_line(clone / FROM / "app.py", PACKET_FIRST, new)
    return new, copies


def output(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


# An edit reaches every copy

def test_a_shared_line_reaches_all_its_copies(clone):
    new, copies = edit_shared_line(clone)
    result = run_carry(clone)
    assert result.returncode == 0, output(result)
    assert changed(clone) == copies | {f"{FROM}/app.py"}, output(result)
    for name in copies:
        lines = (clone / name).read_text(encoding="utf-8").splitlines()
        assert new in lines and PACKET_FIRST not in lines, name
        folder = name.removesuffix("/app.py")
        assert report(result)[folder].startswith("applied: app.py"), (
            output(result))


def test_the_copies_pass_the_suites_copy_checks_after_carrying(clone):
    edit_shared_line(clone)
    assert run_carry(clone).returncode == 0
    checks = ["tests/test_steps.py", "tests/exercises/test_solutions.py"]
    command = [sys.executable, "-m", "pytest", "-q", "-p",
               "no:cacheprovider", *checks]
    after = subprocess.run(command, cwd=clone, capture_output=True,
                           text=True, timeout=300)
    if after.returncode != 0:
        git(clone, "reset", "-q", "--hard")
        untouched = subprocess.run(command, cwd=clone, capture_output=True,
                                   text=True, timeout=300)
        verdict = ("they fail on the untouched copy too: not carry's doing"
                   if untouched.returncode else
                   "they pass on the untouched copy: carry broke them")
        pytest.fail(f"{' '.join(checks)} fail after carry; {verdict}\n"
                    f"{after.stdout[-6000:]}\n{after.stderr[-2000:]}")


def test_carrying_twice_changes_nothing_the_second_time(clone):
    _, copies = edit_shared_line(clone)
    assert run_carry(clone).returncode == 0
    first = {name: (clone / name).read_bytes() for name in changed(clone)}
    second = run_carry(clone)
    assert second.returncode == 0, output(second)
    assert {name: (clone / name).read_bytes()
            for name in changed(clone)} == first
    lines = report(second)
    assert lines == {folder: "already there: app.py"
                     for folder in copies_of(clone)}, output(second)


def test_an_added_a_deleted_and_a_vendored_file_reach_the_copies(clone):
    """The .map file is the same in every copy, so deleting it is safe;
    the minified library is carried whole, never merged line by line."""
    static = clone / FROM / "static"
    vendored = static / "socket.io.min.js"
    mapping = static / "socket.io.min.js.map"
    copies = copies_of(clone)
    assert all((clone / name / "static" / mapping.name).read_bytes()
               == mapping.read_bytes() for name in copies)
    (static / "extra.css").write_text(".extra { color: teal; }\n")
    mapping.unlink()
    vendored.write_bytes(vendored.read_bytes() + b"\n// patched\n")
    result = run_carry(clone)
    assert result.returncode == 0, output(result)
    for name in copies:
        folder = clone / name / "static"
        assert (folder / "extra.css").read_text() == (
            ".extra { color: teal; }\n"), name
        assert not (folder / mapping.name).exists(), name
        assert (folder / vendored.name).read_bytes() == (
            vendored.read_bytes()), name
        assert report(result)[name] == (
            "applied: static/extra.css (new), static/socket.io.min.js, "
            "static/socket.io.min.js.map (deleted)"), output(result)


# A later step's own version of a line wins

def test_a_line_a_later_step_rewrote_keeps_the_steps_version(clone):
    """Each step's app.py starts with its own title: step 6 rewrote step
    5's, so retitling step 5 must not touch step 6. The exercise built on
    step 5 has step 5's title, and takes the new one."""
    title = ('"""Part 2, step 5: bad input gets a reason, never a '
             'traceback.')
    step_6 = (clone / NEXT / "app.py").read_bytes()
    assert title not in step_6.decode().splitlines(), "step 6 has the title"
    replace_line(clone / FROM / "app.py", title,
                 title.replace("a reason", "a clear reason"))
    result = run_carry(clone)
    assert result.returncode == 0, output(result)
    assert (clone / NEXT / "app.py").read_bytes() == step_6
    assert report(result)[NEXT] == (
        "kept its own version: app.py line 1 (this step rewrites it)")
    typing = clone / "exercises/part2_typing/app.py"
    assert "a clear reason" in typing.read_text().splitlines()[0]


# A conflict is reported and marked, never dropped

def conflict_in_step_6(clone: Path) -> str:
    """Edit the line `join_room(room)` of step 5's add_member(). Step 6
    keeps that line but rewrote the lines right above and below it, so
    git cannot place the edit by itself. Returns the edited line."""
    line, edited = "    join_room(room)", "    join_room(room)  # by name"
    for folder in (FROM, NEXT):
        lines = (clone / folder / "app.py").read_text().splitlines()
        assert lines.count(line) == 1, folder
    before = (clone / FROM / "app.py").read_text().splitlines()
    after = (clone / NEXT / "app.py").read_text().splitlines()
    at, there = before.index(line), after.index(line)
    assert before[at - 1] != after[there - 1]
    assert before[at + 1] != after[there + 1]
    replace_line(clone / FROM / "app.py", line, edited)
    return edited


def test_a_conflicting_edit_is_marked_and_stops_there(clone):
    edited = conflict_in_step_6(clone)
    result = run_carry(clone)
    assert result.returncode == 1, output(result)
    lines = report(result)
    assert lines[NEXT] == "conflict: app.py (1 block marked in the file)"
    text = (clone / NEXT / "app.py").read_text()
    for marker in (f"<<<<<<< {NEXT}\n", f"||||||| {FROM} before\n",
                   "=======\n", f">>>>>>> {FROM} after\n"):
        assert text.count(marker) == 1, (marker, text)
    assert edited in text.splitlines()  # the edit
    assert "    ghost = find_ghost(page_id, username, room)" in text  # step 6
    later = copies_of(clone, NEXT)
    assert later
    for name in later:
        assert f"{name}/app.py" not in changed(clone)
        assert lines[name] == (
            f"waits for the conflict in {NEXT}/app.py"), output(result)
    assert lines["exercises/part2_typing"] == "applied: app.py"
    assert f"{NEXT}/app.py" in result.stdout.split("Resolve")[1]
    assert f"make carry FROM={NEXT}" in result.stdout


def test_a_resolved_conflict_carries_on_from_there(clone):
    edited = conflict_in_step_6(clone)
    assert run_carry(clone).returncode == 1
    resolve(clone / NEXT / "app.py", "    join_room(room)", edited)
    result = run_carry(clone, NEXT)
    assert result.returncode == 0, output(result)
    # Part 4's step 2 rewrites add_member (Redis first, then join_room): its
    # version wins there, and nothing built on it gets the edit.
    rewritten = "part4_scale/steps/2_presence"
    beyond = {rewritten, "part4_scale/steps/3_nginx", "part4_scale",
              "exercises/part4_rooms"}
    for name in copies_of(clone, NEXT):
        if name in beyond:
            continue
        assert edited in (clone / name / "app.py").read_text().splitlines()
        assert report(result)[name] == "applied: app.py"
    assert report(result)[rewritten].startswith("kept its own version: app.py")
    again = run_carry(clone)
    assert again.returncode == 0, output(again)
    assert report(again)[NEXT] == "already there: app.py"


def resolve(path: Path, old: str, new: str) -> None:
    """Resolve each conflict block as a maintainer would here: the copy's
    own lines, with the edit made in them."""
    block = re.compile(r"<<<<<<< [^\n]*\n(.*?)\|\|\|\|\|\|\| .*?"
                       r">>>>>>> [^\n]*\n", re.S)
    text = block.sub(lambda found: found[1].replace(old + "\n", new + "\n"),
                     path.read_text())
    path.write_text(text)


# What git merge-file does, and how carry reads it

def test_git_merges_edits_one_line_apart_but_not_adjacent_ones():
    base = b"a\nb\nc\nd\n"
    labels = ("copy", "before", "after")
    apart = carry.merge_file(labels, b"A\nb\nc\nd\n", base, b"a\nb\nC\nd\n")
    assert apart == ("A\nb\nC\nd\n", 0)
    text, conflicts = carry.merge_file(labels, b"a\nB\nc\nd\n", base,
                                       b"a\nb\nC\nd\n")
    assert conflicts == 1
    assert carry.resolve(text).conflicts == 1  # "c" survives in the copy


def test_a_block_whose_lines_the_copy_rewrote_resolves_to_the_copy():
    text, conflicts = carry.merge_file(
        ("copy", "before", "after"), b"a\nnew wording\nc\n", b"a\nb\nc\n",
        b"a\nb edited\nc\n")
    assert conflicts == 1
    merged = carry.resolve(text)
    assert (merged.text, merged.kept, merged.conflicts) == (
        "a\nnew wording\nc\n", [(2, 1)], 0)


# What carry refuses

def test_a_folder_that_is_not_a_checkpoint_is_refused(clone):
    for source in ("part2_chat/steps", "exercises/part2_typing", "nowhere"):
        result = run_carry(clone, source)
        assert result.returncode == 2, output(result)
        assert source in result.stderr
        assert f"  {FROM}\n" in result.stderr, result.stderr
    assert not changed(clone)


def test_a_checkpoint_without_a_change_has_nothing_to_carry(clone):
    result = run_carry(clone, f"./{FROM}/")
    assert result.returncode == 0, output(result)
    assert result.stdout == (
        f"{FROM} has no uncommitted change: nothing to carry\n")


def test_a_block_that_already_has_the_change_is_no_conflict():
    """A person resolved a conflict by hand (the edit, and the copy's own
    neighbouring line); carrying again finds the change there."""
    text, conflicts = carry.merge_file(
        ("copy", "before", "after"), b"x\nA2\nB2\ny\n", b"x\nA\nB\ny\n",
        b"x\nA2\nB\ny\n")
    assert conflicts == 1  # git: adjacent changes
    merged = carry.resolve(text)
    assert (merged.conflicts, merged.kept) == (0, [])
    assert merged.text == "x\nA2\nB2\ny\n"


def test_in_a_file_with_a_conflict_no_block_is_decided_unseen(clone):
    """Where a person must edit the file anyway, the blocks the later step
    would have won stay marked too: nothing of the change is dropped."""
    conflict_in_step_6(clone)
    app = clone / FROM / "app.py"
    text = app.read_text()
    first = text.splitlines()[0]  # step 5's title, which step 6 rewrites
    app.write_text(text.replace(first, first + " (edited)", 1))
    result = run_carry(clone)
    assert result.returncode == 1, output(result)
    assert report(result)[NEXT] == (
        "conflict: app.py (2 blocks marked in the file)"), output(result)
    assert (clone / NEXT / "app.py").read_text().count("<<<<<<< ") == 2
