"""Carry an edit of one checkpoint into every copy built on it.

Each checkpoint is a copy of the one before it plus one lesson, and each
exercise solution is a copy of its base checkpoint plus one exercise. A
fix made in one checkpoint therefore belongs in all the copies after it:

    make carry FROM=part2_chat/steps/5_bad_input
    python -m tutorial.carry part2_chat/steps/5_bad_input

The change is what git shows as uncommitted in FROM (working tree against
HEAD). It travels hop by hop: each later checkpoint takes it from the
checkpoint just before it, each exercise solution from its base. Every hop
is a three-way merge by `git merge-file` (the copy's file, the earlier
folder's file before the change, and after it), so a copy keeps its own
lesson around the edit. Where a later step rewrote the very lines the edit
touches, the step's version wins and the report says so; any other
conflict stays in the file with git's markers and stops that file there.

It prints one line per copy and exits 0, or 1 if a conflict waits for a
person: resolve the markers, then carry on from the first checkpoint that
had one (`make carry FROM=<it>`). Carrying again is safe: a copy that has
the change reports it as "already there" and is left alone.
"""
import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tutorial import chain

# git's conflict markers (marker size 7) in `git merge-file --diff3` output.
OURS, BASE, THEIRS, END = "<" * 7, "|" * 7, "=" * 7, ">" * 7
GIT_TIMEOUT = 60  # seconds; git answers these in well under one

APPLIED = "applied"
KEPT = "kept its own version"
ALREADY = "already there"
CONFLICT = "conflict"
WAITS = "waits"
# The order the statuses are listed in, and how each one's list starts.
HEADINGS = {APPLIED: "applied: ", KEPT: "kept its own version: ",
            ALREADY: "already there: ", CONFLICT: "conflict: ",
            WAITS: "waits for the conflict in "}

# One file's change: (before, after), the bytes or None when absent.
Change = tuple[bytes | None, bytes | None]


class CarryError(Exception):
    """The command cannot start: not in a git checkout, FROM not a
    checkpoint. Its message is for the maintainer."""


@dataclass
class Copy:
    """A folder the change is carried into, and where it takes it from."""
    name: str  # below the repository, e.g. part2_chat/steps/6_reconnecting
    folder: Path
    source: str  # the name of the folder whose change it takes
    is_step: bool  # a checkpoint (False: an exercise solution)

    @property
    def who(self) -> str:
        """How a note names it: "this step" or "this solution"."""
        return "this step" if self.is_step else "this solution"


@dataclass
class Outcome:
    """What happened to one file of one copy."""
    status: str  # one of HEADINGS
    relative: str
    note: str = ""
    flows: Change | None = None  # the change that goes on to later copies
    waits_for: str = ""  # where the conflict that stops this file is

    def describe(self) -> str:
        """The file as the report lists it."""
        if self.status == WAITS:
            return self.waits_for
        return f"{self.relative} {self.note}".strip()


@dataclass
class Merged:
    """A merge's text with the blocks a later step rewrote resolved."""
    text: str
    kept: list[tuple[int, int]] = field(default_factory=list)  # (line, n)
    conflicts: int = 0


@dataclass
class Block:
    """One conflict block of diff3 output: its three sections, and its
    lines as git wrote them (markers included)."""
    ours: list[str] = field(default_factory=list)
    base: list[str] = field(default_factory=list)
    theirs: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


# git

def git(root: Path, *args: str) -> subprocess.CompletedProcess:
    """Run git in `root` and return its result (bytes; not checked)."""
    return subprocess.run(["git", *args], cwd=root, capture_output=True,
                          timeout=GIT_TIMEOUT)


def toplevel(cwd: Path) -> Path:
    """The top folder of the git checkout `cwd` is in."""
    result = git(cwd, "rev-parse", "--show-toplevel")
    if result.returncode != 0:
        raise CarryError(f"{cwd} is not inside a git checkout: carry takes "
                         "the change of a folder from git")
    return Path(result.stdout.decode().strip()).resolve()


