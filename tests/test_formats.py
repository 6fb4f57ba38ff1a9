"""Output formats: text, JSON, GitHub workflow commands and schema-valid SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from leaklint.cli import main
from leaklint.findings import Edit, Finding, Fix, Safety
from leaklint.fixes.ops import AddKeyword
from leaklint.report import github, json_format, sarif, text

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = REPO.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sarif_validator():
    if not SARIF_SCHEMA.exists():
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not present here (CI always has it)")
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def tricky_findings():
    fix = Fix("Add `timeout=10`", Safety.UNSAFE, (AddKeyword((5, 11, 5, 28), "timeout", "10"),),
              (Edit(5, 28, 5, 28, ", timeout=10"),))
    return [
        Finding("dir, with: odd/ü x.py", 5, 12, 5, 29, "LL101", "100% sure\r\nsecond line", fix, "abcd"),
        Finding("plain.py", 1, 1, 1, 1, "LL001", "could not parse: invalid syntax"),
    ]


# --------------------------------------------------------------------------- SARIF
def test_sarif_from_the_cli_validates_and_carries_fixes(tmp_path):
    validator = sarif_validator()
    Path("svc dir").mkdir()
    Path("svc dir/app.py").write_text(HAZARD, encoding="utf-8")
    Path("broken.py").write_text("def f(:\n", encoding="utf-8")
    result = run("check", "--format", "sarif", "svc dir", "broken.py")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, "\n".join(e.message for e in errors[:5])
    run_ = doc["runs"][0]
    rules = run_["tool"]["driver"]["rules"]
    ll101 = next(r for r in rules if r["id"] == "LL101")
    assert ll101["name"] == "blocking-call-without-timeout"
    assert ll101["shortDescription"]["text"] and ll101["fullDescription"]["text"] and ll101["help"]["text"]
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    assert set(by_rule) == {"LL001", "LL101"}
    hazard = by_rule["LL101"]
    assert rules[hazard["ruleIndex"]]["id"] == "LL101"
    location = hazard["locations"][0]["physicalLocation"]
    assert unquote(location["artifactLocation"]["uri"]) == "svc dir/app.py"
    assert location["region"] == {"startLine": 5, "startColumn": 12, "endLine": 5, "endColumn": 29}
    (replacement,) = hazard["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement["insertedContent"]["text"].strip(", ") == "timeout=10"


def test_sarif_of_tricky_paths_validates_and_round_trips():
    validator = sarif_validator()
    doc = json.loads(sarif.render(tricky_findings(), root="."))
    assert not list(validator.iter_errors(doc))
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert [unquote(u) for u in uris] == ["dir, with: odd/ü x.py", "plain.py"]
    assert all(" " not in u and "ü" not in u for u in uris)


def test_sarif_with_no_findings_validates():
    validator = sarif_validator()
    doc = json.loads(sarif.render([], root="."))
    assert not list(validator.iter_errors(doc))
    assert doc["runs"][0]["results"] == []


# --------------------------------------------------------------------------- GitHub
def test_github_escapes_message_and_properties():
    out = github.render(tricky_findings())
    first, second = out.splitlines()
    assert first == (
        "::error file=dir%2C with%3A odd/ü x.py,line=5,col=12,endLine=5,endColumn=29,"
        "title=leaklint LL101::LL101 100%25 sure%0D%0Asecond line"
    )
    assert second == "::error file=plain.py,line=1,col=1,endLine=1,endColumn=1,title=leaklint LL001::" \
                     "LL001 could not parse: invalid syntax"


def test_github_escaping_is_reversible():
    for value in ["a%0A", "50%", "x\ny", "a,b:c", "%25"]:
        escaped = github.escape_property(value)
        assert "\n" not in escaped and "," not in escaped and ":" not in escaped
        assert unquote(escaped) == value


# --------------------------------------------------------------------------- JSON and text
def test_json_round_trips_every_field():
    data = json.loads(json_format.render(tricky_findings()))
    assert data[0]["path"] == "dir, with: odd/ü x.py"
    assert data[0]["message"] == "100% sure\r\nsecond line"
    assert data[0]["fix"] == {"safety": "unsafe", "description": "Add `timeout=10`",
                              "edits": [{"line": 5, "column": 28, "end_line": 5, "end_column": 28,
                                         "content": ", timeout=10"}]}
    assert data[1]["fix"] is None and data[1]["name"] == "file-not-analysed"


def test_text_marks_fixable_and_summarises():
    out = text.render(tricky_findings(), statistics=False, quiet=False)
    lines = out.splitlines()
    assert lines[0].startswith("dir, with: odd/ü x.py:5:12: LL101 [*unsafe] 100% sure")
    assert "Found 2 findings (0 fixable); 1 path not analysed (LL001)." in lines
    assert "1 more fix available with `--fix --unsafe-fixes`." in lines
    assert "Found 2 findings (1 fixable); 1 path not analysed (LL001)." in text.render(
        tricky_findings(), unsafe_fixes=True).splitlines()
    assert text.render([], quiet=False) == "All checks passed.\n"
    assert text.render([], quiet=True) == ""


# --------------------------------------------------------------------------- levels and doc URLs
@pytest.mark.parametrize("config, flags, level", [
    ("", (), "error"),
    ('github-level = "warning"\n', (), "warning"),
    ('github-level = "warning"\n', ("--github-level", "notice"), "notice"),
    ("", ("--github-level", "warning"), "warning"),
])
def test_github_level_from_configuration_and_flag(config, flags, level):
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    Path("leaklint.toml").write_text(config, encoding="utf-8")
    result = run("check", "--no-cache", "--format", "github", *flags, "svc.py")
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert line.startswith(f"::{level} file=svc.py,line=5,col=12,endLine=5,endColumn=29,title=leaklint LL101::LL101 ")


def test_json_and_sarif_carry_each_rules_doc_url():
    from leaklint.config import DOCS_URL
    from leaklint.config.registry import CODES

    data = json.loads(json_format.render(tricky_findings()))
    assert [d["url"] for d in data] == [DOCS_URL + "LL101.md", DOCS_URL + "LL001.md"]
    doc = json.loads(sarif.render(tricky_findings(), root="."))
    uris = {r["id"]: r["helpUri"] for r in doc["runs"][0]["tool"]["driver"]["rules"]}
    assert set(uris) == set(CODES)
    for code, uri in uris.items():
        assert uri == f"{DOCS_URL}{code}.md"
        assert (REPO / "docs" / "rules" / f"{code}.md").is_file()  # the address names a file of the project
    assert DOCS_URL.endswith("/docs/rules/")


def test_one_run_writes_several_reports():
    Path("svc.py").write_text(HAZARD, encoding="utf-8")
    result = run("check", "--no-cache", "--format", "github", "--report", "sarif:out/../r.sarif",
                 "--report", "json:r.json", "--report", "text:r.txt", "svc.py")
    assert result.exit_code == 2 and "out/../r.sarif: cannot write" in result.stderr  # no such folder
    result = run("check", "--no-cache", "--format", "github", "--report", "sarif:r.sarif",
                 "--report", "json:r.json", "--report", "text:r.txt", "svc.py")
    assert result.exit_code == 1
    assert result.stdout.startswith("::error file=svc.py,line=5")
    sarif_doc = json.loads(Path("r.sarif").read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif_doc["runs"][0]["results"]] == ["LL101"]
    assert sarif_doc["runs"][0]["results"][0].get("fixes")  # edits computed for a SARIF report too
    assert [d["code"] for d in json.loads(Path("r.json").read_text(encoding="utf-8"))] == ["LL101"]
    assert Path("r.txt").read_text(encoding="utf-8").startswith("svc.py:5:12: LL101 [*unsafe] ")


@pytest.mark.parametrize("value", ["sarif", "xml:out.xml", "json:"])
def test_report_needs_a_known_format_and_a_file(value):
    result = run("check", "--report", value, ".")
    assert result.exit_code == 2
    assert "expected FORMAT:FILE" in result.output
