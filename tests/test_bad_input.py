"""Hostile files: each gets one clear diagnostic or is analysed normally, and the other files'
findings are all still reported."""

from __future__ import annotations

import builtins
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from leaklint.cli import main

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
NEIGHBOUR = "neighbour.py:5:12: LL101"


def run(*args: str):
    return CliRunner().invoke(main, ["check", "--no-cache", *args], catch_exceptions=False)


def lines(result):
    return [line for line in result.stdout.splitlines() if ": LL" in line]


def check_with_neighbour(name: str, data: bytes, *extra: str):
    """Check a hostile file next to an ordinary one; the ordinary one's finding must survive."""
    Path(name).parent.mkdir(parents=True, exist_ok=True)
    Path(name).write_bytes(data)
    Path("neighbour.py").write_bytes(HAZARD.encode())
    result = run(*extra, ".")
    assert "Traceback" not in result.output
    assert result.exit_code in (1, 2), result.output
    found = lines(result)
    assert any(line.startswith(NEIGHBOUR) for line in found), result.output
    return [line for line in found if not line.startswith("neighbour.py:")]


# --------------------------------------------------------------------------- syntax
VALID = HAZARD + "\n\nclass C:\n    def m(self):\n        return [x for x in range(3)]\n"


@pytest.mark.parametrize("line_no", range(1, VALID.count("\n") + 2))
def test_syntax_error_on_any_line_is_reported_there(line_no):
    lines_ = VALID.split("\n")
    lines_.insert(line_no - 1, "x = = 1")
    (diag,) = check_with_neighbour("broken.py", "\n".join(lines_).encode())
    assert diag.startswith(f"broken.py:{line_no}:") and "LL001 could not parse" in diag


@pytest.mark.parametrize("cut", [1, 7, 20, 33, 47, 60])
def test_truncated_file_never_crashes(cut):
    diag = check_with_neighbour("cut.py", HAZARD[:cut].encode() + b"(")
    assert all("LL001 could not parse" in d for d in diag) and len(diag) == 1


@pytest.mark.parametrize("source", [
    'print "hello"\n',
    "try:\n    pass\nexcept Exception, e:\n    pass\n",
    "x = 0777\n",
    "x = `1`\n",
    "exec 'x = 1'\n",
    "def f((a, b)):\n    pass\n",
    "raise E, 'v'\n",
    "x = ur'abc'\n",
])
def test_python2_code(source):
    (diag,) = check_with_neighbour("legacy.py", source.encode())
    assert "LL001 could not parse" in diag


# --------------------------------------------------------------------------- encodings
def test_invalid_utf8_reports_the_position():
    data = b"import requests\nx = 1\ny = 'caf\xe9'\n"
    (diag,) = check_with_neighbour("latin.py", data)
    assert diag.startswith("latin.py:3:9: LL001 could not decode")


def test_invalid_utf8_in_the_first_line():
    (diag,) = check_with_neighbour("first.py", b"\xff\xfe = 1\n")
    assert diag.startswith("first.py:1:") and "LL001 could not decode" in diag


@pytest.mark.parametrize("data", [
    b"# -*- coding: klingon -*-\nx = 1\n",
    b"# coding: ascii\nx = '\xc3\xa9'\n",
    b"\xef\xbb\xbf# coding: latin-1\nx = 1\n",  # a BOM and a cookie that disagree
])
def test_wrong_encoding_cookie(data):
    (diag,) = check_with_neighbour("cookie.py", data)
    assert "LL001 could not decode" in diag


def test_latin1_with_cookie_is_analysed_and_columns_count_characters():
    data = "# -*- coding: latin-1 -*-\nimport requests\nx = 'é'; requests.get(x)\n".encode("latin-1")
    (finding,) = check_with_neighbour("latin.py", data)
    assert finding.startswith("latin.py:3:10: LL101")


def test_utf8_columns_count_characters():
    (finding,) = check_with_neighbour("wide.py", "import requests\nx = '日本'; requests.get(x)\n".encode())
    assert finding.startswith("wide.py:2:11: LL101")


def test_bom_is_analysed():
    (finding,) = check_with_neighbour("bom.py", b"\xef\xbb\xbf" + HAZARD.encode())
    assert finding.startswith("bom.py:5:12: LL101")


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_newline_styles(newline):
    (finding,) = check_with_neighbour("nl.py", HAZARD.replace("\n", newline).encode())
    assert finding.startswith("nl.py:5:12: LL101")


