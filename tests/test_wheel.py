"""The wheel is complete: built from this checkout, installed into a fresh virtualenv, it runs
``leaklint check`` outside the source tree with the rule catalogues it ships."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    # the test extra installs the build backend; isolation would download it again
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(dist), str(REPO)],
                   check=True, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_clean_env())
    (wheel,) = dist.glob("leaklint-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    shipped = sorted(n.split("/")[-1] for n in names if n.startswith("leaklint/_rules/") and n.endswith(".toml"))
    in_checkout = sorted(p.name for p in (REPO / "rules").glob("*.toml"))
    assert shipped == in_checkout and "blocking-calls.toml" in shipped
    assert not [n for n in names if n.startswith(("tests/", "rules/"))]

    env_dir = tmp_path / "venv"
    # pip >= 22.3 installs into another environment (`--python`), which saves running ensurepip
    import pip

    outside = tuple(int(p) for p in pip.__version__.split(".")[:2]) >= (22, 3)
    venv.EnvBuilder(with_pip=not outside).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    pip_command = [sys.executable, "-m", "pip", "--python", str(python)] if outside else [str(python), "-m", "pip"]
    install = subprocess.run([*pip_command, "install", "--quiet", str(wheel)],
                             capture_output=True, text=True, timeout=600, cwd=tmp_path, env=_clean_env())
    assert install.returncode == 0, install.stderr[-2000:]

    project = tmp_path / "project"
    project.mkdir()
    (project / "svc.py").write_text(HAZARD, encoding="utf-8")
    leaklint = str(bindir / "leaklint")
    check = subprocess.run([leaklint, "check", "--no-cache", "svc.py"], capture_output=True, text=True,
                           timeout=120, cwd=project, env=_clean_env())
    assert check.returncode == 1, check.stderr
    assert "svc.py:5:12: LL101" in check.stdout
    where = subprocess.run([str(python), "-c", "import leaklint.config.catalogue as c; print(c.rules_dir())"],
                           capture_output=True, text=True, timeout=60, cwd=project, env=_clean_env())
    assert Path(where.stdout.strip()).parts[-2:] == ("leaklint", "_rules")
    assert str(REPO) not in where.stdout
    version = subprocess.run([leaklint, "--version"], capture_output=True, text=True, timeout=60,
                             cwd=project, env=_clean_env())
    assert version.returncode == 0 and version.stdout.startswith("leaklint ")
    module = subprocess.run([str(python), "-m", "leaklint", "rule", "LL101"], capture_output=True, text=True,
                            timeout=60, cwd=project, env=_clean_env())
    assert module.returncode == 0 and "## What it finds" in module.stdout