def at_head(root: Path, path: str) -> bytes | None:
    """The bytes of `path` (below root) as committed at HEAD, or None."""
    result = git(root, "cat-file", "blob", f"HEAD:{path}")
    return result.stdout if result.returncode == 0 else None


def head_files(root: Path, checkpoint: chain.Checkpoint) -> set[Path]:
    """The files git has at HEAD in the checkpoint's folder, relative to
    it, with the filters of chain.lesson_files(): so a file the working
    tree lost still counts as one of the checkpoint's."""
    below = checkpoint.folder.relative_to(root).as_posix()
    result = git(root, "ls-tree", "-r", "-z", "--name-only", "HEAD", "--",
                 f"{below}/")
    names = result.stdout.decode().split("\0") if result.returncode == 0 \
        else []
    found = set()
    for name in filter(None, names):
        relative = Path(name).relative_to(below)
        if not (any(part.startswith(".") or part == "__pycache__"
                    for part in relative.parts[:-1])
                or relative.suffix == ".pyc"
                or (checkpoint.finished and chain.is_in_steps(relative))):
            found.add(relative)
    return found


def merge_file(labels: tuple[str, str, str], ours: bytes | None,
               base: bytes | None, theirs: bytes | None) -> tuple[str, int]:
    """git merge-file's diff3 result of the three versions (None: an
    empty file) and its number of conflicts. git does the merging: its
    rules are the ones a maintainer already knows from `git merge`."""
    with tempfile.TemporaryDirectory(prefix="carry-") as scratch:
        paths = []
        for name, data in zip(("ours", "base", "theirs"),
                              (ours, base, theirs)):
            path = Path(scratch) / name
            path.write_bytes(data or b"")
            paths.append(str(path))
        command = ["git", "merge-file", "-p", "--diff3"]
        for label in labels:
            command += ["-L", label]
        result = subprocess.run(command + paths, capture_output=True,
                                timeout=GIT_TIMEOUT)
    if not 0 <= result.returncode <= 127:
        raise RuntimeError("git merge-file failed: "
                           + result.stderr.decode(errors="replace"))
    return result.stdout.decode("utf-8"), result.returncode


# Which files take part, and what FROM's change is

def read(path: Path) -> bytes | None:
    """The bytes of the file at `path`, or None if there is none."""
    return path.read_bytes() if path.is_file() else None


def is_text(relative: str, *versions: bytes | None) -> bool:
    """Whether every version can be merged line by line: UTF-8 without a
    NUL byte, and not vendored (a minified library is one long line that
    is only ever replaced whole)."""
    if chain.vendored(relative):
        return False
    for data in versions:
        if data is None:
            continue
        if b"\0" in data:
            return False
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def uncommitted_change(root: Path,
                       checkpoint: chain.Checkpoint) -> dict[str, Change]:
    """{file: (at HEAD, in the working tree)} for the files of the
    checkpoint that differ: added, deleted or edited."""
    files = chain.lesson_files(checkpoint.folder) | head_files(root,
                                                               checkpoint)
    below = checkpoint.folder.relative_to(root).as_posix()
    change = {}
    for relative in sorted(files, key=chain.reading_order):
        before = at_head(root, f"{below}/{relative.as_posix()}")
        after = read(checkpoint.folder / relative)
        if before != after:
            change[relative.as_posix()] = (before, after)
    return change


def find_checkpoint(root: Path, argument: str) -> chain.Checkpoint:
    """The checkpoint FROM names: a folder below the current folder or
    the repository's top ("./" and a trailing slash are fine)."""
    for start in (Path.cwd(), root):
        checkpoint = chain.find(root, start / argument)
        if checkpoint is not None:
            return checkpoint
    names = "\n".join(f"  {c.name}" for c in chain.checkpoints(root))
    raise CarryError(f"{argument} is not a checkpoint. FROM must be one "
                     f"of these folders:\n{names}")


def copies(root: Path, checkpoint: chain.Checkpoint) -> list[Copy]:
    """The folders built on `checkpoint`, in the order the change reaches
    them: the later checkpoints hop by hop, then the exercise solutions,
    each from its base (which by then has the change)."""
    found, source = [], checkpoint.name
    for later in chain.after(root, checkpoint):
        found.append(Copy(later.name, later.folder, source, True))
        source = later.name
    for exercise in chain.solutions_on(root, checkpoint):
        base = chain.find(root, root / exercise.base)
        found.append(Copy(Path(exercise.folder).as_posix(),
                          root / exercise.folder, base.name, False))
    return found


