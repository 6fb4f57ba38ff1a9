"""--write-baseline records today's findings; --baseline reports only the new ones."""

from __future__ import annotations

import json
import os

from helpers import cli

SERVICE = """\
import requests


def fetch(url):
    return requests.get(url)
"""


def write(path, text):
    path.write_text(text, encoding="utf-8")


def reported(result):
    return [line.split(": ", 1)[0] + ": " + line.split(": ", 2)[1][:5]
            for line in result.output.splitlines() if ": LL" in line]


def test_baseline_survives_unrelated_edits_and_catches_new_findings(tmp_path):
    service = tmp_path / "service.py"
    write(service, SERVICE)
    baseline = tmp_path / "leaklint-baseline.json"

    result = cli("check", "--no-cache", "--write-baseline", str(baseline), "service.py")
    assert result.exit_code == 0, result.output
    data = json.loads(baseline.read_text(encoding="utf-8"))
    assert [(e["path"], e["code"], e["count"]) for e in data["findings"]] == [("service.py", "LL101", 1)]

    assert cli("check", "--no-cache", "--baseline", str(baseline), "service.py").exit_code == 0

    # lines inserted above move the finding; the baseline still accounts for it
    write(service, SERVICE.replace("import requests\n", "import requests\n\nRETRIES = 3\n\n\ndef noop():\n    pass\n"))
    result = cli("check", "--no-cache", "--baseline", str(baseline), "service.py")
    assert result.exit_code == 0, result.output

    # a new hazard elsewhere, and a second copy of the recorded one, are reported
    write(service, service.read_text(encoding="utf-8")
          + "\n\ndef upload(url):\n    requests.post(url)\n"
          + "\n\ndef fetch_twice(url):\n    return requests.get(url)\n")
    result = cli("check", "--no-cache", "--baseline", str(baseline), "service.py")
    assert result.exit_code == 1
    assert reported(result) == ["service.py:15:5: LL101", "service.py:19:12: LL101"]


def test_same_statement_twice_in_one_function_is_counted(tmp_path):
    service = tmp_path / "service.py"
    write(service, SERVICE)
    baseline = tmp_path / "baseline.json"
    assert cli("check", "--no-cache", "--write-baseline", str(baseline), "service.py").exit_code == 0
    write(service, SERVICE.replace("    return requests.get(url)\n", "    requests.get(url)\n    return requests.get(url)\n"))
    result = cli("check", "--no-cache", "--baseline", str(baseline), "service.py")
    assert result.exit_code == 1
    assert len(reported(result)) == 1


def test_baseline_paths_are_relative_to_the_baseline_file(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    write(project / "service.py", SERVICE)
    baseline = project / "baseline.json"
    os.chdir(project)
    assert cli("check", "--no-cache", "--write-baseline", "baseline.json", "service.py").exit_code == 0
    os.chdir(tmp_path)
    result = cli("check", "--no-cache", "--baseline", str(baseline), "project")
    assert result.exit_code == 0, result.output


def test_a_broken_baseline_is_a_usage_error(tmp_path):
    write(tmp_path / "service.py", SERVICE)
    write(tmp_path / "baseline.json", '{"findings": 3}')
    result = cli("check", "--no-cache", "--baseline", "baseline.json", "service.py")
    assert result.exit_code == 2
    assert "not a leaklint baseline" in result.output
    result = cli("check", "--no-cache", "--baseline", "missing.json", "service.py")
    assert result.exit_code == 2
    assert "--write-baseline" in result.output
