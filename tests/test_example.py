"""The bundled example that the README's first command runs shows every rule family."""

from pathlib import Path

from helpers import check_files, settings_for

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "service.py"


def test_example_has_a_finding_of_every_family():
    result = check_files([EXAMPLE], settings_for())
    families = {f.code[:3] for f in result.findings}
    assert families == {"LL1", "LL2", "LL3", "LL4"}
    assert not [f for f in result.findings if f.code.startswith("LL00")]
