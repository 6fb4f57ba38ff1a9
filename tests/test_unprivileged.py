"""What an ordinary user meets on a file system with unreadable parts: every file or folder that
could not be read is reported with the real cause, never skipped in silence. Root reads anything,
so under root each run drops to an unprivileged user in a subprocess."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator, List

import pytest

pwd = pytest.importorskip("pwd", reason="needs POSIX users")

HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
TEST_USER = "leaklint-test"


def _unprivileged_prefix() -> List[str]:
    """The command prefix that runs a program as an unprivileged user; skips the test when none
    can be had."""
    if not hasattr(os, "geteuid"):
        pytest.skip("needs POSIX users")
    if os.geteuid() != 0:
        return []
    try:
        user = pwd.getpwnam("nobody")
    except KeyError:
        if shutil.which("useradd") is None:
            pytest.skip("no unprivileged user, and no useradd to make one")
        subprocess.run(["useradd", "--system", "--no-create-home", TEST_USER], capture_output=True, timeout=60)
        try:
            user = pwd.getpwnam(TEST_USER)
        except KeyError:
            pytest.skip("useradd could not make an unprivileged user")
    if shutil.which("setpriv"):
        return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups"]
    if shutil.which("runuser"):
        return ["runuser", "-u", user.pw_name, "--"]
    pytest.skip("neither setpriv nor runuser to drop privileges")


@pytest.fixture
def tree() -> Iterator[Path]:
    """A folder every user can enter (pytest's own temporary folders are private to root)."""
    top = Path(tempfile.mkdtemp(prefix="leaklint-unprivileged-"))
    top.chmod(0o755)
    try:
        yield top
    finally:
        for folder, dirs, _ in os.walk(top):
            for name in dirs:
                os.chmod(os.path.join(folder, name), 0o755)
        shutil.rmtree(top)


def leaklint(tree: Path, *args: str, cache: bool = False) -> subprocess.CompletedProcess:
    command = _unprivileged_prefix() + [sys.executable, "-m", "leaklint", "check",
                                        *(() if cache else ("--no-cache",)), *args]
    return subprocess.run(command, cwd=tree, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HOME": str(tree)})


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o755)
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)


def test_unreadable_folder_is_reported_and_counted(tree):
    write(tree / "app" / "secret" / "a.py", HAZARD)
    write(tree / "app" / "ok.py", HAZARD)
    (tree / "app" / "secret").chmod(0)
    result = leaklint(tree, "app")
    assert result.returncode == 1, result.stderr
    found = [line.split(" ", 2)[:2] for line in result.stdout.splitlines() if ": LL" in line]
    assert found == [[os.path.join("app", "ok.py") + ":5:12:", "LL101"],
                     [os.path.join("app", "secret") + ":1:1:", "LL001"]]
    assert os.path.join("app", "secret") + ":1:1: LL001 could not read directory: Permission denied" in result.stdout
    assert "1 path not analysed (LL001)" in result.stdout


def test_the_only_folder_unreadable_is_not_all_checks_passed(tree):
    write(tree / "secret" / "a.py", HAZARD)
    (tree / "secret").chmod(0)
    result = leaklint(tree, ".")
    assert result.returncode == 1, result.stderr
    assert "All checks passed" not in result.stdout
    assert "secret:1:1: LL001 could not read directory: Permission denied" in result.stdout


def test_unreadable_named_file_is_permission_denied(tree):
    write(tree / "secret.py", HAZARD, mode=0)
    result = leaklint(tree, "secret.py")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[0] == "secret.py:1:1: LL001 could not read: Permission denied"
    assert "no such file" not in result.stdout + result.stderr


def test_named_file_in_an_unsearchable_folder_is_permission_denied(tree):
    write(tree / "locked" / "a.py", HAZARD)
    (tree / "locked").chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)  # listable, not searchable
    result = leaklint(tree, os.path.join("locked", "a.py"), "missing.py")
    assert result.returncode == 2
    assert "missing.py: no such file or directory" in result.stderr  # a missing path is a usage error ...
    result = leaklint(tree, os.path.join("locked", "a.py"))
    assert result.returncode == 1, result.stderr  # ... one that exists but cannot be read is reported
    assert result.stdout.splitlines()[0] == os.path.join("locked", "a.py") + ":1:1: LL001 could not read: Permission denied"


def test_folder_made_unreadable_after_a_cached_run_is_reported(tree):
    tree.chmod(0o777)  # the user writes the cache here
    write(tree / "app" / "secret" / "a.py", HAZARD)
    write(tree / "app" / "b.py", "x = 1\n")
    for folder in (tree / "app", tree / "app" / "secret"):
        folder.chmod(0o777)
    first = leaklint(tree, "app", cache=True)
    assert first.returncode == 1 and "a.py:5:12: LL101" in first.stdout, first.stderr
    assert leaklint(tree, "app", cache=True).stdout == first.stdout  # served from the cache
    (tree / "app" / "secret").chmod(0)  # changes no folder's mtime
    after = leaklint(tree, "app", cache=True)
    assert after.returncode == 1
    assert [line for line in after.stdout.splitlines() if ": LL" in line] == [
        os.path.join("app", "secret") + ":1:1: LL001 could not read directory: Permission denied"]