# Reading git's diff3 output

def marker(line: str) -> str | None:
    """Which of git's markers `line` is, if any (size 7 exactly)."""
    head = line[:7]
    if head in (OURS, BASE, THEIRS, END) and line[7:8] in ("", " ", "\n",
                                                           "\r"):
        return head
    return None


def has_markers(data: bytes | None) -> bool:
    """Whether a file still holds an unresolved conflict: merging into it
    again would nest markers inside markers."""
    if data is None:
        return False
    text = data.decode("utf-8", errors="replace")
    found = {marker(line) for line in text.splitlines()}
    return OURS in found and END in found


def pieces(text: str) -> list[str | Block]:
    """The diff3 output as plain lines and conflict blocks, in order."""
    found: list[str | Block] = []
    block, section = None, None
    # Each marker opens the next section, in git's order only, so a
    # content line such as a Markdown "=======" elsewhere stays content.
    opens = {OURS: "ours", BASE: "base", THEIRS: "theirs"}
    expected = {None: OURS, "ours": BASE, "base": THEIRS, "theirs": END}
    for line in text.splitlines(keepends=True):
        kind = marker(line)
        if kind is not None and kind == expected[section]:
            if kind == OURS:
                block = Block()
            block.lines.append(line)
            if kind == END:
                found.append(block)
                block, section = None, None
            else:
                section = opens[kind]
            continue
        if block is None:
            found.append(line)
        else:
            getattr(block, section).append(line)
            block.lines.append(line)
    if block is not None:  # cut short: keep what git wrote
        found.extend(block.lines)
    return found


def rewritten(block: Block) -> bool:
    """Whether the copy rewrote the lines the change touches: none of the
    base's non-blank lines survives in the copy's section (a line only
    re-indented counts as surviving). Then the copy's version wins; any
    other block is a conflict a person must resolve."""
    base = [line.strip() for line in block.base if line.strip()]
    ours = {line.strip() for line in block.ours}
    return bool(base) and not any(line in ours for line in base)


def has_change(block: Block) -> bool:
    """Whether the copy's section already has the change: it holds every
    line the change brings and none of the lines it takes away (a copy
    whose conflict a person resolved, carried again, is not news)."""
    base = {line.strip() for line in block.base if line.strip()}
    theirs = {line.strip() for line in block.theirs if line.strip()}
    ours = {line.strip() for line in block.ours if line.strip()}
    brought, taken = theirs - base, base - theirs
    return bool(brought | taken) and brought <= ours and not taken & ours


def resolve(text: str) -> Merged:
    """The merge with every block the copy rewrote replaced by the copy's
    own lines, and every block that already has the change too; the other
    blocks stay as git marked them."""
    merged = Merged("")
    lines: list[str] = []
    for piece in pieces(text):
        if isinstance(piece, str):
            lines.append(piece)
        elif has_change(piece):
            lines.extend(piece.ours)
        elif rewritten(piece):
            merged.kept.append((len(lines) + 1, len(piece.ours)))
            lines.extend(piece.ours)
        else:
            merged.conflicts += 1
            lines.extend(piece.lines)
    merged.text = "".join(lines)
    return merged


def where(kept: list[tuple[int, int]], who: str) -> str:
    """The kept lines as a report names them: "lines 88-90, line 120
    (this step rewrites them)"."""
    spans = []
    for first, count in kept:
        if count == 0:  # the copy removed the lines
            spans.append(f"near line {first}")
        elif count == 1:
            spans.append(f"line {first}")
        else:
            spans.append(f"lines {first}-{first + count - 1}")
    them = "it" if kept == [(kept[0][0], 1)] else "them"
    return f"{', '.join(spans)} ({who} rewrites {them})"


# Carrying one file into one copy