def test_mixed_newlines():
    data = b"import requests\r\n\n\rdef fetch(url):\r\n    return requests.get(url)\n"
    (finding,) = check_with_neighbour("mixed.py", data)
    assert finding.startswith("mixed.py:5:12: LL101")


def test_form_feed_and_line_separator_do_not_shift_lines():
    # str.splitlines() would split these; Python does not, so noqa must stay on its own line
    data = "import requests\nx = '\u2028'; y = '\x0c'\nrequests.get(1)  # noqa\nrequests.get(2)\n".encode()
    (finding,) = check_with_neighbour("ff.py", data)
    assert finding.startswith("ff.py:4:1: LL101")


def test_tabs():
    data = b"import requests\n\ndef fetch(url):\n\tif url:\n\t\treturn requests.get(url)\n"
    (finding,) = check_with_neighbour("tabs.py", data)
    assert finding.startswith("tabs.py:5:10: LL101")


def test_inconsistent_tabs_are_a_parse_error():
    (diag,) = check_with_neighbour("tabs.py", b"if x:\n\ty = 1\n        z = 2\n")
    assert diag.startswith("tabs.py:3:") and "LL001 could not parse" in diag


def test_nul_bytes():
    (diag,) = check_with_neighbour("nul.py", b"x = 1\ny = 2\x00\n")
    assert diag.startswith("nul.py:2:1: LL001") and "NUL" in diag


@pytest.mark.parametrize("data", [b"", b"\n", b"   \n\n", b"# only a comment", b"\xef\xbb\xbf"])
def test_empty_files(data):
    assert check_with_neighbour("empty.py", data) == []


# --------------------------------------------------------------------------- size and depth
def test_ten_megabyte_file():
    filler = ("X = '" + "a" * 1000 + "'\n") * 10_000
    assert len(filler) > 10_000_000
    (finding,) = check_with_neighbour("big.py", (filler + HAZARD).encode())
    assert finding.startswith("big.py:10005:12: LL101")


def test_very_long_line_is_fast_enough_to_finish():
    # ast.get_source_segment is quadratic in a line's length; a 2 MB line must still be analysed
    data = ("import requests\nx = '" + "a" * 2_000_000 + "'; requests.get(x)\n").encode()
    (finding,) = check_with_neighbour("long.py", data)
    assert finding.startswith("long.py:2:2000009: LL101")


@pytest.mark.parametrize("expression", [
    " + ".join(["1"] * 1000),
    "not " * 1000 + "y",
    "f" + "(1)" * 1000,
    "a" + ".b" * 1000,
    "a" + "[0]" * 1000,
    "a" + " if b else a" * 1000,
    "-" * 1000 + "1",
    "lambda: " * 1000 + "1",
])
def test_thousand_deep_expressions(expression):
    found = check_with_neighbour("deep.py", f"import requests\nx = {expression}\nrequests.get(1)\n".encode())
    # the parser may refuse some shapes (a clear LL001), otherwise the hazard after it is found
    assert found == ["deep.py:3:1: LL101 [*unsafe] `requests.get` has no timeout: it can wait forever on "
                     "a peer that never answers; pass `timeout=`"] or (len(found) == 1 and "LL001" in found[0])


def test_thousand_nested_parentheses_give_a_diagnostic():
    (diag,) = check_with_neighbour("parens.py", ("x = " + "(" * 1000 + "1" + ")" * 1000 + "\n").encode())
    assert "LL001 could not parse" in diag


def nested_functions(depth: int) -> str:
    text = "import requests\n"
    for i in range(depth):
        text += " " * i + f"def f{i}():\n"
    return text + " " * depth + "requests.get(1)\n"


def test_ninety_nine_nested_functions_are_analysed():
    (finding,) = check_with_neighbour("nest.py", nested_functions(99).encode())
    assert finding.startswith("nest.py:101:100: LL101")


def test_hundred_nested_functions_give_a_diagnostic():
    (diag,) = check_with_neighbour("nest.py", nested_functions(100).encode())
    assert diag.startswith("nest.py:102:") and "LL001 could not parse" in diag


def test_deep_nesting_under_fix_never_crashes():
    data = f"import requests\nx = {' + '.join(['1'] * 1000)}\nrequests.get(1)\n".encode()
    Path("deep.py").write_bytes(data)
    result = run("--fix", "--unsafe-fixes", "deep.py")
    assert "Traceback" not in result.output and result.exit_code in (0, 1)
    text = Path("deep.py").read_bytes()
    # either the fix was applied or the file is untouched and the finding says why
    assert text == data.replace(b"get(1)", b"get(1, timeout=10)") or (text == data and "LL003" in result.stdout)


