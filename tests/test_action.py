"""The composite action, its steps run with bash the way the Actions runner runs them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
EXPR_RE = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")
IF_RE = re.compile(r"^inputs\.([\w-]+) != ''$")
HAZARD = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


def action() -> dict:
    return yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def run_action(inputs: Dict[str, str], workspace: Path, runner_temp: Path) -> Dict[str, subprocess.CompletedProcess]:
    """Run every step of the composite action; returns each step's completed process by name."""
    spec = action()
    values = {name: inputs.get(name, str(meta.get("default", ""))) for name, meta in spec["inputs"].items()}
    outputs: Dict[str, Dict[str, str]] = {}

    def expr(text: str) -> str:
        def one(match: re.Match) -> str:
            name = match.group(1)
            if name.startswith("inputs."):
                return values[name[len("inputs."):]]
            if name == "github.action_path":
                return str(ROOT)
            step, _, key = name[len("steps."):].partition(".outputs.")
            return outputs[step][key]
        return EXPR_RE.sub(one, text)

    done = {}
    for step in spec["runs"]["steps"]:
        assert step["shell"] == "bash" and "uses" not in step
        condition = step.get("if")
        if condition is not None:
            match = IF_RE.match(condition)
            assert match, f"unsupported condition {condition!r}"
            if values[match.group(1)] == "":
                continue
        output_file = runner_temp / f"output-{len(done)}"
        output_file.write_text("", encoding="utf-8")
        env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output_file),
               "GITHUB_ACTION_PATH": str(ROOT), "GITHUB_WORKSPACE": str(workspace)}
        env.update({key: expr(str(value)) for key, value in step.get("env", {}).items()})
        script = runner_temp / "step.sh"
        script.write_text(expr(step["run"]), encoding="utf-8")
        # the runner's own invocation for `shell: bash`
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=workspace,
                              env=env, capture_output=True, text=True, timeout=600)
        done[step["name"]] = proc
        if "id" in step:
            outputs[step["id"]] = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        if proc.returncode != 0:
            break  # later steps do not run after a failure
    return done


@pytest.fixture(scope="module")
def runner_temp(tmp_path_factory) -> Path:
    # shared like a job's RUNNER_TEMP: the second run reuses the virtualenv's dependencies
    return tmp_path_factory.mktemp("runner-temp")


def test_action_declares_its_inputs():
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) >= {"paths", "args", "sarif-file"}


@pytest.mark.slow
def test_action_prints_annotations_and_writes_sarif(tmp_path, runner_temp):
    workspace = tmp_path / "workspace"
    (workspace / "src").mkdir(parents=True)
    (workspace / "src" / "service.py").write_text(HAZARD, encoding="utf-8")
    (workspace / "src" / "clean.py").write_text("x = 1\n", encoding="utf-8")
    steps = run_action({"paths": "src", "args": "--select LL1 --no-cache", "sarif-file": "leaklint.sarif",
                        "python": sys.executable}, workspace, runner_temp)
    assert list(steps) == ["Install leaklint", "leaklint"]  # one run writes both
    install, check = steps.values()
    assert install.returncode == 0, install.stderr
    assert check.returncode == 1, check.stderr  # findings fail the job, the report is written anyway
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert annotations == [
        "::error file=src/service.py,line=5,col=12,endLine=5,endColumn=29,title=leaklint LL101::LL101 "
        + annotations[0].split("::LL101 ", 1)[1]
    ]
    sarif = json.loads((workspace / "leaklint.sarif").read_text(encoding="utf-8"))
    results = sarif["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == ["LL101"]
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/service.py"


@pytest.mark.slow
def test_action_without_sarif_passes_on_clean_code(tmp_path, runner_temp):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    (workspace / "clean.py").write_text("x = 1\n", encoding="utf-8")
    steps = run_action({"python": sys.executable, "args": "--no-cache"}, workspace, runner_temp)
    assert list(steps) == ["Install leaklint", "leaklint"]
    assert all(p.returncode == 0 for p in steps.values()), [p.stderr for p in steps.values()]
    assert "::" not in steps["leaklint"].stdout


def test_action_runs_leaklint_once_whatever_it_writes():
    runs = [step["run"] for step in action()["runs"]["steps"] if '"$LEAKLINT" check' in step.get("run", "")]
    assert len(runs) == 1
    assert "--report" in runs[0] and "--format github" in runs[0]
