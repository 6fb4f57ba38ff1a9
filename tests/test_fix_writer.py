"""``--fix`` loses nothing: atomic writes that keep encoding, BOM, newlines, the trailing newline and
the file mode, never over a file that changed since it was read, and the original intact on error."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
FIXED = HAZARD.replace("get(url)", "get(url, timeout=10)")


def fix(*paths: str, extra=()):
    return CliRunner().invoke(main, ["check", "--no-cache", "--fix", "--unsafe-fixes", *extra, *paths],
                              catch_exceptions=False)


def leftovers() -> list:
    return [p.name for p in Path(".").iterdir() if p.name.startswith(".leaklint-")]


@pytest.mark.parametrize("before, after", [
    (HAZARD.encode(), FIXED.encode()),
    (HAZARD.replace("\n", "\r\n").encode(), FIXED.replace("\n", "\r\n").encode()),
    (HAZARD.replace("\n", "\r").encode(), FIXED.replace("\n", "\r").encode()),
    (HAZARD.rstrip("\n").encode(), FIXED.rstrip("\n").encode()),  # no trailing newline stays so
    (HAZARD.replace("\n", "\r\n").rstrip().encode(), FIXED.replace("\n", "\r\n").rstrip().encode()),
    (b"\xef\xbb\xbf" + HAZARD.encode(), b"\xef\xbb\xbf" + FIXED.encode()),
    (b"\xef\xbb\xbf" + HAZARD.replace("\n", "\r\n").encode(), b"\xef\xbb\xbf" + FIXED.replace("\n", "\r\n").encode()),
    (("# -*- coding: latin-1 -*-\n# café\n" + HAZARD).encode("latin-1"),
     ("# -*- coding: latin-1 -*-\n# café\n" + FIXED).encode("latin-1")),
    (("# coding: utf-8\nx = '日本'\n" + HAZARD).encode(), ("# coding: utf-8\nx = '日本'\n" + FIXED).encode()),
    (HAZARD.replace("    ", "\t").encode(), FIXED.replace("    ", "\t").encode()),
    ((HAZARD + "\x0c\n# page two\n").encode(), (FIXED + "\x0c\n# page two\n").encode()),
])
def test_fix_keeps_bytes_outside_the_fix(before, after):
    Path("svc.py").write_bytes(before)
    result = fix("svc.py")
    assert result.exit_code == 0, result.output
    assert Path("svc.py").read_bytes() == after
    assert leftovers() == []


def test_mixed_newlines_survive_line_by_line():
    before = b"import requests\r\nx = 1\n\ndef fetch(url):\r\n    return requests.get(url)\r\ny = 2\n"
    Path("svc.py").write_bytes(before)
    assert fix("svc.py").exit_code == 0
    assert Path("svc.py").read_bytes() == before.replace(b"get(url)", b"get(url, timeout=10)")


@pytest.mark.parametrize("mode, extra", [(0o755, ()), (0o600, ()), (0o640, ()), (0o444, ("--fix-read-only",))])
def test_fix_keeps_the_file_mode(mode, extra):
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    os.chmod("svc.py", mode)
    assert fix("svc.py", extra=extra).exit_code == 0
    assert stat.S_IMODE(os.stat("svc.py").st_mode) == mode
    assert Path("svc.py").read_text(encoding="utf-8") == FIXED


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_read_only_file_survives_fix_byte_for_byte(mode):
    """Even as root, who could write it: the mode says not to."""
    before = HAZARD.replace("\n", "\r\n").encode()
    Path("svc.py").write_bytes(before)
    Path("other.py").write_text(HAZARD, encoding="utf-8")
    os.chmod("svc.py", mode)
    result = fix("svc.py", "other.py")
    assert result.exit_code == 1
    assert Path("svc.py").read_bytes() == before
    assert stat.S_IMODE(os.stat("svc.py").st_mode) == mode
    assert Path("other.py").read_text(encoding="utf-8") == FIXED  # the writable one is fixed
    report = result.stdout.splitlines()
    assert "svc.py:1:1: LL003 fixes not written: the file is read-only; left as it is " \
           "(`--fix-read-only` writes it anyway)" in report
    assert any(line.startswith("svc.py:5:12: LL101") for line in report)  # still reported
    assert leftovers() == []


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_fix_through_a_symlink_keeps_the_link():
    Path("real").mkdir()
    Path("real/svc.py").write_text(HAZARD, encoding="utf-8")
    os.symlink("real/svc.py", "link.py")
    assert fix("link.py").exit_code == 0
    assert os.path.islink("link.py")
    assert Path("real/svc.py").read_text(encoding="utf-8") == FIXED


def test_file_changed_between_reading_and_writing_is_not_overwritten(monkeypatch):
    import leaklint.fixes.session as session

    real_fix_text = session.fix_text

    def fix_then_someone_edits(text, findings, unsafe):
        out = real_fix_text(text, findings, unsafe)
        Path("svc.py").write_text(HAZARD + "# edited meanwhile\n", encoding="utf-8")
        return out

    monkeypatch.setattr(session, "fix_text", fix_then_someone_edits)
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    Path("other.py").write_text(HAZARD, encoding="utf-8")
    result = fix("svc.py", "other.py")
    assert Path("svc.py").read_text(encoding="utf-8") == HAZARD + "# edited meanwhile\n"
    assert "svc.py:1:1: LL003 fixes not written: the file changed on disk since it was read" in result.stdout
    assert "svc.py:5:12: LL101" in result.stdout  # the finding is still reported
    assert result.exit_code == 1
    assert leftovers() == []


def test_failed_rename_leaves_the_original_and_no_temporary_file(monkeypatch):
    import leaklint.fixes.writer as writer

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "replace", broken_replace)
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    result = fix("svc.py")
    assert Path("svc.py").read_text(encoding="utf-8") == HAZARD
    assert "LL003 fixes not written: cannot write: No space left on device" in result.stdout
    assert result.exit_code == 1
    assert leftovers() == []


def test_failed_write_of_the_temporary_file_leaves_the_original(monkeypatch):
    import leaklint.fixes.writer as writer

    def broken_fsync(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(writer.os, "fsync", broken_fsync)
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    result = fix("svc.py")
    assert Path("svc.py").read_text(encoding="utf-8") == HAZARD
    assert "LL003" in result.stdout and leftovers() == []


def test_fix_that_cannot_be_encoded_leaves_the_original():
    Path("pyproject.toml").write_text('[tool.leaklint.timeouts]\nfix-timeout = "DÉLAI"\n', encoding="utf-8")
    before = ("# -*- coding: ascii -*-\n" + HAZARD).encode("ascii")
    Path("svc.py").write_bytes(before)
    result = fix("svc.py")
    assert Path("svc.py").read_bytes() == before
    assert "LL003 fix for LL101 not applied: the fixed text cannot be encoded as ascii" in result.stdout
    assert result.exit_code == 1


def test_fix_whose_result_does_not_parse_is_dropped_and_reported():
    Path("pyproject.toml").write_text('[tool.leaklint.timeouts]\nfix-timeout = "10 +"\n', encoding="utf-8")
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    result = fix("svc.py")
    assert Path("svc.py").read_text(encoding="utf-8") == HAZARD
    assert "LL003" in result.stdout and "not applied" in result.stdout
    assert "Traceback" not in result.output


def test_second_fix_run_changes_nothing():
    Path("svc.py").write_text(HAZARD * 3, encoding="utf-8")
    first = fix("svc.py")
    assert first.exit_code == 0, first.output
    once = Path("svc.py").read_bytes()
    mtime = os.stat("svc.py").st_mtime_ns
    second = fix("svc.py")
    assert second.exit_code == 0 and "fixed" not in second.stdout
    assert Path("svc.py").read_bytes() == once and os.stat("svc.py").st_mtime_ns == mtime


def test_files_without_fixes_are_never_rewritten():
    Path("clean.py").write_text("x = 1\n", encoding="utf-8")
    Path("broken.py").write_bytes(b"def f(:\n")
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    stamps = {p: os.stat(p).st_mtime_ns for p in ("clean.py", "broken.py")}
    fix(".")
    assert {p: os.stat(p).st_mtime_ns for p in stamps} == stamps
    assert Path("broken.py").read_bytes() == b"def f(:\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_added_import_uses_the_file_newline(newline):
    Path("pyproject.toml").write_text('[tool.leaklint.timeouts]\nfix-timeout = "settings.T"\n'
                                      'fix-timeout-import = "from app import settings"\n', encoding="utf-8")
    Path("svc.py").write_bytes(HAZARD.replace("\n", newline).encode())
    assert fix("svc.py").exit_code == 0
    data = Path("svc.py").read_bytes().decode()
    assert "from app import settings" + newline in data and "timeout=settings.T" in data
    assert data.replace(newline, "") == data.replace("\r", "").replace("\n", "")  # no other newline crept in


@pytest.mark.parametrize("text, rng, expected", [
    ("def f():\n    a(); b(2)\n    c()\n", (2, 4, 2, 7), "def f():\n    b(2)\n    c()\n"),
    ("def f():\n    a(); b(2)\n    c()\n", (2, 9, 2, 13), "def f():\n    a()\n    c()\n"),
    ("def f():\n    a()\n    c()\n", (2, 4, 2, 7), "def f():\n    c()\n"),
    ("if x:\n    pass\nc()\n", (1, 0, 2, 8), "c()\n"),
])
def test_remove_statement_names_lines_compound_and_small_statements(text, rng, expected):
    from leaklint.fixes.apply import apply_ops
    from leaklint.fixes.ops import RemoveStatement

    assert apply_ops(text, [RemoveStatement(rng)]) == expected


def test_fix_only_reports_a_read_only_file_and_fails():
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    Path("other.py").write_text(HAZARD, encoding="utf-8")
    os.chmod("svc.py", 0o444)
    result = fix("svc.py", "other.py", extra=("--fix-only",))
    assert result.exit_code == 1  # a fix that could not be written is a problem, unlike a finding left
    assert result.stdout.splitlines() == [
        "svc.py:1:1: LL003 fixes not written: the file is read-only; left as it is (`--fix-read-only` writes it anyway)",
        "Fixed 1; 1 finding left, reported by `leaklint check`.",
    ]
    assert Path("other.py").read_text(encoding="utf-8") == FIXED
    assert Path("svc.py").read_text(encoding="utf-8") == HAZARD