# --------------------------------------------------------------------------- the file system
def test_file_deleted_between_discovery_and_reading(monkeypatch):
    import leaklint.run.check as runner

    real = runner.discover

    def discover_then_delete(*args, **kwargs):
        found = real(*args, **kwargs)
        os.unlink("gone.py")
        return found

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    (diag,) = check_with_neighbour("gone.py", HAZARD.encode())
    assert diag == "gone.py:1:1: LL001 could not read: file vanished before it was read"


def test_file_unreadable_between_discovery_and_reading(monkeypatch):
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    (diag,) = check_with_neighbour("secret.py", HAZARD.encode())
    assert diag == "secret.py:1:1: LL001 could not read: Permission denied"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_file_without_read_permission():
    Path("secret.py").write_text(HAZARD, encoding="utf-8")
    os.chmod("secret.py", 0)
    try:
        assert lines(run(".")) == ["secret.py:1:1: LL001 could not read: Permission denied"]
    finally:
        os.chmod("secret.py", 0o644)


def test_directory_named_like_a_python_file():
    Path("x.py").mkdir()
    Path("x.py/inner.py").write_text(HAZARD, encoding="utf-8")
    found = check_with_neighbour("other.py", b"x = 1\n")
    assert found == [os.path.join("x.py", "inner.py") + ":5:12: LL101 [*unsafe] `requests.get` has no "
                     "timeout: it can wait forever on a peer that never answers; pass `timeout=`"]
    named = run("x.py")
    assert named.exit_code == 1 and len(lines(named)) == 1


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlink_loops():
    os.mkdir("pkg")
    os.symlink("..", "pkg/up")  # a directory loop
    os.symlink("b.py", "a.py")  # a file loop
    os.symlink("a.py", "b.py")
    os.symlink("missing.py", "dangling.py")
    Path("pkg/mod.py").write_text(HAZARD, encoding="utf-8")
    found = check_with_neighbour("plain.py", b"x = 1\n")
    assert [f.split(": ", 1)[0] for f in found] == [
        "a.py:1:1", "b.py:1:1", "dangling.py:1:1", os.path.join("pkg", "mod.py") + ":5:12"]
    assert "symbolic link" in found[0] and "broken symbolic link" in found[2]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_named_like_a_python_file_does_not_block():
    os.mkfifo("pipe.py")
    assert check_with_neighbour("plain.py", b"x = 1\n") == []
    named = run("pipe.py")
    assert named.exit_code == 1 and lines(named) == ["pipe.py:1:1: LL001 could not read: not a regular file"]


def test_paths_with_spaces_and_non_ascii():
    found = check_with_neighbour("dir with space/ünïcödé 名前.py", HAZARD.encode())
    assert found[0].startswith(os.path.join("dir with space", "ünïcödé 名前.py") + ":5:12: LL101")
    named = run("dir with space/ünïcödé 名前.py")
    assert named.exit_code == 1


def test_file_larger_than_the_limit(monkeypatch):
    import leaklint.files.source as source

    monkeypatch.setattr(source, "MAX_FILE_BYTES", 2 * 1024 * 1024)
    reads = []
    real_open = open

    def counting_open(file, mode="r", *args, **kwargs):
        if str(file).endswith("huge.py"):
            reads.append(mode)
        return real_open(file, mode, *args, **kwargs)

    import leaklint.run.analyse as engine

    monkeypatch.setattr(engine, "open", counting_open, raising=False)
    monkeypatch.setattr(source, "open", counting_open, raising=False)
    (diag,) = check_with_neighbour("huge.py", b"x = 1\n" * 400_000)
    assert "LL001 could not read: file is larger than" in diag
    assert reads == []  # refused by its size, never read


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="the file system must accept any bytes")
@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_file_name_that_is_not_utf8(fmt):
    name = os.fsdecode(b"caf\xe9.py")
    Path(name).write_bytes(HAZARD.encode())
    result = run("--format", fmt, "--output-file", "report.out", ".")
    assert result.exit_code == 1, result.output
    report = Path("report.out").read_bytes()
    assert b"caf\xe9.py" in report or b"caf%E9.py" in report
    if fmt == "sarif":
        import json

        uri = json.loads(report)["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "caf%E9.py"
