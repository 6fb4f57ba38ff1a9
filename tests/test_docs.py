"""The rule docs and README's rules table are generated from the registry and cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import click
import pytest

from leaklint.checks import all_rules
from leaklint.checks.base import DOC_SECTIONS
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
    assert rule.sections() == list(DOC_SECTIONS), rule.code
    for section in DOC_SECTIONS:
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
