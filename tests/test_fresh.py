"""`python -m tutorial fresh COPY STEP` (tutorial/fresh.py): the pages' one way to
start a step afresh. Unlike `cp -r`, it never copies into an existing folder and never
loses one (issue 33: `cp -r FOLDER ~/my-chat` with ~/my-chat there put the copy inside
it, said nothing, and the check then tested the old copy)."""
import filecmp
import re
import subprocess
import sys

from tutorial.chain import REPO


def fresh(copy, step):
    return subprocess.run([sys.executable, "-m", "tutorial", "fresh", str(copy), step],
                          cwd=REPO, capture_output=True, text=True, timeout=60)


def test_twice_in_a_row_leaves_one_copy_and_keeps_the_first_under_its_name(tmp_path):
    copy = tmp_path / "my-chat"
    first = fresh(copy, "5")
    assert first.returncode == 0, first.stdout + first.stderr
    (copy / "app.py").write_text("# what I typed\n")
    second = fresh(copy, "5")
    assert second.returncode == 0, second.stdout + second.stderr
    kept = re.search(r"is kept, as (\S+)\.$", second.stdout, re.M)
    assert kept, f"the second run should say where the earlier copy went:\n{second.stdout}"
    assert (tmp_path / kept[1]).joinpath("app.py").read_text() == "# what I typed\n"
    aside = kept[1].split("/")[-1]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["my-chat", aside])
    step = REPO / "part2_chat" / "steps" / "5_bad_input"
    same = filecmp.dircmp(step, copy, ignore=["__pycache__"])
    assert not (same.left_only or same.right_only or same.diff_files), (
        f"{copy} should be a copy of {step}: {same.left_only, same.right_only, same.diff_files}")


def test_a_finished_part_comes_without_its_steps(tmp_path):
    result = fresh(tmp_path / "my-chat", "part4")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "my-chat" / "nginx.conf").exists()
    assert not (tmp_path / "my-chat" / "steps").exists(), (
        "a copy of a finished part should not hold the part's steps")


def test_a_step_the_pages_do_not_name_is_refused_with_the_forms(tmp_path):
    result = fresh(tmp_path / "my-chat", "9")
    assert result.returncode == 2 and "names no checkpoint" in result.stderr
    assert not (tmp_path / "my-chat").exists()
