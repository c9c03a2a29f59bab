"""How long a learner waits for their check: `make bench-check`.

For every checkpoint from part 2 on, two copies are checked as a learner
checks them (`python -m tutorial check COPY STEP`, tutorial/check.py):

- a faithful copy, which must pass: the seconds to its verdict ("n of n
  checks pass") and to the end of the run;
- a copy of the step before, checked at this step (the lesson missing): the
  seconds to the first "Fails (…)" line, which check it names, and the
  seconds to the end of the run.

Run it on an otherwise idle machine: `python -m bench.check_bench` from the
repository folder prints the table; --docs writes it into the "The
learner's check" section of docs/benchmark.md.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tutorial import chain
from tutorial.chain import REPO

DOCS_PAGE = REPO / "docs" / "benchmark.md"
START = "<!-- bench:check:start (written by bench/check_bench.py; edits here are replaced) -->"
END = "<!-- bench:check:end -->"
VERDICT = re.compile(rb"(\d+) of (\d+) checks pass")
FAILS = re.compile(rb"^Fails \((.+)\):$", re.M)
TIMEOUT = 600  # seconds for one check, however slow the machine


@dataclass
class Run:
    verdict: float | None  # seconds to the verdict (pass, or the first failure)
    end: float  # seconds to the end of the run
    status: int
    first_failure: str  # the node id of the first "Fails (…)", or ""
    checks: str  # "n of m" from the run's last line


def run_check(copy: Path, step: str) -> Run:
    """Run the check as a learner does, timing what it prints as it prints it."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "tutorial", "check", str(copy), step], cwd=REPO,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"})
    output, verdict = b"", None
    while chunk := os.read(process.stdout.fileno(), 65536):
        output += chunk
        if verdict is None and (FAILS.search(output) or VERDICT.search(output)):
            verdict = time.monotonic() - started
        if time.monotonic() - started > TIMEOUT:
            process.kill()
    status = process.wait()
    failure = FAILS.search(output)
    counts = VERDICT.findall(output)
    return Run(verdict, time.monotonic() - started, status,
               failure[1].decode() if failure else "",
               " of ".join(c.decode() for c in counts[-1]) if counts else "")


def copy_of(folder: Path, into: Path) -> Path:
    """A learner's copy of `folder`: without its later steps, or what a run left."""
    return shutil.copytree(folder, into, ignore=shutil.ignore_patterns(
        "steps", "nginx-tmp", "nginx.pid", "__pycache__"))


def measure() -> list[tuple[chain.Checkpoint, Run, Run]]:
    rows = []
    for checkpoint in chain.checkpoints(REPO):
        if checkpoint.part < 2:
            continue
        step = chain.step_name(checkpoint)
        before = chain.previous(REPO, checkpoint)
        with tempfile.TemporaryDirectory() as folder:
            faithful = run_check(copy_of(checkpoint.folder, Path(folder) / "a"), step)
            behind = run_check(copy_of(before.folder, Path(folder) / "b"), step)
        rows.append((checkpoint, faithful, behind))
        print(f"{checkpoint.name}: faithful {faithful.verdict or 0:.1f} s / "
              f"{faithful.end:.1f} s ({faithful.checks}, exit {faithful.status}); "
              f"the step before {behind.verdict or 0:.1f} s / {behind.end:.1f} s, "
              f"first failure {behind.first_failure or '(none)'}", flush=True)
    return rows


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def markdown(rows: list[tuple[chain.Checkpoint, Run, Run]]) -> str:
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        f"Measured {when} on {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}: each check "
        "run as a learner runs it, `python -m tutorial check COPY STEP`. The "
        "verdict is \"n of n checks pass\" for a faithful copy, and the first "
        "\"Fails (…)\" line for a copy of the step before, checked at this step.",
        "",
        "| step | faithful: checks | verdict | end | the step before: verdict "
        "| end | the first check that fails |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for checkpoint, faithful, behind in rows:
        failing = behind.first_failure.split("::")[-1] if behind.first_failure else "–"
        lines.append(
            f"| {checkpoint.label} | {faithful.checks} | {seconds(faithful.verdict)} "
            f"| {seconds(faithful.end)} | {seconds(behind.verdict)} "
            f"| {seconds(behind.end)} | `{failing}` |")
    return "\n".join(lines) + "\n"


def write_into_docs(table: str) -> None:
    page = DOCS_PAGE.read_text()
    before, _, rest = page.partition(START)
    _, found, after = rest.partition(END)
    if not found:
        raise SystemExit(f"{DOCS_PAGE} has no {START} … {END} section")
    DOCS_PAGE.write_text(f"{before}{START}\n\n{table}\n{END}{after}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", action="store_true",
                        help=f"write the table into {DOCS_PAGE.relative_to(REPO)}")
    options = parser.parse_args()
    rows = measure()
    table = markdown(rows)
    print(table)
    if options.docs:
        write_into_docs(table)
    broken = [c.name for c, faithful, _ in rows if faithful.status != 0]
    if broken:
        raise SystemExit(f"faithful copies that failed their check: {broken}")


if __name__ == "__main__":
    main()
