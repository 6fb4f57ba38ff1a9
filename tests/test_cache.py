"""The per-file cache: hits on an unchanged tree, invalidation by content, configuration and
dependencies, and safety against corrupt, foreign or concurrently written cache files; and the
record of the last run, reused whole when nothing it depends on changed."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from injected import ConstantUse, inject
from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
CLEAN = "x = 1\n"


def run(*args: str):
    result = CliRunner().invoke(main, ["check", "--timings", *args], catch_exceptions=False)
    match = re.search(r"timing: files (\d+), cache hits (\d+)", result.stderr)
    assert match, result.output
    result.files, result.hits = int(match.group(1)), int(match.group(2))
    result.reused = "last identical run reused" in result.stderr
    return result


def age(*paths, seconds: float = 60) -> None:
    """Date files and folders back, beyond the racy window: as in a tree not being edited."""
    everything = [Path("."), *(p for p in Path(".").rglob("*") if ".leaklint_cache" not in p.parts)]
    for p in paths or everything:
        os.utime(p, (time.time() - seconds, time.time() - seconds))


def settled(*args: str):
    """Run, let the tree age, run again: the second run can vouch for what it looked at, and
    records it (the first run also created the cache folder, a change to the tree's root). The
    tree is a repository, as most are: the folders above it are none of its business."""
    Path(".git").mkdir(exist_ok=True)
    run(*args)
    age()
    return run(*args)


def limits_package(limit=None) -> None:
    """``pkg.user`` uses ``pkg.limits.LIMIT`` (with ``ConstantUse``: LL901 when it is positive);
    ``pkg/limits.py`` is written only with a ``limit``."""
    Path("pkg").mkdir()
    Path("pkg/__init__.py").write_text("", encoding="utf-8")
    if limit is not None:
        Path("pkg/limits.py").write_text(f"LIMIT = {limit}\n", encoding="utf-8")
    Path("pkg/user.py").write_text("from pkg.limits import LIMIT\n\nuse(LIMIT)\n", encoding="utf-8")


def cache_files():
    return sorted(Path(".leaklint_cache").glob("v*.json"))


def tree(n: int = 6) -> None:
    for i in range(n):
        Path(f"m{i}.py").write_text(HAZARD if i % 2 else CLEAN, encoding="utf-8")


def test_second_run_hits_the_cache_with_identical_output():
    tree()
    first = run(".")
    assert (first.files, first.hits) == (6, 0)
    second = run(".")
    assert (second.files, second.hits) == (6, 6)
    assert second.stdout == first.stdout and second.exit_code == first.exit_code == 1


def test_editing_a_file_invalidates_only_that_file():
    tree()
    run(".")
    Path("m0.py").write_text(HAZARD, encoding="utf-8")
    after = run(".")
    assert after.hits == 5
    assert "m0.py:5:12: LL101" in after.stdout
    Path("m1.py").write_text(CLEAN, encoding="utf-8")
    again = run(".")
    assert again.hits == 5 and "m1.py" not in again.stdout


def test_editing_the_configuration_invalidates():
    tree()
    run(".")
    Path("pyproject.toml").write_text('[tool.leaklint.timeouts]\nfix-timeout = "30"\n', encoding="utf-8")
    changed = run(".")
    assert changed.hits == 0
    assert run(".").hits == 6


def test_selection_on_the_command_line_invalidates():
    tree()
    run(".")
    narrowed = run("--ignore", "LL101", ".")
    assert narrowed.hits == 0 and narrowed.exit_code == 0
    assert run(".").hits == 6  # each selection keeps its own cache file
    assert len(cache_files()) == 2


def test_files_that_could_not_be_analysed_are_not_cached():
    Path("broken.py").write_bytes(b"\xff\xfe\n")
    run(".")
    again = run(".")
    assert again.hits == 0 and "LL001" in again.stdout


def test_deferred_finding_is_re_resolved_when_its_dependency_changes(monkeypatch):
    inject(monkeypatch, ConstantUse)
    limits_package(0)
    first = run("pkg")
    assert first.exit_code == 0 and "LL901" not in first.stdout
    Path("pkg/limits.py").write_text("LIMIT = 5\n", encoding="utf-8")
    second = run("pkg")
    assert second.hits == 2  # user.py and __init__.py come from the cache ...
    assert "pkg/user.py:3:1: LL901 uses pkg.limits.LIMIT = 5" in second.stdout.replace("\\", "/")  # ... yet see it
    Path("pkg/limits.py").write_text("LIMIT = 0\n", encoding="utf-8")
    assert "LL901" not in run("pkg").stdout


def test_new_project_module_re_analyses_its_importers(monkeypatch):
    inject(monkeypatch, ConstantUse)
    limits_package()
    assert "LL901" not in run("pkg").stdout
    Path("pkg/limits.py").write_text("LIMIT = 7\n", encoding="utf-8")
    assert "LL901 uses pkg.limits.LIMIT = 7" in run("pkg").stdout


def test_a_new_module_that_no_file_imports_keeps_every_result(monkeypatch):
    inject(monkeypatch, ConstantUse)
    limits_package(3)
    first = run("pkg")
    Path("pkg/other.py").write_text("x = 1\n", encoding="utf-8")
    second = run("pkg")  # the set of modules changed: each entry's dependencies are checked again
    assert (second.files, second.hits) == (4, 3) and second.stdout == first.stdout
    (path,) = cache_files()
    tags = {e["modules"] for e in json.loads(path.read_text(encoding="utf-8"))["files"].values()}
    assert len(tags) == 1  # ... and recorded as checked against the new set, once
    third = run("pkg")
    assert (third.files, third.hits) == (4, 4) and third.stdout == second.stdout


def test_every_entry_keeps_the_stat_that_spares_reading_its_file(monkeypatch):
    inject(monkeypatch, ConstantUse)
    limits_package()
    for p in Path("pkg").iterdir():  # older than the racy window: its stat alone proves it unchanged
        os.utime(p, (time.time() - 60, time.time() - 60))
    run("pkg")
    Path("pkg/limits.py").write_text("LIMIT = 7\n", encoding="utf-8")
    second = run("pkg")  # user.py is unchanged on disk but analysed again: its dependencies changed
    assert (second.files, second.hits) == (3, 1)
    (path,) = cache_files()
    entries = json.loads(path.read_text(encoding="utf-8"))["files"]
    assert len(entries) == 3
    assert all(isinstance(e.get("stat"), list) for e in entries.values())


def test_an_entry_without_its_stat_gets_it_back():
    tree(2)
    age()  # a stat read within the racy window could not spare a read: it would not be kept
    run(".")
    (path,) = cache_files()
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data["files"].values():
        del entry["stat"], entry["read_ns"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert run(".").hits == 2  # read to compare digests, still hits ...
    data = json.loads(path.read_text(encoding="utf-8"))
    assert all(isinstance(e.get("stat"), list) for e in data["files"].values())  # ... and is restated


def test_a_file_just_edited_back_to_its_content_does_not_rewrite_the_cache():
    tree(2)
    age()
    run(".")
    (path,) = cache_files()
    written = path.stat().st_mtime_ns
    Path("m0.py").write_text(CLEAN, encoding="utf-8")  # the same content, a new mtime: read, still a hit
    again = run(".")
    assert again.hits == 2 and path.stat().st_mtime_ns == written  # its new stat cannot vouch yet


# --------------------------------------------------------------------------- safety
@pytest.mark.parametrize("content", [
    b"",
    b"{",
    b"\xff\xfe\x00garbage",
    b"[]",
    b'{"header": {"format": 999}, "files": {}}',
    b'{"header": null}',
    b"null",
    b'"just a string"',
    b"[" * 100_000,
])
def test_corrupt_or_foreign_cache_file_is_ignored_and_rebuilt(content):
    tree()
    expected = run("--no-cache", ".")
    run(".")
    (path,) = cache_files()
    path.write_bytes(content)
    result = run(".")
    assert result.stdout == expected.stdout and result.exit_code == expected.exit_code
    assert result.hits == 0
    json.loads(path.read_text(encoding="utf-8"))
    assert run(".").hits == 6


def test_truncated_cache_file_is_ignored_and_rebuilt():
    tree()
    run(".")
    (path,) = cache_files()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert run(".").hits == 0
    assert run(".").hits == 6


@pytest.mark.parametrize("tamper", [
    lambda e: e["findings"][0].__setitem__("line", "5"),
    lambda e: e["findings"][0].__setitem__("column", -3),
    lambda e: e["findings"][0].__setitem__("message", None),
    lambda e: e["findings"][0].__setitem__("path", "elsewhere.py"),
    lambda e: e["findings"][0].pop("code"),
    lambda e: e.__setitem__("findings", "nonsense"),
    lambda e: e.__setitem__("findings", [None]),
    lambda e: e.__setitem__("summary", []),
    lambda e: e.__setitem__("imports", [1]),
    lambda e: e.__setitem__("deferred", [{"finding": {}, "condition": []}]),
    lambda e: e.pop("project_deps"),
])
def test_malformed_entries_are_not_trusted(tamper):
    Path("svc.py").write_text(HAZARD + "\n\ndef again(u):\n    return requests.post(u)\n", encoding="utf-8")
    expected = run("--no-cache", "--format", "sarif", ".").stdout
    run(".")
    (path,) = cache_files()
    data = json.loads(path.read_text(encoding="utf-8"))
    tamper(data["files"]["svc.py"])
    path.write_text(json.dumps(data), encoding="utf-8")
    result = run("--format", "sarif", ".")
    assert result.hits == 0 and result.stdout == expected
    assert "Traceback" not in result.output


def test_cache_in_a_read_only_place_still_reports(monkeypatch):
    import leaklint.cache.store as cache

    def no_dirs(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache.os, "makedirs", no_dirs)
    tree()
    result = run(".")
    assert result.exit_code == 1 and result.stdout.count("LL101") == 3
    assert cache_files() == []


def test_concurrent_runs_do_not_corrupt_the_cache():
    for i in range(40):
        Path(f"m{i:02}.py").write_text(HAZARD if i % 2 else CLEAN, encoding="utf-8")
    command = [sys.executable, "-m", "leaklint", "check", "--jobs", "2", "."]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [1, 1, 1, 1], outputs[0][1]
    assert len({out for out, _ in outputs}) == 1
    (path,) = cache_files()
    json.loads(path.read_text(encoding="utf-8"))
    assert [p.name for p in Path(".leaklint_cache").iterdir() if p.name.startswith(".tmp-")] == []
    final = run(".")
    assert final.hits == 40 and final.stdout == outputs[0][0]


# --------------------------------------------------------------------------- unchanged files
def _count_reads(monkeypatch):
    import builtins

    import leaklint.run.analyse as engine

    reads = []

    def counting_open(file, mode="r", *args, **kwargs):
        if "b" in mode and str(file).endswith(".py"):
            reads.append(str(file))
        return builtins.open(file, mode, *args, **kwargs)

    monkeypatch.setattr(engine, "open", counting_open, raising=False)
    return reads


def test_files_unchanged_since_long_before_they_were_read_are_not_read_again(monkeypatch):
    import os

    tree()
    for p in Path(".").glob("m*.py"):
        os.utime(p, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    first = run(".")
    reads = _count_reads(monkeypatch)
    second = run(".")
    assert second.hits == 6 and second.stdout == first.stdout
    assert reads == []  # size and mtime matched the entries: no file was read or hashed
    os.utime("m1.py", ns=(1_600_000_001_000_000_000, 1_600_000_001_000_000_000))
    third = run(".")
    assert third.hits == 6 and [Path(r).name for r in reads] == ["m1.py"]  # read, hashed, same content


def test_an_edit_in_the_same_clock_tick_as_the_read_is_still_seen():
    import os

    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    before = os.stat("svc.py")
    assert "LL101" in run(".").stdout
    # same size, same mtime: only the content tells, and the entry was read too close to the
    # file's mtime for the stat to be trusted
    Path("svc.py").write_text(HAZARD.replace("requests.get(url)", "requests.put(url)"), encoding="utf-8")
    os.utime("svc.py", ns=(before.st_atime_ns, before.st_mtime_ns))
    after = run(".")
    assert after.hits == 0 and "requests.put" in after.stdout


def test_entries_of_deleted_files_are_pruned():
    tree()
    run(".")
    Path("m3.py").unlink()
    assert run(".").hits == 5
    (path,) = cache_files()
    assert sorted(json.loads(path.read_text(encoding="utf-8"))["files"]) == ["m0.py", "m1.py", "m2.py", "m4.py", "m5.py"]
    assert run("m0.py").hits == 1  # a run over one file keeps the entries of the others
    assert len(json.loads(path.read_text(encoding="utf-8"))["files"]) == 5


# --------------------------------------------------------------------------- the last run
def test_an_identical_run_replays_the_last_runs_findings():
    tree()
    first = settled(".")
    assert not first.reused
    second = run(".")
    assert second.reused and (second.files, second.hits) == (6, 6)
    assert second.stdout == first.stdout and second.exit_code == first.exit_code == 1
    for path in cache_files():  # the per-file cache is not even read
        path.write_text("not json", encoding="utf-8")
    assert run(".").stdout == first.stdout


@pytest.mark.parametrize("change", [
    lambda: Path("m0.py").write_text(HAZARD, encoding="utf-8"),  # content and mtime
    lambda: os.utime("m0.py", (time.time() - 30, time.time() - 30)),  # only touched
    lambda: Path("m1.py").unlink(),  # a file fewer
    lambda: Path("m9.py").write_text(HAZARD, encoding="utf-8"),  # a file more
    lambda: Path("m9.txt").write_text("", encoding="utf-8"),  # any entry more, even one never checked
    lambda: Path("__init__.py").write_text("", encoding="utf-8"),  # every module renamed
    lambda: Path("sub").mkdir() or Path("sub/m9.py").write_text(HAZARD, encoding="utf-8"),  # a folder more
    lambda: Path(".gitignore").write_text("m1.py\n", encoding="utf-8"),  # a file ignored
    lambda: Path("pkg/.gitignore").write_text("*.py\n", encoding="utf-8"),  # in a folder below
    lambda: Path("pkg/inner.py").write_text(HAZARD, encoding="utf-8"),  # a file in a folder below
    lambda: Path("docs/m9.py").write_text(HAZARD, encoding="utf-8"),  # in a folder that held no .py
])
def test_any_change_to_what_the_run_looked_at_is_a_new_run(change):
    tree()
    Path("pkg").mkdir()
    Path("pkg/inner.py").write_text(CLEAN, encoding="utf-8")
    Path("docs").mkdir()
    Path("docs/index.md").write_text("", encoding="utf-8")
    settled(".")
    assert run(".").reused
    change()
    expected = run("--no-cache", ".")
    after = run(".")
    assert not after.reused and after.stdout == expected.stdout


def test_files_edited_in_place_are_checked_again_without_walking_the_tree(monkeypatch):
    import leaklint.run.check as runner

    tree()
    Path("pkg").mkdir()
    Path("pkg/inner.py").write_text(CLEAN, encoding="utf-8")
    settled(".")
    walks = []
    real = runner.make_jobs
    monkeypatch.setattr(runner, "make_jobs", lambda *args, **kwargs: walks.append(1) or real(*args, **kwargs))
    Path("m0.py").write_text(HAZARD, encoding="utf-8")  # in place: no folder changes
    Path("pkg/inner.py").write_text(HAZARD, encoding="utf-8")
    expected = run("--no-cache", ".")
    walks.clear()
    after = run(".")
    assert not after.reused and after.stdout == expected.stdout and walks == []
    assert (after.files, after.hits) == (7, 5)  # the two edited files analysed again
    assert not run(".").reused  # just edited: their stats cannot vouch for them yet
    age(Path("m0.py"), Path("pkg/inner.py"))  # now they can: recorded again, still without a walk
    run(".")
    assert walks == [] and run(".").reused


def test_a_gitignore_edited_in_place_is_a_new_run():
    tree()
    Path(".gitignore").write_text("nothing.py\n", encoding="utf-8")
    settled(".")
    assert run(".").reused
    Path(".gitignore").write_text("m1.py\n", encoding="utf-8")  # same folder entries, new rules
    after = run(".")
    assert not after.reused and "m1.py" not in after.stdout


def test_a_package_made_above_the_checked_folder_is_a_new_run(monkeypatch):
    inject(monkeypatch, ConstantUse)  # its findings name modules
    Path("outer/pkg").mkdir(parents=True)
    Path("outer/pkg/__init__.py").write_text("", encoding="utf-8")
    Path("outer/pkg/limits.py").write_text("LIMIT = 4\n", encoding="utf-8")
    Path("outer/pkg/user.py").write_text("from .limits import LIMIT\n\nuse(LIMIT)\n", encoding="utf-8")
    assert "uses pkg.limits.LIMIT = 4" in settled("outer/pkg").stdout
    assert run("outer/pkg").reused
    Path("outer/__init__.py").write_text("", encoding="utf-8")  # pkg is now outer.pkg
    after = run("outer/pkg")
    assert not after.reused and "uses outer.pkg.limits.LIMIT = 4" in after.stdout


def test_a_package_made_above_the_repository_is_a_new_run(monkeypatch):
    inject(monkeypatch, ConstantUse)
    Path("outer/pkg/.git").mkdir(parents=True)  # the repository: the walk up for .gitignore stops here
    Path("outer/pkg/__init__.py").write_text("", encoding="utf-8")
    Path("outer/pkg/limits.py").write_text("LIMIT = 4\n", encoding="utf-8")
    Path("outer/pkg/user.py").write_text("from .limits import LIMIT\n\nuse(LIMIT)\n", encoding="utf-8")
    settled("outer/pkg")  # module names still look above it, for __init__.py
    assert run("outer/pkg").reused
    Path("outer/__init__.py").write_text("", encoding="utf-8")
    after = run("outer/pkg")
    assert not after.reused and "uses outer.pkg.limits.LIMIT = 4" in after.stdout


def test_a_gitignore_made_above_the_checked_folder_is_a_new_run():
    Path("outer/src").mkdir(parents=True)
    Path("outer/src/m1.py").write_text(HAZARD, encoding="utf-8")
    assert "m1.py" in settled("outer/src").stdout
    assert run("outer/src").reused
    Path("outer/.gitignore").write_text("m1.py\n", encoding="utf-8")
    after = run("outer/src")
    assert not after.reused and "m1.py" not in after.stdout


def test_no_record_when_a_gitignore_cannot_be_read():
    tree()
    Path(".gitignore").mkdir()  # there, but not a file: what it ignores is unknown
    settled(".")
    assert not run(".").reused


def test_other_settings_paths_or_folders_are_a_new_run(tmp_path):
    tree()
    settled(".")
    narrowed = run("--ignore", "LL101", ".")
    assert not narrowed.reused and "LL101" not in narrowed.stdout
    assert run("--ignore", "LL101", ".").reused  # a record per settings ...
    assert not run("m1.py").reused
    assert not run(".").reused  # ... and per settings one: the run on m1.py replaced it
    settled("m1.py")
    assert run("m1.py").reused and not run(".").reused
    os.chdir(tmp_path)  # the same paths from elsewhere name other files
    Path("m1.py").write_text(CLEAN, encoding="utf-8")
    assert not run("m1.py").reused


def test_nothing_looked_at_too_soon_after_it_changed_is_vouched_for():
    tree()
    settled(".")
    assert run(".").reused
    Path("m0.py").write_text(HAZARD, encoding="utf-8")  # now: within the racy window
    assert not run(".").reused
    assert not run(".").reused  # no record was written: m0.py's stat cannot tell its content yet
    age()
    run(".")
    assert run(".").reused
    Path("m9.py").write_text(CLEAN, encoding="utf-8")
    age(*Path(".").glob("*.py"))  # the new file is old, but its folder changed just now
    run(".")
    assert not run(".").reused


def test_a_dependency_change_is_seen_through_the_last_run(monkeypatch):
    inject(monkeypatch, ConstantUse)
    limits_package(0)
    settled("pkg")
    assert run("pkg").reused
    Path("pkg/limits.py").write_text("LIMIT = 5\n", encoding="utf-8")
    second = run("pkg")
    assert not second.reused and "LL901 uses pkg.limits.LIMIT = 5" in second.stdout


@pytest.mark.parametrize("content", ["", "{", "[]", '{"header": 1}', '{"header": {}, "key": "x", "findings": []}'])
def test_a_corrupt_last_run_record_is_ignored(content):
    tree()
    expected = settled(".")
    (record,) = Path(".leaklint_cache").glob("last-run-*.json")
    data = json.loads(record.read_text(encoding="utf-8"))
    data["findings"][0]["line"] = "5"
    record.write_text(json.dumps(data), encoding="utf-8")
    assert not run(".").reused  # a malformed finding: not trusted
    record.write_text(content, encoding="utf-8")
    again = run(".")
    assert not again.reused and again.stdout == expected.stdout
    assert run(".").reused  # rewritten


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_a_replay_reports_exactly_what_a_fresh_run_does(fmt):
    tree()
    Path("pkg").mkdir()
    Path("pkg/inner.py").write_text(HAZARD, encoding="utf-8")
    expected = run("--no-cache", "--format", fmt, "--statistics", ".")
    settled("--format", fmt, ".")
    replayed = run("--format", fmt, "--statistics", ".")
    assert replayed.reused and replayed.stdout == expected.stdout and replayed.exit_code == expected.exit_code


def count_edit_computations(monkeypatch):
    """Edits computed from now on (runs must use ``--jobs 1``: a worker's calls are its own)."""
    import leaklint.fixes.session as session

    calls = []
    real = session.with_edits
    monkeypatch.setattr(session, "with_edits", lambda text, f: calls.append(f.path) or real(text, f))
    return calls


def test_fix_edits_are_computed_once_per_content(monkeypatch):
    tree()  # just written: no last-run record, each file's entry serves
    calls = count_edit_computations(monkeypatch)
    first = run("--jobs", "1", "--format", "sarif", ".")
    assert len(calls) == 3
    calls.clear()
    second = run("--jobs", "1", "--format", "sarif", ".")
    assert calls == [] and second.stdout == first.stdout and second.hits == 6
    Path("m1.py").write_text(HAZARD + "\n", encoding="utf-8")
    run("--jobs", "1", "--format", "sarif", ".")
    assert calls == ["m1.py"]  # only the changed file's


def test_a_replay_keeps_the_edits_it_computed(monkeypatch):
    tree()
    settled(".")  # the record has no edits: text output needs none
    calls = count_edit_computations(monkeypatch)
    first = run("--jobs", "1", "--format", "json", ".")
    assert first.reused and len(calls) == 3
    calls.clear()
    second = run("--jobs", "1", "--format", "json", ".")
    assert second.reused and calls == [] and second.stdout == first.stdout
    assert json.loads(second.stdout)[0]["fix"]["edits"]


def test_no_edits_for_a_file_changed_since_it_was_analysed():
    from leaklint.run.analyse import RunResult
    from leaklint.findings import Finding, Fix, Safety
    from leaklint.fixes.ops import AddKeyword
    from leaklint.fixes.session import attach_edits

    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    fix = Fix("add a timeout", Safety.UNSAFE, (AddKeyword((5, 11, 5, 28), "timeout", "10"),))
    finding = Finding("svc.py", 5, 12, 5, 29, "LL101", "no timeout", fix, "f")
    assert attach_edits([finding], RunResult([finding], 1, {}))[0].fix.edits  # the content analysed
    stale = RunResult([finding], 1, {}, digests={"svc.py": "0" * 32})
    assert attach_edits([finding], stale)[0].fix.edits == ()  # positions of other content


def test_fixing_never_replays():
    tree()
    settled(".")
    fixed = run("--fix", "--unsafe-fixes", ".")
    assert not fixed.reused
    assert "timeout=" in Path("m1.py").read_text(encoding="utf-8")
