"""The rule docs and README's rules table are generated from the registry and cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import pytest

from leaklint.checks import all_rules, checker_classes
from leaklint.checks.base import DOC_SECTIONS, OPTIONAL_SECTIONS
from leaklint.cli import check

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("gendocs", ROOT / "tools" / "gendocs.py")
gendocs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gendocs)
REGENERATE, stale_files = gendocs.REGENERATE, gendocs.stale_files
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
CONFIG_DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


def test_generated_docs_are_up_to_date():
    stale = [str(p.relative_to(ROOT)) for p in stale_files(ROOT)]
    assert not stale, f"out of date: {', '.join(stale)}; regenerate with `{REGENERATE}`"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.code)
def test_rule_doc_has_the_sections_in_order(rule):
    sections = rule.sections()
    assert sections == [s for s in DOC_SECTIONS if s in sections], rule.code
    assert not [s for s in DOC_SECTIONS if s not in sections and s not in OPTIONAL_SECTIONS], rule.code
    for section in sections:
        body = rule.doc.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
        assert body.strip(), f"{rule.code}: section {section!r} is empty"


def test_cli_reference_documents_every_check_option():
    options = [opt for param in check.params if isinstance(param, click.Option) for opt in param.opts
               if opt.startswith("--")]
    missing = [opt for opt in options if f"`{opt}" not in CLI_DOC]
    assert not missing, f"docs/cli.md does not document {missing}"


def test_readme_keeps_the_two_setup_commands():
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/leaklint check examples/" in README
    assert "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest" in README


def test_configuration_example_is_valid(tmp_path):
    from leaklint.config.settings import load_settings

    example = CONFIG_DOC.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "pyproject.toml").write_text(example, encoding="utf-8")
    settings = load_settings(tmp_path / "pyproject.toml")
    assert settings.options["timeouts"]["fix-timeout"] == "settings.HTTP_TIMEOUT"
    assert "blocking-calls" in settings.catalogue_extensions


@pytest.mark.parametrize("page", ["README.md", "CONTRIBUTING.md", "docs/cli.md", "docs/configuration.md",
                                  "docs/integrations.md", "docs/cache.md"])
def test_relative_links_lead_to_files_that_exist(page):
    import re

    text = (ROOT / page).read_text(encoding="utf-8")
    targets = [t.split("#", 1)[0] for t in re.findall(r"\]\(([^)\s]+)\)", text)
               if "://" not in t and not t.startswith("#")]
    missing = [t for t in targets if not ((ROOT / page).parent / t).exists()]
    assert not missing, f"{page} links to {missing}"


def _code_block(rule, section):
    body = rule.doc.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    if "```python\n" not in body:
        return None
    return body.split("```python\n", 1)[1].split("```", 1)[0]


RULES_WITH_EXAMPLES = [r for r in all_rules() if r.family != "core"]


@pytest.mark.parametrize("rule", RULES_WITH_EXAMPLES, ids=lambda r: r.code)
def test_rule_example_reports_the_rule(rule):
    from helpers import check_source

    example = _code_block(rule, "Example")
    assert example is not None, f"{rule.code}: the Example section has no python block"
    assert rule.code in [f.code for f in check_source(example, select=[rule.code])]


@pytest.mark.parametrize("rule", RULES_WITH_EXAMPLES, ids=lambda r: r.code)
def test_rule_use_instead_reports_nothing(rule):
    from helpers import check_source

    instead = _code_block(rule, "Use instead")
    assert instead is not None, f"{rule.code}: the Use instead section has no python block"
    assert [f"{f.code} {f.message}" for f in check_source(instead)] == []


def _toml_value(value):
    import json

    return json.dumps(value) if not isinstance(value, bool) else str(value).lower()


@pytest.mark.parametrize("family", [c for c in checker_classes()], ids=lambda c: c.family)
def test_every_declared_option_is_documented_with_its_default(family):
    import re

    sections = "\n".join(r.doc.split("## Options", 1)[1].split("\n## ", 1)[0] for r in family.rules)
    for name, option in family.declared_options().items():
        pattern = rf"`(?:\[tool\.leaklint\.[\w-]+\] )?{re.escape(name)}`(?: \(default `(?P<default>[^`]*)`\))?"
        found = list(re.finditer(pattern, sections))
        assert found, f"{family.family}: option {name!r} is in no rule's Options section"
        for match in found:
            if match.group("default") is not None:
                assert match.group("default") == _toml_value(option.default), (family.family, name)
