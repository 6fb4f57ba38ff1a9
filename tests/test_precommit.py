"""The pre-commit hooks, run by real pre-commit (`try-repo` against this source tree)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
CLEAN = "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=10)\n"
GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_NOSYSTEM": "1"}



def snapshot(dest: Path, env: dict) -> Path:
    """This source tree as it is now, in a repository of its own. try-repo on the tree itself
    would add uncommitted changes to tracked files but leave out new files."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True, timeout=120,
                            capture_output=True, env=env).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "snapshot"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True, env=env, timeout=120)
    return dest


def try_repo(hooks_repo: Path, repo: Path, hook: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hooks_repo), hook, "--all-files",
                           "--color", "never"], cwd=repo, capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="try-repo needs this source tree to be a git checkout")
def test_hooks_check_fix_and_pass(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
           "GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig")}
    (tmp_path / "gitconfig").write_text("[init]\n\tdefaultBranch = main\n", encoding="utf-8")
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, env=env, timeout=120)
    hooks_repo = snapshot(tmp_path / "leaklint", env)
    git("init", "-q")
    (repo / "service.py").write_text(HAZARD, encoding="utf-8")
    (repo / "clean.py").write_text(CLEAN, encoding="utf-8")
    # the only fix LL101 has is unsafe: the project opts in, as teams that want the hook to rewrite do
    (repo / "pyproject.toml").write_text("[tool.leaklint]\nunsafe-fixes = true\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "init")

    check = try_repo(hooks_repo, repo, "leaklint", env)
    assert check.returncode == 1, check.stdout + check.stderr
    assert "service.py:5:12: LL101" in check.stdout
    assert "clean.py" not in check.stdout
    assert (repo / "service.py").read_text(encoding="utf-8") == HAZARD  # the check hook writes nothing

    fix = try_repo(hooks_repo, repo, "leaklint-fix", env)
    # pre-commit fails a hook that modified files, so the user reviews and stages the fix
    assert fix.returncode == 1, fix.stdout + fix.stderr
    assert "files were modified by this hook" in fix.stdout
    assert (repo / "service.py").read_text(encoding="utf-8") == CLEAN

    git("commit", "-q", "-am", "fixed")
    passed = try_repo(hooks_repo, repo, "leaklint", env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_unsafe_fixes_from_the_configuration(tmp_path):
    """What the fix hook relies on when a project opts in without hook arguments."""
    from helpers import cli

    (tmp_path / "service.py").write_text(HAZARD, encoding="utf-8")
    assert cli("check", "--no-cache", "--fix", "service.py").exit_code == 1
    assert (tmp_path / "service.py").read_text(encoding="utf-8") == HAZARD
    (tmp_path / "pyproject.toml").write_text("[tool.leaklint]\nunsafe-fixes = true\n", encoding="utf-8")
    assert cli("check", "--no-cache", "--fix", "service.py").exit_code == 0
    assert (tmp_path / "service.py").read_text(encoding="utf-8") == CLEAN
    (tmp_path / "pyproject.toml").write_text("[tool.leaklint]\nunsafe-fixes = 1\n", encoding="utf-8")
    result = cli("check", "--no-cache", "service.py")
    assert result.exit_code == 2 and "unsafe-fixes: expected true or false" in result.output


def test_both_hooks_report_each_finding_once(tmp_path):
    """The fixer applies what it can and leaves the reporting to the checker."""
    import shlex

    import yaml
    from helpers import cli

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    (tmp_path / "service.py").write_text(HAZARD, encoding="utf-8")
    (tmp_path / "other.py").write_text(HAZARD.replace("fetch", "load"), encoding="utf-8")
    outputs = []
    for hook in ("leaklint-fix", "leaklint"):  # the order of the README's configuration
        program, *args = shlex.split(hooks[hook]["entry"])
        assert program == "leaklint"
        outputs.append(cli(*args, "--no-cache", "service.py", "other.py"))
    fix, check = outputs
    assert fix.exit_code == 0, fix.output  # nothing it could fix (LL101's fix is unsafe), nothing broken
    assert "LL101" not in fix.stdout
    assert "Fixed 0; 2 findings left, reported by `leaklint check`." in fix.stdout
    assert check.exit_code == 1
    assert [line.split(":")[0] for line in check.stdout.splitlines() if ": LL101" in line] == ["other.py", "service.py"]
