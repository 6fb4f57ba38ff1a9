"""Fuzzing: random valid programs (hypothesmith) and the fixture files with hazard shapes inserted at
random statement boundaries. For each program: nothing raises, every finding lies inside the file,
every fix applies and re-parses, the fixed AST equals the original except at the fix sites, and a
second fix pass changes nothing.

CI runs a bounded number of examples; ``LEAKLINT_FUZZ_EXAMPLES`` sets how many each test runs
(see "Fuzzing" in CONTRIBUTING.md for the long run).
"""

from __future__ import annotations

import ast
import difflib
import os
import random
from pathlib import Path
from typing import List, Sequence, Set, Tuple

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, Phase, given, settings, strategies as st  # noqa: E402

from helpers import settings_for  # noqa: E402
from leaklint.run.analyse import Job, analyse_jobs  # noqa: E402
from leaklint.findings import Finding  # noqa: E402
from leaklint.fixes.apply import fix_text, reparses  # noqa: E402
from leaklint.fixes.session import fix_files  # noqa: E402
from leaklint.run.check import CheckOptions  # noqa: E402
from leaklint.files.source import decode, split_lines  # noqa: E402

EXAMPLES = int(os.environ.get("LEAKLINT_FUZZ_EXAMPLES", "60"))
def _native(path: Path) -> bool:
    """Whether this interpreter's own ``ast`` parses ``path``: the mutations and the tree
    comparisons below work on ``ast`` trees (newer syntax has its own tests, test_syntax.py)."""
    try:
        ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return False
    return True


FIXTURES = sorted(p for p in (Path(__file__).parent / "fixtures").rglob("*.py")
                  if not p.name.endswith(".fixed.py") and _native(p))
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES <= 200,
    suppress_health_check=list(HealthCheck),
    # each failure prints its whole program; shrinking programs this size costs minutes
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)

# one line each (``\n`` separated), shaped like the hazards of every family, with their imports
HAZARDS = [
    "import requests\nrequests.get(url)",
    "import requests as rq\nresp = rq.post(url, json={'a': 1})",
    "from requests import get as fetch\nfetch(url); fetch(url, timeout=1)",
    "import requests\nsession = requests.Session()\nsession.get(url)",
    "import urllib.request\nurllib.request.urlopen(url).read()",
    "import subprocess\nsubprocess.run(['ls'], check=True)",
    "import time\ntime.sleep(1)",
    "import asyncio\nasyncio.ensure_future(asyncio.sleep(1))",
    "import threading\nthreading.Lock().acquire()",
    "import queue\nq = queue.Queue()",
    "f = open(path)\ndata = f.read()",
    "import functools\n@functools.lru_cache(maxsize=None)\ndef cached(key):\n    return key",
    "_CACHE = {}\n_CACHE[key] = value",
    "from prometheus_client import Counter\nHITS = Counter('hits', 'Hits', ['path'])\nHITS.labels(path=request.path).inc()",
    "while True:\n    try:\n        requests.get(url)\n        break\n    except Exception:\n        pass",
    "try:\n    work()\nexcept BaseException:\n    pass",
    "async def handler(request):\n    import requests\n    return requests.get(request.url)",
    "def call(url, timeout=None):\n    import requests\n    return requests.get(url)",
    "import requests\nrequests.request('GET', url, **kwargs)",
    "import requests\nrequests.get(  # noqa: LL101\n    url)",
]


# --------------------------------------------------------------------------- checks
def check_program(text: str, name: str = "fuzz.py") -> None:
    """Run every property on one program; failures name the program."""
    try:
        _check(text, name)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- program ---\n{text}") from None


def _analyse(text: str, name: str) -> Tuple[List[Finding], object, Job]:
    job = Job(path=os.path.join("never-written", name), display=name, raw=text.encode("utf-8"))
    result = analyse_jobs([job], settings_for(("LL",)), workers=1, use_cache=False)
    return result.findings, result, job


