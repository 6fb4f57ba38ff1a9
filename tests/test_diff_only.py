"""--diff-only REV (alias --new-from-rev) reports findings on lines changed since REV, in a real git repo."""

from __future__ import annotations

import os
import subprocess

import pytest

from helpers import cli

BEFORE = """\
import requests


def old(url):
    return requests.get(url)
"""

AFTER = BEFORE + """

def new(url):
    return requests.post(url)
"""

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env={**os.environ, **GIT_ENV},
                   timeout=120)


def locations(result):
    return sorted(line.split(": ")[0] for line in result.output.splitlines() if ": LL" in line)


@pytest.fixture
def repo(tmp_path):
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "service.py").write_text(BEFORE, encoding="utf-8")
    git(tmp_path, "add", "service.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


def test_only_changed_lines_and_untracked_files_are_reported(repo):
    (repo / "service.py").write_text(AFTER, encoding="utf-8")
    (repo / "fresh.py").write_text(BEFORE, encoding="utf-8")
    result = cli("check", "--no-cache", "--diff-only", "HEAD", ".")
    assert result.exit_code == 1
    assert locations(result) == ["fresh.py:5:12", "service.py:9:12"]
    # without it, the old finding shows as well
    assert len(locations(cli("check", "--no-cache", "."))) == 3


def test_committed_changes_count_against_an_older_revision(repo):
    (repo / "service.py").write_text(AFTER, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "second")
    assert cli("check", "--no-cache", "--diff-only", "HEAD", ".").exit_code == 0
    result = cli("check", "--no-cache", "--new-from-rev", "HEAD~1", ".")
    assert locations(result) == ["service.py:9:12"]


def test_three_dots_compare_with_the_merge_base(repo):
    git(repo, "checkout", "-q", "-b", "feature")
    (repo / "service.py").write_text(AFTER, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "feature")
    git(repo, "checkout", "-q", "main")
    (repo / "other.py").write_text(BEFORE, encoding="utf-8")  # main moves on after the branch point
    git(repo, "add", "other.py")
    git(repo, "commit", "-q", "-m", "main moves")
    git(repo, "checkout", "-q", "feature")
    result = cli("check", "--no-cache", "--diff-only", "main...", ".")
    assert locations(result) == ["service.py:9:12"]
    # against main's tip, the file main added and the branch lacks does not count either
    assert locations(cli("check", "--no-cache", "--diff-only", "main", ".")) == ["service.py:9:12"]


def test_works_from_a_subdirectory_and_with_stdin(repo):
    sub = repo / "pkg"
    sub.mkdir()
    (sub / "mod.py").write_text(BEFORE, encoding="utf-8")
    git(repo, "add", "pkg/mod.py")
    git(repo, "commit", "-q", "-m", "pkg")
    os.chdir(sub)
    assert cli("check", "--no-cache", "--diff-only", "HEAD", "mod.py").exit_code == 0
    result = cli("check", "--no-cache", "--diff-only", "HEAD", "--stdin-filename", "mod.py", "-", input=AFTER)
    assert locations(result) == []  # stdin is compared with the file on disk's diff: unchanged
    (sub / "mod.py").write_text(AFTER, encoding="utf-8")
    result = cli("check", "--no-cache", "--diff-only", "HEAD", "--stdin-filename", "mod.py", "-", input=AFTER)
    assert locations(result) == ["mod.py:9:12"]


def test_unknown_revision_or_no_repository_is_a_usage_error(repo, tmp_path_factory):
    result = cli("check", "--no-cache", "--diff-only", "no-such-rev", ".")
    assert result.exit_code == 2
    assert "unknown git revision 'no-such-rev'" in result.output
    outside = tmp_path_factory.mktemp("plain")
    (outside / "a.py").write_text(BEFORE, encoding="utf-8")
    os.chdir(outside)
    result = cli("check", "--no-cache", "--diff-only", "HEAD", "a.py")
    assert result.exit_code == 2
    assert "git" in result.output
