"""Fuzzing the caches: random sequences of edits to a small package (contents that change what
other modules' findings say, files and folders added and removed, ``.gitignore`` rules, touches,
time passing), each followed by a run with the caches and one without. The two must report the
same, whether the run replayed the last one, used the per-file cache or analysed again.

``LEAKLINT_FUZZ_EXAMPLES`` sets how many sequences run (a tenth of it, at least 12).
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

from click.testing import CliRunner  # noqa: E402

from injected import ConstantUse, injected  # noqa: E402
from leaklint.cli import main  # noqa: E402

SEQUENCES = max(12, int(os.environ.get("LEAKLINT_FUZZ_EXAMPLES", "60")) // 10)

FETCH = "def fetch(url, timeout=None):\n    return url\n"
HANDLER = "from {module} import fetch\n\n\ndef handler(url, timeout):\n    return fetch(url)\n"
USE = "from {module} import LIMIT\n\nuse(LIMIT)\n"
HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
# what each file may hold: contents whose findings depend on another file's (LL901 from the
# injected ConstantUse when a LIMIT is positive; LL103 when the callee is a project function with a
# timeout parameter), hazards, clean code and code that does not parse
BODIES = {
    "pkg/__init__.py": ["", "from .limits import LIMIT\n"],
    "pkg/limits.py": ["LIMIT = 3\n", "LIMIT = 0\n", FETCH, "x = 1\n"],
    "pkg/user.py": [USE.format(module="pkg.limits"), USE.format(module=".limits"), USE.format(module="pkg"),
                    HANDLER.format(module="pkg.limits"), HAZARD],
    "pkg/sub/__init__.py": [""],
    "pkg/sub/deep.py": ["LIMIT = 5\n", FETCH, "def broken(:\n"],
    "pkg/sub/user.py": [USE.format(module="pkg.sub.deep"), HANDLER.format(module="pkg.sub.deep")],
    "top.py": [HANDLER.format(module="helper"), USE.format(module="helper"), HAZARD],
    "scripts/tools/run.py": [HAZARD, "x = 1\n", HANDLER.format(module="helper")],  # a folder, not a package
    "scripts/tools/more.py": [HAZARD, "x = 1\n"],
    "helper.py": [FETCH, "LIMIT = 2\n", "def fetch(url):\n    return url\n",
                  "import functools\n\n\n@functools.cache\ndef slug(title):\n    return title.lower()\n"],
}
FILES = sorted(BODIES)
IGNORES = ["", "other.py\n", "sub/\n", "*.py\n!user.py\n", "deep.py\n", "helper.py\n"]

operation = st.one_of(
    st.sampled_from(FILES).flatmap(lambda f: st.tuples(st.just("write"), st.just(f), st.sampled_from(BODIES[f]))),
    st.tuples(st.just("delete"), st.sampled_from(FILES), st.none()),
    st.tuples(st.just("touch"), st.sampled_from(FILES), st.none()),
    st.tuples(st.just("ignore"), st.sampled_from(["pkg/.gitignore", ".gitignore"]), st.sampled_from(IGNORES)),
    st.tuples(st.just("age"), st.none(), st.none()),
    st.tuples(st.just("remove-folder"), st.just("pkg/sub"), st.none()),
)


def run(*args: str):
    """What a run reported (exit status and standard output), and whether it replayed the last."""
    result = CliRunner().invoke(main, ["check", "--timings", *args], catch_exceptions=False)
    assert "Traceback" not in result.output
    return f"exit {result.exit_code}\n{result.stdout}", "last identical run reused" in result.stderr


def age_everything(seconds: float = 60) -> None:
    for p in [Path("."), *Path(".").rglob("*")]:
        if ".leaklint_cache" not in p.parts:
            os.utime(p, (time.time() - seconds, time.time() - seconds))


def apply(op, path, body) -> None:
    target = Path(path) if path else None
    if op == "write" or op == "ignore":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    elif op == "delete" and target.exists():
        target.unlink()
    elif op == "touch" and target.exists():
        os.utime(target, None)
    elif op == "age":
        age_everything()
    elif op == "remove-folder" and target.exists():
        for p in sorted(target.rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
        target.rmdir()


@settings(max_examples=SEQUENCES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
@given(steps=st.lists(operation, min_size=3, max_size=12), paths=st.sampled_from([["."], ["pkg"], ["pkg", "top.py"], ["scripts", "helper.py"]]))
def test_cached_runs_report_what_uncached_runs_do(steps, paths, tmp_path_factory):
    # no function-scoped fixture here: hypothesis runs every example in the same one
    with injected(ConstantUse), inside(tmp_path_factory.mktemp("tree")):
        check_sequence(steps, paths)


@contextmanager
def inside(folder: Path):
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def check_sequence(steps, paths) -> None:
    Path(".git").mkdir()
    for path in ("pkg/__init__.py", "pkg/limits.py", "pkg/user.py", "top.py", "scripts/tools/run.py"):  # no helper.py
        apply("write", path, BODIES[path][0])
    age_everything()
    replayed = False
    for op, path, body in [("age", None, None), *steps, ("age", None, None)]:
        apply(op, path, body)
        existing = [p for p in paths if Path(p).exists()]
        if not existing:
            continue
        fresh, _ = run("--no-cache", *existing)
        for _ in range(2):  # the second may replay what the first recorded
            cached, replayed = run(*existing)
            assert cached == fresh, (op, path, body)
    assert replayed  # after the tree aged: the last run, recorded, was replayed