def carry_text(copy: Copy, relative: str, ours: bytes | None,
               change: Change) -> Outcome:
    """Merge the change into the copy's text file and write the result."""
    base, theirs = change
    labels = (copy.name, f"{copy.source} before", f"{copy.source} after")
    text = merge_file(labels, ours, base, theirs)[0]
    merged = resolve(text)
    result = merged.text.encode("utf-8")
    if merged.conflicts:
        # A person edits this file anyway: every block stays marked, also
        # those the copy's version would have won, so nothing of the
        # change is dropped unseen.
        write(copy.folder / relative, text.encode("utf-8"))
        blocks = sum(isinstance(piece, Block) for piece in pieces(text))
        return Outcome(CONFLICT, relative,
                       f"({blocks} block{'s' * (blocks != 1)} marked in "
                       "the file)")
    kept = where(merged.kept, copy.who) if merged.kept else ""
    if result != ours:
        write(copy.folder / relative, result)
        note = (f"(kept its own {kept})" if kept
                else "(new)" if ours is None else "")
        return Outcome(APPLIED, relative, note, flows=(ours, result))
    if kept:
        return Outcome(KEPT, relative, kept,
                       flows=(without(copy, ours, change), ours))
    return Outcome(ALREADY, relative,
                   flows=(without(copy, ours, change), ours))


def without(copy: Copy, ours: bytes | None, change: Change) -> bytes | None:
    """The copy's file as it would be without the change, which it
    already has: the change merged backwards. Copies further on that lack
    the change then still get it; if the way back conflicts, the copy's
    own file is used and the change stops here."""
    base, theirs = change
    if ours == theirs:
        return base
    labels = (copy.name, f"{copy.source} after", f"{copy.source} before")
    merged = resolve(merge_file(labels, ours, theirs, base)[0])
    if merged.conflicts:
        return ours
    return merged.text.encode("utf-8")


def carry_whole(copy: Copy, relative: str, ours: bytes | None,
                change: Change, origin: str) -> Outcome:
    """Carry a change that cannot be merged line by line: a deleted file,
    or one that is not text (a vendored library, an image). It applies
    only where the copy's file is as the change found it."""
    base, theirs = change
    if ours == theirs:
        return Outcome(ALREADY, relative, flows=change)
    if ours == base:
        write(copy.folder / relative, theirs)
        note = "(deleted)" if theirs is None else "(new)" if ours is None \
            else ""
        return Outcome(APPLIED, relative, note, flows=change)
    if theirs is None:
        note = f"({origin} deletes it, {copy.who} changed it; left as is)"
    else:
        note = f"(not text, and {copy.who} changed it too; left as is)"
    return Outcome(CONFLICT, relative, note)


def carry_file(copy: Copy, relative: str, change: Change,
               origin: str) -> Outcome:
    """Carry one file's change into `copy` and say what happened."""
    ours = read(copy.folder / relative)
    base, theirs = change
    if has_markers(ours):
        return Outcome(CONFLICT, relative,
                       "(still holds conflict markers: resolve them first)")
    if ours is None and base is not None and theirs is not None:
        # The copy deleted the file the change edits: like rewritten
        # lines, the copy's version wins.
        return Outcome(KEPT, relative, f"({copy.who} deleted it)")
    if theirs is None or not is_text(relative, ours, base, theirs):
        return carry_whole(copy, relative, ours, change, origin)
    return carry_text(copy, relative, ours, change)