def _check(text: str, name: str) -> None:
    findings, result, job = _analyse(text, name)
    codes = [f.code for f in findings]
    assert "LL002" not in codes, [f.message for f in findings if f.code == "LL002"]
    parses = reparses(text)
    assert ("LL001" in codes) == (not parses), [f.message for f in findings if f.code == "LL001"]
    lines = split_lines(text)
    for f in findings:
        _assert_inside(f, lines)
    if not parses:
        return
    fixed, applied, failed = fix_text(text, findings, unsafe=True)
    assert not failed, f"fixes failed: {[(f.code, reason) for f, reason in failed]}"
    if applied:
        assert reparses(fixed), "the fixed code does not parse"
        _assert_same_ast_outside_fix_sites(text, fixed, applied)
    # the full fix loop, twice: the second pass must change nothing
    once = _fix_loop(text, name)
    assert reparses(once)
    twice = _fix_loop(once, name)
    assert twice == once, "a second --fix changed the file:\n" + "".join(
        difflib.unified_diff(split_lines(once), split_lines(twice)))


def _fix_loop(text: str, name: str) -> str:
    findings, result, job = _analyse(text, name)
    options = CheckOptions(paths=["-"], fix=True, unsafe_fixes=True)
    outcome = fix_files(result, [job], result_settings(), options, write=False)
    assert not [f for f in outcome.findings if f.code in ("LL002", "LL003")], \
        [f.message for f in outcome.findings if f.code in ("LL002", "LL003")]
    return outcome.stdin_text if outcome.stdin_text is not None else text


def result_settings():
    return settings_for(("LL",))


def _assert_inside(f: Finding, lines: Sequence[str]) -> None:
    assert 1 <= f.line <= max(len(lines), 1), f"{f.code} line {f.line} outside 1..{len(lines)}"
    assert 1 <= f.end_line <= max(len(lines), 1), f"{f.code} end line {f.end_line} outside the file"
    assert (f.line, f.column) <= (f.end_line, f.end_column), f"{f.code} ends before it starts"

    def width(n: int) -> int:
        return len(lines[n - 1].rstrip("\r\n")) if lines else 0

    assert 1 <= f.column <= width(f.line) + 1, f"{f.code} column {f.column} outside line {f.line}"
    assert 1 <= f.end_column <= width(f.end_line) + 1, f"{f.code} end column {f.end_column} outside"


def _char_range(node: ast.AST, source) -> Tuple[int, int, int, int]:
    return (node.lineno, source.char_column(node.lineno, node.col_offset),
            node.end_lineno, source.char_column(node.end_lineno, node.end_col_offset))


def _assert_same_ast_outside_fix_sites(old: str, new: str, applied: Sequence[Finding]) -> None:
    source = decode("old.py", old.encode("utf-8"))
    sites: Set[Tuple[int, int, int, int]] = set()
    adds_imports = False
    for f in applied:
        for op in f.fix.ops:
            rng = op.range
            if rng is None:
                adds_imports = True
            else:
                sites.add(tuple(rng))
    old_tree, new_tree = ast.parse(old), ast.parse(new)

    def is_site(node: ast.AST) -> bool:
        return hasattr(node, "end_lineno") and _char_range(node, source) in sites

    def same(a, b, path: str) -> None:
        if isinstance(a, ast.AST) and is_site(a):
            return
        if isinstance(a, list) and isinstance(b, list):
            same_list(a, b, path)
            return
        if not isinstance(a, ast.AST) or not isinstance(b, ast.AST):
            assert a == b, f"{path}: {a!r} became {b!r}"
            return
        assert type(a) is type(b), f"{path}: {type(a).__name__} became {type(b).__name__}"
        for field in a._fields:
            same(getattr(a, field, None), getattr(b, field, None), f"{path}.{field}")

    def same_list(a: list, b: list, path: str) -> None:
        if len(a) == len(b) and not any(isinstance(x, ast.AST) and is_site(x) for x in a):
            for i, (x, y) in enumerate(zip(a, b)):
                same(x, y, f"{path}[{i}]")
            return
        # a fix site may become any number of statements (replace_statement, remove_statement,
        # a statement moved into a new `with`), and added imports may appear anywhere
        def matches(x, y, where) -> bool:
            try:
                same(x, y, where)
            except AssertionError:
                return False
            return True

        def is_import(y) -> bool:
            return adds_imports and isinstance(y, (ast.Import, ast.ImportFrom, ast.alias))

        memo = {}

        def align(i: int, j: int) -> bool:
            key = (i, j)
            if key not in memo:
                if i == len(a):
                    ok = all(is_import(y) for y in b[j:])
                elif isinstance(a[i], ast.AST) and is_site(a[i]):
                    ok = any(align(i + 1, k) for k in range(j, len(b) + 1))
                else:
                    ok = (j < len(b) and matches(a[i], b[j], f"{path}[{i}]") and align(i + 1, j + 1)) \
                        or (j < len(b) and is_import(b[j]) and align(i, j + 1))
                memo[key] = ok
            return memo[key]

        assert align(0, 0), f"{path} changed outside any fix site"

    same(old_tree, new_tree, "module")


