"""The flake8 plugin, run by real flake8, reports what ``leaklint check`` reports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from fixture_format import FIXTURES
from helpers import check_files

from leaklint.config.settings import load_settings

LINE_RE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")

HAZARDS = """\
import requests


def fetch(url):
    requests.get(url)
    requests.get(url)  # noqa: LL101
    requests.get(url)  # noqa:LL1
    requests.get(url)  # noqa
    requests.get(url)  # noqa: E501
    label = "é"; requests.post(url)
"""


def flake8(*args: str, cwd: Path) -> List[Tuple[str, int, int, str, str]]:
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "LL", "--isolated", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    out = []
    for line in proc.stdout.splitlines():
        m = LINE_RE.match(line)
        assert m, line
        out.append((Path(m["path"]).name, int(m["line"]), int(m["col"]), m["code"], m["message"]))
    return sorted(out)


def leaklint(paths: List[Path]) -> List[Tuple[str, int, int, str, str]]:
    out = []
    for path in paths:  # one at a time: flake8 sees one file at a time too
        settings = load_settings(None, path)
        for f in check_files([path], settings).findings:
            out.append((Path(f.path).name, f.line, f.column, f.code, f.message))
    return sorted(out)


def single_file_fixtures() -> List[Path]:
    return sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))


def test_flake8_reports_the_same_findings_as_leaklint_on_the_fixtures(tmp_path):
    files = single_file_fixtures()
    got = flake8(*map(str, files), cwd=tmp_path)
    expected = leaklint(files)
    assert expected, "the fixtures hold findings"
    assert got == expected


def test_flake8_honours_noqa_and_counts_columns_in_characters(tmp_path):
    path = tmp_path / "service.py"
    path.write_text(HAZARDS, encoding="utf-8")
    got = flake8(str(path), cwd=tmp_path)
    assert [(line, col, code) for _, line, col, code, _ in got] == [(5, 5, "LL101"), (9, 5, "LL101"), (10, 18, "LL101")]
    assert got == leaklint([path])


def test_flake8_reads_the_leaklint_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.leaklint]\nignore = ["LL101"]\n', encoding="utf-8")
    path = tmp_path / "service.py"
    path.write_text(HAZARDS, encoding="utf-8")
    assert flake8(str(path), cwd=tmp_path) == []


def test_flake8_without_select_ll_reports_nothing_of_leaklint(tmp_path):
    path = tmp_path / "service.py"
    path.write_text(HAZARDS, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "E9,F", str(path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert "LL101" not in proc.stdout


def test_an_invalid_configuration_fails_the_flake8_run(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.leaklint]\nbogus = 1\n', encoding="utf-8")
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text("x = 1\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "flake8", "--select", "LL", "--isolated", "-j", "2", "."],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert "tool.leaklint.bogus: unknown key" in proc.stderr
