"""leaklint passes on its own checkout, with no arguments, the way CI runs it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_leaklint_check_passes_on_its_own_checkout():
    result = subprocess.run([sys.executable, "-m", "leaklint", "check", "--no-cache"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "All checks passed.\n"


def test_its_own_configuration_excludes_what_is_hazardous_on_purpose():
    from leaklint.config.settings import load_settings

    settings = load_settings(None, ROOT)
    assert settings.config_path == str(ROOT / "pyproject.toml")
    # benchmarks wholesale: corpora added there later are excluded too
    assert {"tests/fixtures", "benchmarks", "examples"} <= set(settings.extend_exclude)