# --------------------------------------------------------------------------- mutations
def statement_slots(text: str) -> List[Tuple[int, str]]:
    """(line index, indentation) before which a statement may be inserted."""
    tree = ast.parse(text)
    lines = split_lines(text)
    slots = [(len(lines), "")]
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            for stmt in block:
                if not isinstance(stmt, ast.stmt):
                    continue
                first = min([stmt.lineno] + [d.lineno for d in getattr(stmt, "decorator_list", [])])
                line = lines[first - 1] if first - 1 < len(lines) else ""
                indent = line[: len(line) - len(line.lstrip(" \t"))]
                col = stmt.col_offset if first == stmt.lineno else len(indent)
                # the statement must start its own physical line (not `if x: a; b`)
                if line.strip() and len(indent) == col and line.isascii():
                    slots.append((first - 1, indent))
    return slots


def mutate(text: str, seed: int, count: int) -> str:
    rng = random.Random(seed)
    if text and not text.endswith(("\n", "\r")):
        text += "\n"
    for _ in range(count):
        line_index, indent = rng.choice(statement_slots(text))
        lines = split_lines(text)
        newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
        snippet = rng.choice(HAZARDS)
        block = "".join(indent + part + newline for part in snippet.split("\n"))
        lines.insert(line_index, block)
        candidate = "".join(lines)
        if reparses(candidate):
            text = candidate
    return text


def _fixture_texts() -> List[Tuple[str, str]]:
    out = []
    for path in FIXTURES:
        try:
            text = decode(str(path), path.read_bytes()).text
        except Exception:
            continue
        if reparses(text):
            out.append((path.name, text))
    return out


FIXTURE_TEXTS = _fixture_texts()


# --------------------------------------------------------------------------- the tests
@FUZZ_SETTINGS
@given(st.data())
def test_mutated_fixtures(data):
    name, text = data.draw(st.sampled_from(FIXTURE_TEXTS or [("empty.py", "")]), label="fixture")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    count = data.draw(st.integers(1, 6), label="insertions")
    check_program(mutate(text, seed, count), name)


hypothesmith = pytest.importorskip("hypothesmith")
PROGRAMS = hypothesmith.from_grammar()  # built once: each call compiles the grammar (seconds)


@FUZZ_SETTINGS
@given(PROGRAMS, st.data())
def test_hypothesmith_programs(program, data):
    if data.draw(st.booleans(), label="with hazards") and reparses(program):
        program = mutate(program, data.draw(st.integers(0, 2**32 - 1), label="seed"), 3)
    check_program(program)


def test_mutation_inserts_hazards_that_are_found():
    # guards the fuzzer itself: a mutation must yield hazards the linter reports
    base = "def f(url):\n    x = 1\n    return x\n"
    text = base
    for seed in range(50):
        text = mutate(text, seed, 1)
    findings, _, _ = _analyse(text, "m.py")
    assert len(text.splitlines()) > len(base.splitlines()) + 20
    assert sum(1 for f in findings if f.code == "LL101") >= 3


def test_ast_comparison_catches_a_change_outside_the_fix_site():
    # guards the property checker: an edit away from the fix site must be noticed
    old = "import requests\nx = 1\nrequests.get(u)\n"
    findings, _, _ = _analyse(old, "c.py")
    applied = [f for f in findings if f.code == "LL101"]
    good = "import requests\nx = 1\nrequests.get(u, timeout=10)\n"
    _assert_same_ast_outside_fix_sites(old, good, applied)
    with pytest.raises(AssertionError):
        _assert_same_ast_outside_fix_sites(old, good.replace("x = 1", "x = 2"), applied)
