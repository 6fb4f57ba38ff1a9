"""Workers: a rule that raises or a worker that dies costs only that file's results, and the output
never depends on ``--jobs``."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from injected import TEST_RUNNER_PID, DiesOnMarker, RaisesOnMarker, inject
from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def run(*args: str):
    return CliRunner().invoke(main, ["check", "--no-cache", *args], catch_exceptions=False)


def project(n: int = 40, marker: str = "", marked=(7,)) -> None:
    for i in range(n):
        body = HAZARD if i % 3 else "x = 1\n"
        if i in marked and marker:
            body += f"\n{marker}\n"
        Path(f"pkg/m{i:02}.py").parent.mkdir(exist_ok=True)
        Path(f"pkg/m{i:02}.py").write_text(body, encoding="utf-8")
    Path("pkg/broken.py").write_bytes(b"def f(:\n")
    Path("pkg/latin.py").write_bytes("# coding: latin-1\nimport requests\ns = 'é'; requests.get(s)\n".encode("latin-1"))


def findings(output: str):
    return [line for line in output.splitlines() if ": LL" in line]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_serial_and_parallel_output_are_identical(fmt):
    project()
    serial = run("--jobs", "1", "--format", fmt, "pkg")
    parallel = run("--jobs", "4", "--format", fmt, "pkg")
    assert serial.exit_code == parallel.exit_code == 1
    assert serial.stdout == parallel.stdout


def test_parallel_output_is_sorted_and_complete():
    project()
    lines = findings(run("--jobs", "4", "-q", "pkg").stdout)
    keys = [(l.split(":")[0], int(l.split(":")[1]), int(l.split(":")[2])) for l in lines]
    assert keys == sorted(keys)
    assert len(lines) == 26 + 1 + 1  # 26 hazards, one parse error, one latin-1 hazard


@pytest.mark.parametrize("jobs", ["1", "4"])
def test_a_rule_that_raises_costs_only_its_file(monkeypatch, jobs):
    inject(monkeypatch, RaisesOnMarker)
    project()
    clean = run("--jobs", jobs, "pkg")
    project(marker="RAISE_HERE")
    result = run("--jobs", jobs, "pkg")
    assert result.exit_code == 2
    lines = findings(result.stdout)
    errors = [l for l in lines if "LL002" in l]
    assert len(errors) == 1
    error = errors[0]
    assert error.startswith(os.path.join("pkg", "m07.py") + ":1:1: LL002 internal error in test-raises rules (LL902)")
    assert "ValueError: boom" in error
    # every other rule, on every file including the one that raised, still reported
    assert [l for l in lines if "LL002" not in l] == findings(clean.stdout)


def test_a_rule_that_raises_gives_the_same_output_serial_and_parallel(monkeypatch):
    inject(monkeypatch, RaisesOnMarker)
    project(marker="RAISE_HERE", marked=(1, 7, 20))
    serial = run("--jobs", "1", "pkg")
    parallel = run("--jobs", "4", "pkg")
    assert serial.stdout == parallel.stdout and serial.exit_code == parallel.exit_code == 2


def test_a_worker_that_dies_costs_only_its_file(monkeypatch):
    inject(monkeypatch, DiesOnMarker)
    project()
    expected = findings(run("--jobs", "4", "pkg").stdout)
    project(marker="DIE_HERE", marked=(4, 29))
    result = run("--jobs", "4", "pkg")
    assert result.exit_code == 2
    lines = findings(result.stdout)
    dead = [l for l in lines if "LL002" in l]
    assert dead == [
        os.path.join("pkg", "m04.py") + ":1:1: LL002 internal error: the worker process analysing this file died",
        os.path.join("pkg", "m29.py") + ":1:1: LL002 internal error: the worker process analysing this file died",
    ]
    lost = {os.path.join("pkg", "m04.py"), os.path.join("pkg", "m29.py")}
    survivors = [l for l in expected if l.split(":")[0] not in lost]
    assert [l for l in lines if "LL002" not in l] == survivors
    assert "Traceback" not in result.output


def test_results_of_a_dead_worker_are_not_cached(monkeypatch):
    inject(monkeypatch, DiesOnMarker)
    project(marker="DIE_HERE")
    CliRunner().invoke(main, ["check", "--jobs", "4", "pkg"], catch_exceptions=False)
    Path("pkg/m07.py").write_text(HAZARD, encoding="utf-8")
    again = CliRunner().invoke(main, ["check", "--jobs", "4", "pkg"], catch_exceptions=False)
    assert "LL002" not in again.stdout and again.exit_code == 1


def test_stdin_fix_reports_an_internal_error_on_stderr_and_exits_2(monkeypatch):
    inject(monkeypatch, RaisesOnMarker)
    source = HAZARD + "\nRAISE_HERE\n"
    result = CliRunner().invoke(main, ["check", "-", "--fix", "--unsafe-fixes", "--stdin-filename", "s.py"],
                                input=source, catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stdout == source.replace("get(url)", "get(url, timeout=10)")
    assert "s.py:1:1: LL002 internal error in test-raises rules" in result.stderr


def tree_contents() -> dict:
    return {p.name: p.read_bytes() for p in sorted(Path("pkg").iterdir())}


@pytest.mark.parametrize("mode", [("--diff",), ("--fix",)])
def test_fixing_in_workers_gives_what_fixing_serially_does(mode, tmp_path):
    project(12)
    before = tree_contents()
    parallel = run("--jobs", "2", *mode, "--unsafe-fixes", "pkg")
    after_parallel = tree_contents()
    for name, data in before.items():
        Path("pkg", name).write_bytes(data)
    serial = run("--jobs", "1", *mode, "--unsafe-fixes", "pkg")
    assert parallel.stdout == serial.stdout and parallel.exit_code == serial.exit_code
    assert after_parallel == tree_contents()
    changed = [n for n in before if before[n] != after_parallel[n]]
    assert (changed == []) if mode == ("--diff",) else len(changed) == 9  # every file with a hazard
    assert parallel.stdout.count("+++ b/") == (9 if mode == ("--diff",) else 0)


def _fix_or_die(job):
    """What a worker computing fixes runs, dying on one file (module level: it is pickled by name)."""
    import leaklint.fixes.session as session

    if job.display.endswith("m04.py"):
        if os.getpid() == TEST_RUNNER_PID:
            raise RuntimeError("m04.py fixed in the test runner itself, not in a worker")
        os._exit(3)
    return job.display, session.fix_one(job, session._SHARED["by_path"][job.display], session._SHARED["settings"],
                                        session._SHARED["catalogue"], session._SHARED["run"], session._SHARED["unsafe"])


def test_a_worker_that_dies_while_fixing_costs_nothing(monkeypatch):
    import leaklint.fixes.session as session

    real = session._fix_in_worker
    monkeypatch.setattr(session, "_fix_in_worker", _fix_or_die)
    project(12)
    parallel = run("--jobs", "2", "--diff", "--unsafe-fixes", "pkg")
    monkeypatch.setattr(session, "_fix_in_worker", real)
    serial = run("--jobs", "1", "--diff", "--unsafe-fixes", "pkg")
    assert parallel.stdout == serial.stdout and "+++ b/pkg/m04.py" in parallel.stdout
