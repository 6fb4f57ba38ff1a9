"""Every option of ``leaklint check`` and the other commands, with the exit status each promises.

LL101 (requests.get without a timeout) is the rule throughout: it is stable while the families grow.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import write
from leaklint import __version__
from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
CLEAN = "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=5)\n"


def run(*args: str, input: str = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def finding_lines(output: str):
    return [line for line in output.splitlines() if ": LL" in line]


# --------------------------------------------------------------------------- exit status
def test_no_findings_exits_0():
    write("ok.py", CLEAN)
    result = run("check", "ok.py")
    assert result.exit_code == 0, result.output
    assert "All checks passed." in result.stdout


def test_findings_exit_1_and_flake8_style_line():
    write("bad.py", HAZARD)
    result = run("check", "bad.py")
    assert result.exit_code == 1
    assert finding_lines(result.stdout) == [
        "bad.py:5:12: LL101 [*unsafe] `requests.get` has no timeout: it can wait forever on a peer that never answers; pass `timeout=`"
    ]
    # fixable means fixed by `--fix` as the command stands: this fix needs --unsafe-fixes too
    assert "Found 1 finding (0 fixable)." in result.stdout
    assert "1 more fix available with `--fix --unsafe-fixes`." in result.stdout
    assert result.stdout.count("`leaklint rule CODE` explains a rule") == 1


def test_default_path_is_current_directory():
    write("pkg/bad.py", HAZARD)
    result = run("check")
    assert result.exit_code == 1
    assert finding_lines(result.stdout)[0].startswith(os.path.join("pkg", "bad.py") + ":5:12:")


def test_missing_path_is_a_usage_error():
    write("ok.py", CLEAN)
    result = run("check", "ok.py", "nope.py")
    assert result.exit_code == 2
    assert "nope.py: no such file or directory" in result.stderr
    assert "Traceback" not in result.output


def test_unknown_option_is_a_usage_error():
    result = run("check", "--no-such-option")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


@pytest.mark.parametrize("flag", ["--select", "--ignore", "--extend-select"])
def test_unknown_rule_code_is_a_usage_error(flag):
    write("bad.py", HAZARD)
    result = run("check", flag, "LL999", "bad.py")
    assert result.exit_code == 2
    assert flag in result.stderr and "'LL999'" in result.stderr
    assert "Traceback" not in result.output


def test_exit_zero_with_findings():
    write("bad.py", HAZARD)
    result = run("check", "--exit-zero", "bad.py")
    assert result.exit_code == 0
    assert len(finding_lines(result.stdout)) == 1


# --------------------------------------------------------------------------- selection
@pytest.mark.parametrize("args, reported", [
    (["--select", "LL101"], True),
    (["--select", "LL1"], True),
    (["--select", "ll1"], True),  # codes are case-insensitive on the command line
    (["--ignore", "LL101"], False),
    (["--ignore", "LL1"], False),
    (["--ignore", "LL"], False),
    (["--select", "LL101", "--ignore", "LL1"], True),  # the longer prefix wins
    (["--select", "LL1", "--ignore", "LL101"], False),
    (["--select", "LL001", "--extend-select", "LL10"], True),
    (["--select", "LL001"], False),
    (["--select", "LL001,LL101"], True),
])
def test_select_ignore_extend_select_prefixes(args, reported):
    write("bad.py", HAZARD)
    result = run("check", *args, "bad.py")
    assert result.exit_code == (1 if reported else 0), result.output
    assert bool(finding_lines(result.stdout)) == reported


def test_ignore_does_not_hide_unparsable_files_unless_named():
    write("broken.py", "def f(:\n")
    assert run("check", "--ignore", "LL1", "broken.py").exit_code == 1
    assert run("check", "--ignore", "LL001", "broken.py").exit_code == 0


# --------------------------------------------------------------------------- formats and outputs
def test_json_format_fields():
    write("bad.py", HAZARD)
    result = run("check", "--format", "json", "bad.py")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert len(data) == 1
    item = data[0]
    assert {k: item[k] for k in ("path", "line", "column", "end_line", "end_column", "code", "name")} == {
        "path": "bad.py", "line": 5, "column": 12, "end_line": 5, "end_column": 29,
        "code": "LL101", "name": "blocking-call-without-timeout",
    }
    assert item["fix"]["safety"] == "unsafe"
    # the concrete edit inserts the timeout before the closing parenthesis
    (edit,) = item["fix"]["edits"]
    assert edit["line"] == 5 and edit["content"].strip(", ") == "timeout=10"


def test_json_without_findings_is_an_empty_list():
    write("ok.py", CLEAN)
    result = run("check", "--format", "json", "ok.py")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_github_format():
    write("bad.py", HAZARD)
    result = run("check", "--format", "github", "bad.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=bad.py,line=5,col=12,endLine=5,endColumn=29,title=leaklint LL101::LL101 "
        "`requests.get` has no timeout: it can wait forever on a peer that never answers; pass `timeout=`"
    ]


def test_output_file_receives_the_report_and_stdout_stays_empty():
    write("bad.py", HAZARD)
    result = run("check", "--format", "json", "--output-file", "report.json", "bad.py")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert json.loads(Path("report.json").read_text(encoding="utf-8"))[0]["code"] == "LL101"


def test_output_file_that_cannot_be_written_is_an_error():
    write("bad.py", HAZARD)
    result = run("check", "--output-file", "missing-dir/report.txt", "bad.py")
    assert result.exit_code == 2
    assert "missing-dir/report.txt" in result.stderr
    assert "Traceback" not in result.output


def test_statistics_counts_per_rule():
    write("a.py", HAZARD)
    write("b.py", HAZARD + "\n\ndef again(u):\n    return requests.post(u)\n")
    result = run("check", "--statistics", "a.py", "b.py")
    assert result.exit_code == 1
    stats = [line.split() for line in result.stdout.splitlines() if "blocking-call-without-timeout" in line]
    assert stats == [["3", "LL101", "[*unsafe]", "blocking-call-without-timeout"]]
    with_unsafe = run("check", "--statistics", "--unsafe-fixes", "a.py", "b.py")
    stats = [line.split() for line in with_unsafe.stdout.splitlines() if "blocking-call-without-timeout" in line]
    assert stats == [["3", "LL101", "[*]", "blocking-call-without-timeout"]]
    assert "Found 3 findings (3 fixable)." in with_unsafe.stdout
    assert finding_lines(with_unsafe.stdout)[0].startswith("a.py:5:12: LL101 [*] ")
    assert "more fix" not in with_unsafe.stdout


def test_quiet_prints_findings_only():
    write("bad.py", HAZARD)
    result = run("check", "--quiet", "bad.py")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == finding_lines(result.stdout) and len(finding_lines(result.stdout)) == 1
    write("ok.py", CLEAN)
    quiet_clean = run("check", "-q", "ok.py")
    assert quiet_clean.exit_code == 0 and quiet_clean.stdout == ""


def test_output_is_sorted_by_path_line_column():
    write("b.py", HAZARD)
    write("a/z.py", HAZARD)
    write("a.py", "import requests\nrequests.get(1); requests.get(2)\nrequests.get(3)\n")
    result = run("check", "-q", "b.py", "a", "a.py")
    keys = []
    for line in finding_lines(result.stdout):
        path, line_no, col, _ = line.split(":", 3)
        keys.append((path, int(line_no), int(col)))
    assert keys == sorted(keys)
    assert [k[0] for k in keys] == ["a.py", "a.py", "a.py", os.path.join("a", "z.py"), "b.py"]
    assert keys[:2] == [("a.py", 2, 1), ("a.py", 2, 18)]


# --------------------------------------------------------------------------- fixes
def test_fix_without_unsafe_fixes_leaves_unsafe_fixes_alone():
    path = write("bad.py", HAZARD)
    result = run("check", "--fix", "bad.py")
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == HAZARD
    assert "Found 1 finding (0 fixable)." in result.stdout
    assert "1 more fix available with `--unsafe-fixes`." in result.stdout


def test_diff_says_how_many_more_fixes_unsafe_fixes_would_apply():
    path = write("bad.py", HAZARD)
    result = run("check", "--diff", "bad.py")
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr == "leaklint: 1 more fix available with `--unsafe-fixes`.\n"
    shown = run("check", "--diff", "--unsafe-fixes", "bad.py")
    assert shown.exit_code == 1 and "+    return requests.get(url, timeout=10)" in shown.stdout
    assert "more fix" not in shown.stderr
    assert path.read_text(encoding="utf-8") == HAZARD


def test_fix_with_unsafe_fixes_rewrites_and_exits_0():
    path = write("bad.py", HAZARD)
    result = run("check", "--fix", "--unsafe-fixes", "bad.py")
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == HAZARD.replace("get(url)", "get(url, timeout=10)")
    assert "fixed 1" in result.stdout
    again = run("check", "--fix", "--unsafe-fixes", "bad.py")
    assert again.exit_code == 0 and path.read_text(encoding="utf-8").count("timeout=10") == 1


def test_diff_prints_and_writes_nothing():
    path = write("bad.py", HAZARD)
    before = path.stat().st_mtime_ns
    result = run("check", "--diff", "--unsafe-fixes", "bad.py")
    assert result.exit_code == 1
    assert "--- a/bad.py\n+++ b/bad.py\n" in result.stdout
    assert "-    return requests.get(url)\n+    return requests.get(url, timeout=10)\n" in result.stdout
    assert path.read_text(encoding="utf-8") == HAZARD and path.stat().st_mtime_ns == before


def test_diff_with_fix_still_writes_nothing():
    path = write("bad.py", HAZARD)
    result = run("check", "--diff", "--fix", "--unsafe-fixes", "bad.py")
    assert "+    return requests.get(url, timeout=10)" in result.stdout
    assert path.read_text(encoding="utf-8") == HAZARD


def test_diff_without_applicable_fixes_is_empty_and_exits_0():
    write("bad.py", HAZARD)
    result = run("check", "--diff", "bad.py")  # LL101's fix is unsafe
    assert result.exit_code == 0 and result.stdout == ""


# --------------------------------------------------------------------------- config, cache, jobs
def test_config_option_points_at_another_file():
    write("bad.py", HAZARD)
    write("conf/strict.toml", 'ignore = ["LL101"]\n')
    assert run("check", "bad.py").exit_code == 1
    result = run("check", "--config", "conf/strict.toml", "bad.py")
    assert result.exit_code == 0, result.output


def test_config_option_pyproject_table():
    write("bad.py", HAZARD)
    write("elsewhere/pyproject.toml", '[project]\nname = "x"\n\n[tool.leaklint]\nignore = ["LL1"]\n')
    assert run("check", "--config", "elsewhere/pyproject.toml", "bad.py").exit_code == 0


def test_missing_config_file_is_an_error():
    write("bad.py", HAZARD)
    result = run("check", "--config", "nope.toml", "bad.py")
    assert result.exit_code == 2
    assert "nope.toml: configuration file not found" in result.stderr


def test_cache_is_written_by_default_and_not_with_no_cache():
    write("bad.py", HAZARD)
    run("check", "--no-cache", "bad.py")
    assert not Path(".leaklint_cache").exists()
    run("check", "bad.py")
    assert any(Path(".leaklint_cache").glob("*.json"))
    assert Path(".leaklint_cache/.gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_no_cache_never_reports_cache_hits():
    write("bad.py", HAZARD)
    run("check", "bad.py")
    result = run("check", "--no-cache", "--timings", "bad.py")
    assert "cache hits 0" in result.stderr


def test_timings_name_every_phase():
    write("bad.py", HAZARD)
    result = run("check", "--no-cache", "--jobs", "1", "--timings", "--diff", "--unsafe-fixes", "bad.py")
    phases = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("timing: ")]
    for phase in ("discover", "read", "parse", "model", "timeouts", "cardinality", "caches", "lifetime",
                  "astroid", "project", "fixes", "output"):
        assert phase in phases, result.stderr


@pytest.mark.parametrize("jobs", ["1", "3", "0"])
def test_jobs_do_not_change_output(jobs):
    for i in range(30):
        write(f"pkg/m{i:02}.py", HAZARD if i % 3 else CLEAN)
    serial = run("check", "--no-cache", "--jobs", "1", "pkg")
    other = run("check", "--no-cache", "--jobs", jobs, "pkg")
    assert other.exit_code == serial.exit_code == 1
    assert other.stdout == serial.stdout
    assert len(finding_lines(serial.stdout)) == 20


def test_negative_jobs_is_a_usage_error():
    result = run("check", "--jobs", "-1", ".")
    assert result.exit_code == 2 and "Traceback" not in result.output


# --------------------------------------------------------------------------- stdin
def test_stdin_with_stdin_filename():
    result = run("check", "-", "--stdin-filename", "svc/api.py", input=HAZARD)
    assert result.exit_code == 1
    assert finding_lines(result.stdout)[0].startswith("svc/api.py:5:12: LL101")
    assert not Path(".leaklint_cache").exists()  # stdin is never cached


def test_stdin_without_filename_reports_dash():
    result = run("check", "-", input=HAZARD)
    assert finding_lines(result.stdout)[0].startswith("-:5:12: LL101")


def test_stdin_fix_prints_the_fixed_source():
    result = run("check", "-", "--fix", "--unsafe-fixes", "--stdin-filename", "x.py", input=HAZARD)
    assert result.exit_code == 0
    assert result.stdout == HAZARD.replace("get(url)", "get(url, timeout=10)")


def test_stdin_per_file_ignores_apply_to_the_stdin_filename():
    write("pyproject.toml", '[tool.leaklint.per-file-ignores]\n"tests/*" = ["LL101"]\n')
    assert run("check", "-", "--stdin-filename", "tests/t.py", input=HAZARD).exit_code == 0
    assert run("check", "-", "--stdin-filename", "src/t.py", input=HAZARD).exit_code == 1


# --------------------------------------------------------------------------- other commands
def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"leaklint {__version__}"


def test_rules_lists_every_rule_with_family_and_fix():
    result = run("rules")
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()}
    assert {"LL001", "LL002", "LL003", "LL101"} <= set(rows)
    assert rows["LL101"][1:] == ["blocking-call-without-timeout", "timeouts", "fix:", "unsafe"]
    as_json = json.loads(run("rules", "--format", "json").stdout)
    assert [r["code"] for r in as_json] == sorted(rows)


def test_rule_prints_documentation_sections():
    result = run("rule", "ll101")
    assert result.exit_code == 0
    text = result.stdout
    headings = ["What it finds", "Why it hurts in production", "Example", "Use instead", "Fix safety", "Options"]
    positions = [text.index(f"## {h}\n") for h in headings]
    assert positions == sorted(positions)
    assert text.startswith("# LL101 blocking-call-without-timeout")


def test_rule_by_name_prints_the_same_documentation():
    by_code = run("rule", "LL101")
    by_name = run("rule", "blocking-call-without-timeout")
    assert by_name.exit_code == 0
    assert by_name.stdout == by_code.stdout
    assert run("rule", "Resource-Never-Closed").stdout.startswith("# LL401 resource-never-closed")


@pytest.mark.parametrize("unknown", ["LL999", "blocking-call"])
def test_rule_unknown_code_exits_2(unknown):
    result = run("rule", unknown)
    assert result.exit_code == 2
    assert f"unknown rule code or name {unknown!r}" in result.output
    assert "Traceback" not in result.output


def test_module_entry_point_runs(tmp_path):
    import subprocess
    import sys

    write("bad.py", HAZARD)
    proc = subprocess.run([sys.executable, "-m", "leaklint", "check", "--no-cache", "bad.py"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert "bad.py:5:12: LL101" in proc.stdout


def test_an_unexpected_error_exits_2_without_a_traceback(monkeypatch):
    import leaklint.run.check as runner

    def broken(options):
        raise KeyError("catalogue entry")

    monkeypatch.setattr(runner, "run_check", broken)
    write("bad.py", HAZARD)
    result = run("check", "bad.py")
    assert result.exit_code == 2
    assert "leaklint: internal error: KeyError: 'catalogue entry' at test_cli.py:" in result.stderr
    assert "Traceback" not in result.output


def test_diff_reports_fixes_it_had_to_drop_on_stderr():
    write("pyproject.toml", '[tool.leaklint.timeouts]\nfix-timeout = "10 +"\n')
    path = write("bad.py", HAZARD)
    result = run("check", "--diff", "--unsafe-fixes", "bad.py")
    assert result.stdout == "" and path.read_text(encoding="utf-8") == HAZARD
    (line,) = result.stderr.splitlines()  # one line, however long the parser's complaint
    assert line.startswith("bad.py:5:12: LL003 fix for LL101 not applied: ")
