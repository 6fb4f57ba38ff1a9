"""Code written for a newer Python than the interpreter: lowered, parsed, and found the same."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

from fixture_format import FIXTURES
from helpers import check_source

from leaklint.files.syntax import lower, parse

NEWER = FIXTURES / "LL101_newer_syntax"
HERE = Path(__file__).parent


def _parses(text: str) -> ast.Module:
    return ast.parse(lower(text))


def _call_position(tree: ast.Module, name: str):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            return node.lineno, node.col_offset, node.end_lineno, node.end_col_offset
    raise AssertionError(f"no call of {name}")


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this interpreter parses PEP 701 itself")
@pytest.mark.parametrize("source", [
    'x = f"{d["k"]}"; sink(x)\n',
    'x = f"{\'\\n\'.join(a)}"; sink(x)\n',
    'x = f"{f"{y}"}"; sink(x)\n',
    'x = f"{a:{"a"}>10}"; sink(x)\n',
])
def test_pep701_fstrings_keep_positions(source: str) -> None:
    tree = _parses(source)
    assert _call_position(tree, "sink") == (1, source.index("sink"), 1, source.index("(x)") + 3)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="this interpreter parses PEP 701 itself")
def test_fstring_field_spanning_lines_with_a_comment() -> None:
    source = 'x = f"{\n  a  # why\n  + b}"\nsink(x)\n'
    lowered = lower(source)
    assert "# why" not in lowered and lowered.count("\n") == source.count("\n")
    assert _call_position(ast.parse(lowered), "sink") == (4, 0, 4, 7)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="this interpreter parses type parameters itself")
def test_type_parameters_and_aliases() -> None:
    source = (
        "def f[T: int = str](x: T) -> T:\n    return sink(x)\n"
        "class C[\n    T,\n](Base):\n    pass\n"
        "type Alias[K, V = int] = dict[K, V]\n"
        "type = 3\n"
    )
    tree = _parses(source)
    func, klass, alias, assign = tree.body
    assert isinstance(func, ast.FunctionDef) and func.args.args[0].arg == "x"
    assert _call_position(tree, "sink") == (2, 11, 2, 18)
    assert isinstance(klass, ast.ClassDef) and [b.id for b in klass.bases] == ["Base"] and klass.end_lineno == 6
    # an alias binds no value (it is evaluated lazily): an annotation, as the alias's name
    assert isinstance(alias, ast.AnnAssign) and alias.value is None and alias.target.id == "Alias"
    assert (alias.annotation.lineno, alias.annotation.col_offset) == (7, source.splitlines()[6].index("dict"))
    assert isinstance(assign, ast.Assign) and assign.targets[0].id == "type"


@pytest.mark.skipif(sys.version_info >= (3, 14), reason="this interpreter parses template strings itself")
def test_template_strings_read_as_fstrings() -> None:
    tree = _parses('x = t"{a}/{b!r}"\n')
    assert isinstance(tree.body[0].value, ast.JoinedStr)


@pytest.mark.skipif(sys.version_info >= (3, 11), reason="this interpreter parses except* itself")
def test_except_star() -> None:
    tree = _parses("try:\n    pass\nexcept* (ValueError, TypeError) as e:\n    sink(e)\n")
    handler = tree.body[0].handlers[0]
    assert handler.name == "e" and _call_position(tree, "sink") == (4, 4, 4, 11)


@pytest.mark.skipif(sys.version_info >= (3, 10), reason="this interpreter parses match itself")
def test_match_statement() -> None:
    source = ("match command:\n    case {'op': op} | [op, *_] as whole if op:\n        sink(op)\n"
              "    case _:\n        pass\nmatch = 1\n")
    tree = _parses(source)
    assert isinstance(tree.body[0], ast.If) and _call_position(tree, "sink") == (3, 8, 3, 16)
    assert isinstance(tree.body[1], ast.Assign)


def test_valid_code_is_not_rewritten() -> None:
    source = 'type = 1\nmatch = [type]\nprint(f"{match!r}")\nclass C(list[int]): pass\n'
    assert lower(source) == source


def test_the_target_version_decides_the_grammar() -> None:
    source = "def f[T](x: T) -> T:\n    return x\n"
    if sys.version_info < (3, 12):
        with pytest.raises(SyntaxError):
            parse(source, target=(3, 11))
    assert isinstance(parse(source, target=(3, 12)).body[0], ast.FunctionDef)
    findings = check_source(source, config_lines=['target-version = "py311"'])
    if sys.version_info < (3, 12):
        assert [f.code for f in findings] == ["LL001"]
        assert "runs on Python 3." not in findings[0].message  # the project said 3.11: plain error
    else:
        assert findings == []  # this interpreter's own grammar accepts it


def test_a_real_syntax_error_says_how_newer_syntax_is_read() -> None:
    findings = check_source("def f(:\n    pass\n")
    assert [f.code for f in findings] == ["LL001"]
    if sys.version_info < (3, 14):
        assert "reads newer syntax up to 3.14" in findings[0].message


def test_target_version_is_validated(tmp_path: Path) -> None:
    from helpers import cli, write

    write(str(tmp_path / "pyproject.toml"), '[tool.leaklint]\ntarget-version = "py27"\n')
    write(str(tmp_path / "a.py"), "x = 1\n")
    result = cli("check", "--no-cache", "--config", str(tmp_path / "pyproject.toml"), str(tmp_path / "a.py"))
    assert result.exit_code == 2
    assert "target-version: expected one of py39" in result.output


# -- the same findings on every interpreter --------------------------------------------------------

def _interpreters() -> Dict[str, str]:
    """Python 3.9-3.14 interpreters on this machine: ``python3.X`` on PATH, or pyenv's builds
    (``$PYENV_ROOT/versions/3.X.*/bin/python``; pyenv's shims are skipped, they only run the
    selected version). The machine image here ships pyenv builds of 3.9 to 3.13."""
    found: Dict[str, str] = {}
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for minor in range(9, 15):
        version = f"3.{minor}"
        candidates = sorted(root.glob(f"{version}.*/bin/python{version}")) if root.is_dir() else []
        on_path = shutil.which(f"python{version}")
        if on_path and "shims" not in on_path:
            candidates.insert(0, Path(on_path))
        for candidate in candidates:
            probe = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info[:2])"],
                                   capture_output=True, text=True, timeout=30)
            if probe.returncode == 0 and probe.stdout.strip() == f"(3, {minor})":
                found[version] = str(candidate)
                break
    found.setdefault(f"{sys.version_info[0]}.{sys.version_info[1]}", sys.executable)
    return found


def _findings_on(python: str, tmp_path: Path) -> List[str]:
    """The driver's output under ``python``. Only leaklint's analysis is imported, which needs no
    package but tomli before 3.11: the running interpreter's own ``tomllib`` (the same parser)
    stands in for it, from a copy on the path."""
    shim = tmp_path / "shim"
    if not shim.exists():
        import tomllib  # type: ignore[import-not-found]  # only reached on 3.11+, below

        shutil.copytree(Path(tomllib.__file__).parent, shim / "tomli")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent / "src"), str(HERE), str(shim)]),
               PYTHONDONTWRITEBYTECODE="1")
    run = subprocess.run([python, str(HERE / "newer_syntax_driver.py"), str(NEWER)], capture_output=True,
                         text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the shim copies this interpreter's tomllib")
def test_same_findings_on_every_interpreter(tmp_path: Path) -> None:
    pythons = _interpreters()
    newest = max(pythons, key=lambda v: int(v.split(".")[1]))
    if int(newest.split(".")[1]) < 13:
        pytest.skip(f"no Python 3.13+ here to compare with (found {', '.join(sorted(pythons))})")
    reference = _findings_on(pythons[newest], tmp_path)
    assert reference and not any('"LL001"' in line for line in reference)
    expected_lines = {
        (path.name, lineno)
        for path in NEWER.glob("*.py")
        for lineno, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"#\s*error:", line)
    }
    assert {(row.split('"')[1], int(row.split(",")[1])) for row in reference} == expected_lines
    for version, python in sorted(pythons.items()):
        assert _findings_on(python, tmp_path) == reference, f"Python {version} differs from {newest}"
