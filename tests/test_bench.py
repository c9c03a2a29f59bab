"""The benchmark (bench/, `make bench`) on a tiny scenario: 5 users against part2, one of
them sending 10 messages. Checks that the report has its fields and nothing was lost;
no timing is asserted, because other work on the machine changes the figures."""
import json
import re
import shutil
import subprocess
import sys
import pytest

from tutorial.chain import REPO


def test_tiny_benchmark_reports_every_field_and_loses_nothing(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench", "--set", "tiny",
         "--json", str(tmp_path / "bench.json"), "--markdown", str(tmp_path / "bench.md"),
         "--plot", str(tmp_path / "bench.png")],
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    # The output says that the rate limit was raised, so it cannot shape the figures.
    assert "CHAT_MESSAGES_PER_SECOND=1000000" in result.stdout

    report = json.loads((tmp_path / "bench.json").read_text())
    runs = {run["server"]: run for run in report["runs"]}
    assert sorted(runs) == ["part2", "part2-guard"], (
        "the tiny set runs part2 alone and behind the guard")
    for run in runs.values():
        assert run["joined"] == run["clients"] == 5
        assert run["join_errors"] == [] and run["disconnects"] == 0
        assert run["announcements"] == run["announcements_expected"] == 5 * 4 // 2
        assert run["expected"] == 5 * 10
        assert run["delivered"] == run["expected"] and run["loss"] == 0
        assert run["duplicates"] == 0 and run["acks_refused"] == 0
        for name in ["join_s", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms",
                     "latency_max_ms", "deliveries_per_s", "server_cpu_us_per_delivery",
                     "generator_cpu_s", "generator_busy_max", "machine_busy"]:
            assert name in run
        assert run["latency_p50_ms"] > 0 and run["deliveries_per_s"] > 0
        assert len(run["generator_cpu_s"]) == report["generators"] >= 2
    assert sorted(runs["part2-guard"]["server_cpu_parts"]) == ["guard", "server"], (
        "behind the guard, the CPU of the chat and of the guard are both counted")
    machine = report["machine"]
    assert machine["cores"] >= 1 and machine["cpu"] and machine["python"]

    page = (tmp_path / "bench.md").read_text()
    assert "| server | joined | delivered / expected | latency p50 |" in page
    assert "| part2 + guard |" in page
    assert "![" in page and (tmp_path / "bench.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("target", ["bench", "bench-full", "bench-guard"])
def test_make_bench_writes_only_into_the_ignored_results_folder(target):
    """Measuring a laptop leaves `git status` clean: only `make bench-docs` writes the
    tracked docs/benchmark.md and docs/images/benchmark.png."""
    dry_run = subprocess.run(["make", "-n", "-o", ".venv/.installed-dev", target],
                             cwd=REPO, capture_output=True, text=True, timeout=30)
    written = re.findall(r"--(?:json|markdown|plot) (\S+)", dry_run.stdout)
    assert written, f"make {target} should write its results:\n{dry_run.stdout}"
    assert all(path.startswith("bench/results/") for path in written), (
        f"make {target} should write only into bench/results/: it writes {written}")
    ignored = subprocess.run(["git", "check-ignore", *written], cwd=REPO,
                             capture_output=True, text=True)
    if ignored.returncode == 128:
        pytest.skip(f"not a git checkout: {ignored.stderr}")
    assert sorted(ignored.stdout.split()) == sorted(written), (
        f".gitignore should list bench/results/: git ignores only {ignored.stdout.split()}")


def run_of(us_per_delivery, cpu_seconds):
    """The medians bench/report.py summarizes a server's runs to (the fields used here):
    over a million deliveries, a second of CPU is a µs per delivery."""
    return {"server_cpu_us_per_delivery": us_per_delivery, "delivered": 1_000_000,
            "server_cpu_parts": cpu_seconds}


@pytest.mark.parametrize(("guarded", "met"), [(23.9, True), (24.1, False)])
def test_the_guard_s_cost_is_judged_by_the_ratio_of_both_figures(guarded, met):
    """make bench-guard prints part2's CPU per delivery alone and behind the guard, the
    guard's share, and their ratio against issue 32's 1.2×."""
    from bench import report
    summary = {"G": {"part2": run_of(20.0, {"server": 20.0}),
                     "part2-guard": run_of(guarded, {"server": 20.0,
                                                     "guard": guarded - 20.0})}}
    [target] = report.targets(summary)
    assert target["met"] is met
    assert "20.0 µs" in target["detail"] and f"{guarded:.1f} µs" in target["detail"]
    assert f"{guarded / 20:.2f}×" in target["detail"]
    assert f"the guard {guarded - 20:.1f}" in target["detail"]
