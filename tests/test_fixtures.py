"""The generic fixture test: every file under tests/fixtures states what must be reported."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from fixture_format import FIXTURES, Fixture, discover_fixtures
from helpers import check_files, settings_for

from leaklint.analysis.file import analyse_file
from leaklint.config.catalogue import Catalogue
from leaklint.fixes.apply import fix_text

ALL = discover_fixtures()


@pytest.mark.parametrize("fixture", ALL, ids=[f.name for f in ALL])
def test_fixture_findings(fixture: Fixture) -> None:
    settings = settings_for(fixture.select, fixture.config_lines)
    result = check_files(fixture.files, settings)
    got = Counter((f.path, f.line, f.code) for f in result.findings)
    expected_list = fixture.expectations()
    expected = Counter((e.path, e.line, e.code) for e in expected_list)
    missing = expected - got
    unexpected = got - expected
    messages = {(f.path, f.line, f.code): f.message for f in result.findings}
    report = []
    for path, line, code in sorted(missing):
        report.append(f"missing   {Path(path).name}:{line}: {code}")
    for key in sorted(unexpected):
        report.append(f"unexpected {Path(key[0]).name}:{key[1]}: {key[2]} {messages.get(key, '')}")
    assert not report, "\n".join(report)
    for exp in expected_list:
        if exp.column is not None:
            cols = [f.column for f in result.findings if (f.path, f.line, f.code) == (exp.path, exp.line, exp.code)]
            assert exp.column in cols, f"{exp.path}:{exp.line} {exp.code}: column {exp.column} not in {cols}"
        if exp.fragment is not None:
            texts = [f.message for f in result.findings if (f.path, f.line, f.code) == (exp.path, exp.line, exp.code)]
            assert any(exp.fragment in t for t in texts), f"{exp.path}:{exp.line} {exp.code}: {exp.fragment!r} not in {texts}"
    for f in result.findings:
        assert f.message and f.line >= 1 and f.column >= 1
        assert (f.end_line, f.end_column) >= (f.line, f.column)


FIXED = [f for f in ALL if len(f.files) == 1 and f.files[0].with_suffix(".fixed.py").exists()]


@pytest.mark.parametrize("fixture", FIXED, ids=[f.name for f in FIXED])
def test_fixture_fix(fixture: Fixture) -> None:
    path = fixture.files[0]
    expected = path.with_suffix(".fixed.py").read_text(encoding="utf-8")
    settings = settings_for(fixture.select, fixture.config_lines)
    text = path.read_text(encoding="utf-8")
    result = check_files([path], settings)
    new, applied, failed = fix_text(text, result.findings, unsafe=fixture.fix_unsafe)
    assert not failed, failed
    assert applied, "the fixture has a .fixed.py but no fix applied"
    assert new == expected
    # a second pass finds nothing more to fix
    again = analyse_file(str(path), str(path), settings, Catalogue(settings.catalogue_extensions), raw=new.encode())
    _, applied_again, _ = fix_text(new, again.findings, unsafe=fixture.fix_unsafe)
    assert not applied_again, [f.code for f in applied_again]


def test_every_rule_pins_a_message_fragment() -> None:
    from leaklint.checks import all_rules

    pinned = {e.code for fixture in ALL for e in fixture.expectations() if e.fragment}
    missing = [r.code for r in all_rules() if r.family != "core" and r.code not in pinned]
    assert not missing, f"no fixture pins a message fragment of {missing}"


def test_fragments_are_read_from_expectations(tmp_path) -> None:
    path = tmp_path / "LL999_x.py"
    path.write_text('f()  # error: LL101:5 "pass `timeout=`", LL104\n', encoding="utf-8")
    (exp_a, exp_b) = Fixture("LL999_x.py", [path], ["LL"]).expectations()
    assert (exp_a.code, exp_a.column, exp_a.fragment) == ("LL101", 5, "pass `timeout=`")
    assert (exp_b.code, exp_b.column, exp_b.fragment) == ("LL104", None, None)


def test_every_rule_has_a_fixture() -> None:
    from leaklint.checks import all_rules

    names = [p.name for p in FIXTURES.iterdir()]
    for rule in all_rules():
        if rule.family == "core":
            continue
        assert any(n.startswith(rule.code) for n in names), f"{rule.code} has no fixture"
        if rule.fix is not None:
            assert any(n.startswith(rule.code) and n.endswith(".fixed.py") for n in names), f"{rule.code} has a fix but no .fixed.py fixture"
