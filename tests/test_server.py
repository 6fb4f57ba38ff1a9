"""``leaklint server`` driven over real stdio by a client, as an editor drives it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import pytest

from helpers import write
from lsp_client import Client, apply_edits, server_command, uri_of, workspace_edits

pytest.importorskip("pygls")

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures"
ROOT = TESTS.parent

CALLS = '''\
import requests


def fetch(url):
    label = "café ☕ 😀"; return requests.get(url)
'''
METRICS = '''\
from prometheus_client import Counter

REQUESTS = Counter("requests_total", "Requests", ["route", "client"])
'''
VIEWS = '''\
from .metrics import REQUESTS


def index(user_id):
    REQUESTS.labels("/", user_id).inc()
'''
SUPPRESSED = '''\
import requests


def fetch(url):
    return requests.get(url)  # noqa: LL401
'''


def make_project(root: Path, config: str = "") -> Path:
    write(str(root / "pkg" / "__init__.py"), "")
    write(str(root / "pkg" / "metrics.py"), METRICS)
    write(str(root / "pkg" / "views.py"), VIEWS)
    write(str(root / "pkg" / "calls.py"), CALLS)
    write(str(root / "pkg" / "suppressed.py"), SUPPRESSED)
    if config:
        write(str(root / "leaklint.toml"), config)
    return root


def start(root: Path, command: List[str] = None) -> Client:
    client = Client(command or server_command(), cwd=root)
    client.initialize(root)
    return client


@pytest.fixture(scope="module")
def session(tmp_path_factory) -> Iterator[Tuple[Client, Path]]:
    root = make_project(tmp_path_factory.mktemp("workspace"))
    client = start(root)
    try:
        client.wait_indexed()
        yield client, root
        assert client.shutdown() == 0, client.stderr_text()
    finally:
        client.kill()


def codes(diagnostics: List[Dict]) -> List[str]:
    return [d["code"] for d in diagnostics]


def code_actions(client: Client, uri: str, diagnostics: List[Dict], only: List[str] = None) -> List[Dict]:
    context: Dict = {"diagnostics": diagnostics}
    if only is not None:
        context["only"] = only
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 10_000, "character": 0}}
    return client.request("textDocument/codeAction",
                          {"textDocument": {"uri": uri}, "range": diagnostics[0]["range"] if diagnostics else whole,
                           "context": context})


def test_without_the_extra_server_exits_2_with_an_install_hint(tmp_path):
    code = "import sys; sys.modules['pygls'] = None; from leaklint.cli import main; main(['server'])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["leaklint: the language server needs pygls: pip install 'leaklint[server]'"]


def test_check_never_imports_the_server(tmp_path):
    write("a.py", CALLS)
    code = ("import sys\nfrom leaklint.cli import main\ntry:\n    main(['check', 'a.py'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('pygls', 'lsprotocol', 'leaklint.server'))))")
    for _ in range(2):  # cold, then warm from the cache
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
        assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_initialize_announces_fixes_and_indexes_with_progress(session):
    client, _ = session
    kinds = [m["params"]["value"]["kind"] for m in client.notifications if m.get("method") == "$/progress"]
    assert kinds[:1] == ["begin"] and kinds[-1] == "end"
    assert any(m.get("method") == "client/registerCapability" for m in client.notifications)


def test_open_file_reports_LL101_with_exact_utf16_range(session):
    client, root = session
    since = client.mark()
    uri = client.open(root / "pkg" / "calls.py")
    diagnostics = client.diagnostics(uri, since)
    assert codes(diagnostics) == ["LL101"]
    diagnostic = diagnostics[0]
    line = CALLS.splitlines()[4]
    start = len(line[: line.index("requests.get")].encode("utf-16-le")) // 2
    assert start == line.index("requests.get") + 1  # the emoji is two UTF-16 code units
    assert diagnostic["range"] == {"start": {"line": 4, "character": start},
                                   "end": {"line": 4, "character": start + len("requests.get(url)")}}
    assert diagnostic["severity"] == 2 and diagnostic["source"] == "leaklint"
    assert diagnostic["codeDescription"]["href"].endswith("/docs/rules/LL101.md")
    assert "has no timeout" in diagnostic["message"]
    assert diagnostic["data"]["version"] == 1


def test_metric_declared_in_another_module_reports_LL201(session):
    client, root = session
    since = client.mark()
    uri = client.open(root / "pkg" / "views.py")
    diagnostics = client.diagnostics(uri, since)
    assert codes(diagnostics) == ["LL201"]
    assert diagnostics[0]["range"]["start"]["line"] == 4


def test_editing_a_module_checks_its_open_dependants_again(session):
    client, root = session
    since = client.mark()
    views = client.open(root / "pkg" / "views.py")
    client.diagnostics(views, since)
    since = client.mark()
    metrics = client.open(root / "pkg" / "metrics.py")
    client.diagnostics(metrics, since)
    since = client.mark()
    client.change(metrics, "REQUESTS = object()\n")  # no longer a metric
    assert client.diagnostics(views, since) == []
    since = client.mark()
    client.change(metrics, METRICS)
    assert codes(client.diagnostics(views, since)) == ["LL201"]
    client.close(metrics)


def test_a_module_changed_on_disk_updates_the_index(tmp_path):
    root = make_project(tmp_path / "ws")
    client = start(root)
    try:
        client.wait_indexed()
        since = client.mark()
        views = client.open(root / "pkg" / "views.py")
        assert codes(client.diagnostics(views, since)) == ["LL201"]
        since = client.mark()
        (root / "pkg" / "metrics.py").write_text("REQUESTS = object()\n", encoding="utf-8")
        client.notify("workspace/didChangeWatchedFiles",
                      {"changes": [{"uri": uri_of(root / "pkg" / "metrics.py"), "type": 2}]})
        assert client.diagnostics(views, since) == []
        assert client.shutdown() == 0
    finally:
        client.kill()


def test_change_that_removes_the_finding_publishes_an_empty_list(session):
    client, root = session
    uri = client.open(root / "pkg" / "calls.py")
    since = client.mark()
    version = client.change(uri, CALLS.replace("get(url)", "get(url, timeout=5)"))
    assert client.diagnostics(uri, since, version) == []
    since = client.mark()
    version = client.change(uri, CALLS)
    assert codes(client.diagnostics(uri, since, version)) == ["LL101"]


def test_rapid_changes_never_publish_a_stale_result(session):
    client, root = session
    since = client.mark()
    uri = client.open(root / "pkg" / "calls.py")
    client.diagnostics(uri, since)
    since = client.mark()
    texts = {}
    for i in range(12):
        text = CALLS if i % 2 else CALLS.replace("get(url)", f"get(url, timeout={i + 1})")
        texts[client.change(uri, text)] = text
    last = max(texts)
    client.diagnostics(uri, since, last)
    published = [m["params"] for m in client.notifications[since:]
                 if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri]
    versions = [p["version"] for p in published]
    assert versions == sorted(versions) and versions[-1] == last
    for params in published:  # each list is the one of its version's text
        assert bool(params["diagnostics"]) == ("timeout=" not in texts[params["version"]])


def test_quick_fix_edit_removes_the_finding(session):
    client, root = session
    uri = client.open(root / "pkg" / "calls.py")
    since = client.mark()
    version = client.change(uri, CALLS)
    diagnostics = client.diagnostics(uri, since, version)
    fixes = [a for a in code_actions(client, uri, diagnostics) if not a["title"].startswith("Disable")]
    assert [a["title"] for a in fixes] == ["Add `timeout=10` (LL101) (unsafe fix)"]
    assert fixes[0]["kind"] == "quickfix" and fixes[0]["diagnostics"][0]["code"] == "LL101"
    fixed = apply_edits(client.texts[uri], workspace_edits(fixes[0]["edit"], uri))
    assert "requests.get(url, timeout=10)" in fixed
    since = client.mark()
    version = client.change(uri, fixed)
    assert client.diagnostics(uri, since, version) == []


def test_noqa_action_adds_a_comment_that_silences_the_finding(session):
    client, root = session
    uri = client.open(root / "pkg" / "calls.py")
    since = client.mark()
    version = client.change(uri, CALLS)
    diagnostics = client.diagnostics(uri, since, version)
    [action] = [a for a in code_actions(client, uri, diagnostics) if a["title"] == "Disable LL101 for this line"]
    fixed = apply_edits(client.texts[uri], workspace_edits(action["edit"], uri))
    assert fixed.splitlines()[4].endswith("requests.get(url)  # noqa: LL101")
    since = client.mark()
    version = client.change(uri, fixed)
    assert client.diagnostics(uri, since, version) == []


def test_noqa_action_merges_into_an_existing_noqa_comment(session):
    client, root = session
    since = client.mark()
    uri = client.open(root / "pkg" / "suppressed.py")
    diagnostics = client.diagnostics(uri, since)
    [action] = [a for a in code_actions(client, uri, diagnostics) if a["title"].startswith("Disable")]
    fixed = apply_edits(client.texts[uri], workspace_edits(action["edit"], uri))
    assert fixed.splitlines()[4] == "    return requests.get(url)  # noqa: LL401, LL101"
    since = client.mark()
    assert client.diagnostics(uri, since, client.change(uri, fixed)) == []
    client.close(uri)


def test_unparsable_buffer_gets_one_diagnostic_at_the_syntax_error(session):
    client, root = session
    uri = client.open(root / "pkg" / "calls.py")
    since = client.mark()
    version = client.change(uri, "import requests\n\ndef fetch(url:\n    return requests.get(url)\n")
    diagnostics = client.diagnostics(uri, since, version)
    assert codes(diagnostics) == ["LL001"]
    assert diagnostics[0]["range"]["start"]["line"] in (2, 3)
    assert "could not parse" in diagnostics[0]["message"]
    since = client.mark()
    assert codes(client.diagnostics(uri, since, client.change(uri, CALLS))) == ["LL101"]


def test_close_clears_the_diagnostics(session):
    client, root = session
    since = client.mark()
    uri = client.open(root / "pkg" / "calls.py")
    client.diagnostics(uri, since)
    since = client.mark()
    client.close(uri)
    assert client.diagnostics(uri, since) == []


def test_fix_all_applies_what_check_fix_applies_and_config_changes_are_picked_up(tmp_path):
    root = make_project(tmp_path / "ws", config="unsafe-fixes = true\n")
    client = start(root)
    try:
        client.wait_indexed()
        since = client.mark()
        uri = client.open(root / "pkg" / "calls.py")
        diagnostics = client.diagnostics(uri, since)
        [action] = code_actions(client, uri, diagnostics, only=["source.fixAll"])
        assert action["kind"] == "source.fixAll.leaklint"
        fixed = apply_edits(client.texts[uri], workspace_edits(action["edit"], uri))
        done = subprocess.run([sys.executable, "-m", "leaklint", "check", "--fix", "--no-cache", "pkg/calls.py"],
                              cwd=root, capture_output=True, text=True, timeout=120)
        assert fixed == (root / "pkg" / "calls.py").read_text(encoding="utf-8") != CALLS, done.stderr
        since = client.mark()
        assert client.diagnostics(uri, since, client.change(uri, fixed)) == []
        # a new configuration file: the open file is checked again with it
        since = client.mark()
        client.change(uri, CALLS)
        (root / "leaklint.toml").write_text('select = ["LL2"]\n', encoding="utf-8")
        client.notify("workspace/didChangeWatchedFiles",
                      {"changes": [{"uri": uri_of(root / "leaklint.toml"), "type": 2}]})
        client.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                        and m["params"]["uri"] == uri and m["params"]["diagnostics"] == [], since=since)
        assert client.shutdown() == 0
    finally:
        client.kill()


def test_bad_config_is_shown_once_and_the_defaults_are_used(tmp_path):
    root = make_project(tmp_path / "ws", config='select = ["LL999"]\n')
    client = start(root)
    try:
        since = client.mark()
        uri = client.open(root / "pkg" / "calls.py")
        assert codes(client.diagnostics(uri, since)) == ["LL101"]
        client.wait_indexed()
        since = client.mark()
        client.change(uri, CALLS + "\n")
        client.diagnostics(uri, since)
        shown = [m for m in client.notifications if m.get("method") == "window/showMessage"]
        assert len(shown) == 1 and "LL999" in shown[0]["params"]["message"]
        assert shown[0]["params"]["type"] == 1
        assert client.shutdown() == 0
    finally:
        client.kill()


def test_internal_error_in_a_rule_is_logged_and_other_diagnostics_arrive(tmp_path):
    root = make_project(tmp_path / "ws")
    code = (f"import sys; sys.path.insert(0, {str(TESTS)!r}); import leaklint.checks as checks; "
            "from injected import RaisesOnMarker, _with; checks.checker_classes = _with((RaisesOnMarker,)); "
            "from leaklint.cli import main; main(['server'])")
    client = start(root, [sys.executable, "-c", code])
    try:
        since = client.mark()
        uri = client.open(root / "pkg" / "calls.py", CALLS + "RAISE_HERE = 1\n")
        assert codes(client.diagnostics(uri, since)) == ["LL101"]
        log = client.wait_for(lambda m: m.get("method") == "window/logMessage"
                              and "internal error" in m["params"]["message"], since=since)
        assert "ValueError: boom" in log["params"]["message"] and log["params"]["type"] == 1
        assert client.shutdown() == 0
    finally:
        client.kill()


def test_exit_without_shutdown_exits_1(tmp_path):
    client = start(make_project(tmp_path / "ws"))
    try:
        client.notify("exit", None)
        assert client.process.wait(timeout=60) == 1
    finally:
        client.kill()


def _comparable(finding: Dict) -> Tuple:
    fix = finding.get("fix") or {}
    return (finding["path"], finding["line"], finding["column"], finding["end_line"], finding["end_column"],
            finding["code"], finding["message"], fix.get("description"), fix.get("safety"))


def test_server_and_check_report_the_same_on_every_fixture(tmp_path):
    root = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, root)
    done = subprocess.run([sys.executable, "-m", "leaklint", "check", "--format", "json", "--no-cache", "."],
                          cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stderr
    expected = {_comparable(f) for f in json.loads(done.stdout)}
    files = sorted(p for p in root.rglob("*.py"))
    client = start(root)
    try:
        client.wait_indexed(timeout=300)
        since = client.mark()
        uris = {client.open(path): path for path in files}
        got = set()
        for uri, path in uris.items():
            for diagnostic in client.diagnostics(uri, since, timeout=120):
                finding = diagnostic["data"]["finding"]
                assert finding["path"] == os.path.relpath(path, root)
                got.add(_comparable(finding))
        assert len(files) > 60 and expected
        assert got == expected
        assert client.shutdown() == 0
    finally:
        client.kill()


def test_rule_doc_link_points_at_the_rule_docs():
    from leaklint.server.diagnostics import rule_doc_url

    for code in ("LL101", "LL201"):
        assert rule_doc_url(code).endswith(f"/docs/rules/{code}.md")
        assert (ROOT / "docs" / "rules" / f"{code}.md").is_file()


def test_position_conversion_counts_utf16_units():
    from lsprotocol import types

    from leaklint.server.diagnostics import Lines

    lines = Lines("a = '😀é'; b\n\n", types.PositionEncodingKind.Utf16)
    assert lines.position(1, 11).character == 11  # 😀 is two units: 10 characters, 11 units before `b`
    assert Lines("a = '😀é'; b\n", types.PositionEncodingKind.Utf8).position(1, 11).character == 14
    assert Lines("a = '😀é'; b\n", types.PositionEncodingKind.Utf32).position(1, 11).character == 10
    assert lines.position(3, 1) == types.Position(line=2, character=0)


@pytest.mark.parametrize("line, expected", [
    ("x = f()\n", "x = f()  # noqa: LL101\n"),
    ("x = f()  # keep\n", "x = f()  # keep  # noqa: LL101\n"),
    ("x = f()  # noqa:LL4\n", "x = f()  # noqa: LL4, LL101\n"),
    ("x = f()  # noqa: LL1\n", None),
    ("x = f()  # noqa\n", None),
    ("x = f('''\n", None),
])
def test_noqa_edit(line, expected):
    from leaklint.server.actions import noqa_edit

    text = line + "''')\n" if "'''" in line else line
    edit = noqa_edit(text, 1, "LL101")
    if expected is None:
        assert edit is None
        return
    body = line.rstrip("\n")
    assert body[: edit.column - 1] + edit.content + body[edit.end_column - 1:] + "\n" == expected