def write(path: Path, data: bytes | None) -> None:
    """Put `data` at `path`, or delete the file for None."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# The whole run

@dataclass
class Flow:
    """What a folder passes on: the changes of its files, and the files
    held back by a conflict (file -> where that conflict is)."""
    changes: dict[str, Change] = field(default_factory=dict)
    waiting: dict[str, str] = field(default_factory=dict)


def carry_into(copy: Copy, source: Flow,
               origin: str) -> tuple[list[Outcome], Flow]:
    """Carry the source folder's flow into one copy: its outcomes, and
    the flow it passes on."""
    outcomes, flow = [], Flow()
    for relative, at in source.waiting.items():
        outcomes.append(Outcome(WAITS, relative, waits_for=at))
        flow.waiting[relative] = at
    for relative, change in source.changes.items():
        outcome = carry_file(copy, relative, change, origin)
        outcomes.append(outcome)
        if outcome.status == CONFLICT:
            flow.waiting[relative] = f"{copy.name}/{relative}"
        elif outcome.flows and outcome.flows[0] != outcome.flows[1]:
            flow.changes[relative] = outcome.flows
    return outcomes, flow


def report_line(name: str, outcomes: list[Outcome], width: int) -> str:
    """One folder's line: its files grouped by what happened to them."""
    groups = []
    for status, heading in HEADINGS.items():
        listed = [o.describe() for o in outcomes if o.status == status]
        if listed:
            groups.append(heading + ", ".join(dict.fromkeys(listed)))
    return f"{name:<{width}}  {'; '.join(groups) or 'nothing to carry'}"


def files(count: int) -> str:
    """"1 file", "2 files"."""
    return f"{count} file" if count == 1 else f"{count} files"


def summary(origin: str, results: dict[str, list[Outcome]],
            checkpoint_names: set[str]) -> list[str]:
    """The closing lines: counts, and what to do about conflicts."""
    every = [o for outcomes in results.values() for o in outcomes]
    count = {status: sum(o.status == status for o in every)
             for status in HEADINGS}
    reached = "1 copy" if len(results) == 1 else f"{len(results)} copies"
    lines = [f"Carried {origin}'s change into {reached}: "
             f"{files(count[APPLIED])} applied, {count[ALREADY]} already "
             f"there, {count[KEPT]} kept their own version, "
             f"{count[CONFLICT]} in conflict"
             + (f", {count[WAITS]} waiting for one." if count[WAITS]
                else ".")]
    conflicted = [(name, o.relative) for name, outcomes in results.items()
                  for o in outcomes if o.status == CONFLICT]
    if conflicted:
        lines.append("Resolve these conflicts by hand (in a text file, "
                     "git's markers show both versions):")
        lines += [f"  {name}/{relative}" for name, relative in conflicted]
        steps = [name for name, _ in conflicted if name in checkpoint_names]
        if steps:
            lines.append(f"then run `make carry FROM={steps[0]}` to carry "
                         "on from there.")
        else:
            lines.append("No copy is built on an exercise solution: once "
                         "they are resolved, the change is carried.")
    return lines


def carry(root: Path, checkpoint: chain.Checkpoint) -> int:
    """Carry the checkpoint's uncommitted change through every copy built
    on it, print what happened and return the exit code."""
    change = uncommitted_change(root, checkpoint)
    if not change:
        print(f"{checkpoint.name} has no uncommitted change: "
              "nothing to carry")
        return 0
    flows = {checkpoint.name: Flow(change)}
    results: dict[str, list[Outcome]] = {}
    for copy in copies(root, checkpoint):
        results[copy.name], flows[copy.name] = carry_into(
            copy, flows[copy.source], checkpoint.name)
    width = max(map(len, results), default=0)
    for name, outcomes in results.items():
        print(report_line(name, outcomes, width))
    names = {c.name for c in chain.checkpoints(root)}
    print("\n".join(summary(checkpoint.name, results, names)))
    return 1 if any(o.status == CONFLICT for outcomes in results.values()
                    for o in outcomes) else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m tutorial.carry FROM`: 0 when carried everywhere, 1 when
    a conflict waits for a person, 2 when FROM is not a checkpoint."""
    parser = argparse.ArgumentParser(
        prog="python -m tutorial.carry",
        description="Carry a checkpoint's uncommitted change into the "
                    "checkpoints and exercise solutions built on it.")
    parser.add_argument("FROM", help="the checkpoint folder, e.g. "
                                     "part2_chat/steps/5_bad_input")
    arguments = parser.parse_args(argv)
    try:
        root = toplevel(Path.cwd())
        checkpoint = find_checkpoint(root, arguments.FROM)
    except CarryError as error:
        print(f"carry: {error}", file=sys.stderr)
        return 2
    return carry(root, checkpoint)


if __name__ == "__main__":
    sys.exit(main())
