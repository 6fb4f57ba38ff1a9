"""Configuration: where it is found, what it changes, and precise errors for every mistake.

Also the per-file controls that configuration and comments give: per-file-ignores, excludes,
.gitignore, ``# noqa`` and ``# leaklint: skip-file``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import write
from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def reported(output: str):
    return sorted(line.split(":")[0] for line in output.splitlines() if ": LL" in line)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("name, body, expected", [
    ("pyproject.toml", "[tool.leaklint]\nselekt = [\"LL1\"]\n",
     "pyproject.toml: tool.leaklint.selekt: unknown key; expected one of select,"),
    ("pyproject.toml", "[tool.leaklint]\nselect = \"LL1\"\n",
     "pyproject.toml: tool.leaklint.select: expected a list of rule codes"),
    ("pyproject.toml", "[tool.leaklint]\nignore = [\"LL999\"]\n",
     "pyproject.toml: tool.leaklint.ignore: unknown rule code or prefix 'LL999'"),
    ("pyproject.toml", "[tool.leaklint]\nexclude = [1]\n",
     "pyproject.toml: tool.leaklint.exclude: expected a list of strings"),
    ("pyproject.toml", "[tool.leaklint]\nper-file-ignores = [\"x\"]\n",
     "pyproject.toml: tool.leaklint.per-file-ignores: expected a table"),
    ("pyproject.toml", "[tool.leaklint.per-file-ignores]\n\"tests/*\" = [\"XX1\"]\n",
     "pyproject.toml: tool.leaklint.per-file-ignores.'tests/*': unknown rule code or prefix 'XX1'"),
    ("pyproject.toml", "[tool.leaklint.timeouts]\nfix-timeout = 10\n",
     "pyproject.toml: tool.leaklint.timeouts.fix-timeout: expected str, got int"),
    ("pyproject.toml", "[tool.leaklint.timeouts]\nfix-timout = \"10\"\n",
     "pyproject.toml: tool.leaklint.timeouts.fix-timout: unknown option; timeouts options are:"),
    ("pyproject.toml", "[tool.leaklint]\ntimeouts = 3\n",
     "pyproject.toml: tool.leaklint.timeouts: expected a table of options"),
    ("leaklint.toml", "selekt = []\n", "leaklint.toml: selekt: unknown key"),
    ("leaklint.toml", "github-level = \"warn\"\n",
     "leaklint.toml: github-level: expected one of 'error', 'warning', 'notice', got 'warn'"),
    (".leaklint.toml", "select = [\"LL1\", 5]\n", ".leaklint.toml: select: expected a list of rule codes"),
])
def test_configuration_errors_name_file_and_key(name, body, expected):
    write("bad.py", HAZARD)
    write(name, body)
    result = run("check", "bad.py")
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("body, position", [
    ("[tool.leaklint]\nselect = [\"LL1\"\n", "at end of document, line 3, column 1"),
    ("[tool.leaklint]\nselect = [\"LL1\"]\nselect = [\"LL1\"]\n", "line 3, column"),
    ("[tool.leaklint\n", "line 1, column 15"),
    ("[tool.leaklint]\nignore = 'x\n", "line 3, column 1"),
])
def test_invalid_toml_names_line_and_column(body, position):
    write("bad.py", HAZARD)
    write("pyproject.toml", body)
    result = run("check", "bad.py")
    assert result.exit_code == 2
    assert "pyproject.toml: invalid TOML" in result.stderr and position in result.stderr
    assert "Traceback" not in result.output


def test_config_that_is_not_utf8_is_an_error():
    write("bad.py", HAZARD)
    Path("leaklint.toml").write_bytes(b"select = [\"LL1\"] # \xff\n")
    result = run("check", "bad.py")
    assert result.exit_code == 2 and "leaklint.toml: invalid TOML" in result.stderr


def test_catalogue_extension_with_wrong_shape_is_an_error():
    write("bad.py", HAZARD)
    write("pyproject.toml", "[tool.leaklint]\nblocking-calls = 3\n")
    result = run("check", "bad.py")
    assert result.exit_code == 2
    assert "pyproject.toml: tool.leaklint.blocking-calls" in result.stderr
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- discovery of the file
def test_nearest_pyproject_with_a_leaklint_table_wins():
    write("pyproject.toml", "[tool.leaklint]\nignore = [\"LL101\"]\n")
    write("svc/pyproject.toml", "[project]\nname = \"svc\"\n")  # no [tool.leaklint]: skipped
    write("svc/app.py", HAZARD)
    assert run("check", "svc/app.py").exit_code == 0
    write("svc/leaklint.toml", "select = [\"LL1\"]\n")
    assert run("check", "svc/app.py").exit_code == 1


def test_catalogue_extension_teaches_an_inhouse_client():
    write("app.py", "from myhttp import fetch\n\nfetch('https://x')\nfetch('https://x', deadline=3)\n")
    assert run("check", "app.py").exit_code == 0
    write("pyproject.toml", '[tool.leaklint.blocking-calls.calls."myhttp.fetch"]\ntimeout-keyword = "deadline"\n')
    result = run("check", "app.py")
    assert result.exit_code == 1, result.output
    assert [l.split(":")[1] for l in result.stdout.splitlines() if ": LL101" in l] == ["3"]


def test_fix_timeout_option_changes_the_inserted_expression():
    write("pyproject.toml", '[tool.leaklint.timeouts]\nfix-timeout = "settings.HTTP_TIMEOUT"\n'
                            'fix-timeout-import = "from app import settings"\n')
    path = write("svc.py", HAZARD)
    assert run("check", "--fix", "--unsafe-fixes", "svc.py").exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert "requests.get(url, timeout=settings.HTTP_TIMEOUT)" in text
    assert "from app import settings" in text


# --------------------------------------------------------------------------- per-file controls
def test_per_file_ignores_globs():
    write("pyproject.toml", '[tool.leaklint.per-file-ignores]\n"tests/*" = ["LL1"]\n"scripts/one.py" = ["LL101"]\n')
    for name in ("tests/test_a.py", "scripts/one.py", "scripts/two.py", "src/app.py"):
        write(name, HAZARD)
    result = run("check", ".")
    assert reported(result.stdout) == [os.path.join("scripts", "two.py"), os.path.join("src", "app.py")]


def test_exclude_and_extend_exclude():
    write("pyproject.toml", '[tool.leaklint]\nextend-exclude = ["generated", "legacy/*.py"]\n')
    for name in ("generated/a.py", "legacy/b.py", "legacyx/c.py", "app.py", "build/x.py", ".venv/y.py"):
        write(name, HAZARD)
    result = run("check", ".")
    assert reported(result.stdout) == ["app.py", os.path.join("legacyx", "c.py")]


def test_exclude_replaces_the_defaults():
    write("pyproject.toml", '[tool.leaklint]\nexclude = ["other"]\n')
    write("build/x.py", HAZARD)
    write("other/y.py", HAZARD)
    assert reported(run("check", ".").stdout) == [os.path.join("build", "x.py")]


def test_default_excludes():
    for name in (".git/a.py", "venv/a.py", ".venv/a.py", "build/a.py", "dist/a.py", "__pycache__/a.py",
                 "node_modules/a.py", ".tox/a.py", "lib/site-packages/a.py", "app.py"):
        write(name, HAZARD)
    assert reported(run("check", ".").stdout) == ["app.py"]


def test_gitignore_is_respected_including_negation_and_nested_files():
    os.mkdir(".git")
    write(".gitignore", "gen_*.py\n/out/\n!gen_keep.py\n")
    write("pkg/.gitignore", "local.py\n")
    for name in ("gen_a.py", "gen_keep.py", "out/x.py", "sub/out/y.py", "pkg/local.py", "pkg/ok.py", "app.py"):
        write(name, HAZARD)
    result = run("check", ".")
    assert reported(result.stdout) == sorted(
        ["app.py", "gen_keep.py", os.path.join("pkg", "ok.py"), os.path.join("sub", "out", "y.py")])


def test_explicitly_named_file_is_checked_even_when_excluded():
    write(".gitignore", "ignored.py\n")
    write("pyproject.toml", '[tool.leaklint]\nextend-exclude = ["excluded.py"]\n')
    write("ignored.py", HAZARD)
    write("excluded.py", HAZARD)
    assert reported(run("check", ".").stdout) == []
    assert reported(run("check", "ignored.py", "excluded.py").stdout) == ["excluded.py", "ignored.py"]


@pytest.mark.parametrize("comment, suppressed", [
    ("# noqa", True),
    ("# NOQA", True),
    ("#noqa", True),
    ("# noqa: LL101", True),
    ("# noqa:LL101", True),
    ("# noqa: LL1", True),
    ("# noqa: E501,LL101", True),
    ("# noqa: E501, LL101", True),
    ("# noqa: ll101", True),
    ("# noqa: LL102", False),
    ("# noqa: LL2", False),
    ("# noqa: E501", False),
    ("# some comment", False),
])
def test_noqa_forms(comment, suppressed):
    write("app.py", f"import requests\nrequests.get(url)  {comment}\n")
    result = run("check", "app.py")
    assert result.exit_code == (0 if suppressed else 1), result.output


def test_noqa_on_first_line_of_a_multiline_call():
    write("first.py", "import requests\nrequests.get(  # noqa: LL101\n    url,\n)\n")
    write("last.py", "import requests\nrequests.get(\n    url,\n)  # noqa: LL101\n")
    assert reported(run("check", "first.py", "last.py").stdout) == ["last.py"]


@pytest.mark.parametrize("prefix, skipped", [
    ("# leaklint: skip-file\n", True),
    ("#leaklint:skip-file\n", True),
    ("if True:\n    # leaklint: skip-file\n    pass\n", True),  # a comment line of its own, anywhere
    ("x = 1  # leaklint: skip-file\n", False),  # a trailing comment does not skip the file
    ("# leaklint: skip-file-please\n", False),
])
def test_skip_file(prefix, skipped):
    write("app.py", prefix + HAZARD)
    result = run("check", "app.py")
    assert result.exit_code == (0 if skipped else 1), result.output


def test_skip_file_also_skips_unparsable_content():
    write("app.py", "# leaklint: skip-file\ndef broken(:\n")
    assert run("check", "app.py").exit_code == 0


def test_unknown_key_lists_each_key_once():
    write("bad.py", HAZARD)
    write("leaklint.toml", "selekt = []\n")
    result = run("check", "bad.py")
    listed = result.stderr.split("expected one of ", 1)[1].strip().split(", ")
    assert len(listed) == len(set(listed)), listed
    assert {"select", "github-level", "caches", "timeouts", "blocking-calls"} <= set(listed)
