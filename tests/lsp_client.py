"""A small LSP client over a real stdio pipe: what an editor does, without an editor.

A reader thread parses the server's messages into a queue; every wait has a timeout. Requests
from the server (progress tokens, watcher registration) are answered with ``null``."""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

TIMEOUT = 60.0


def uri_of(path: "str | Path") -> str:
    return Path(os.path.realpath(path)).as_uri()


class LspError(Exception):
    pass


class Client:
    def __init__(self, command: Sequence[str], cwd: "str | Path", env: Optional[Dict[str, str]] = None):
        self.process = subprocess.Popen(list(command), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=str(cwd), env=env)
        self._ids = itertools.count(1)
        self._messages: "queue.Queue[Optional[Dict[str, Any]]]" = queue.Queue()  # noqa: LL403 the server's messages of one test
        self.notifications: List[Dict[str, Any]] = []  # every notification received, in order
        self._responses: Dict[int, Dict[str, Any]] = {}
        self.versions: Dict[str, int] = {}
        self.texts: Dict[str, str] = {}
        self._stderr: List[bytes] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    # ------------------------------------------------------------------ wire
    def _send(self, message: Dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    self._messages.put(None)
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            if length is None:
                continue
            self._messages.put(json.loads(stream.read(length)))

    def _pump(self, deadline: float) -> bool:
        """Handle one message; ``False`` when none came before ``deadline``."""
        try:
            message = self._messages.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return False
        if message is None:
            raise LspError(f"the server closed its output: {self.stderr_text()}")
        if "method" in message and "id" in message:  # a request from the server
            self._send({"id": message["id"], "result": None})
            self.notifications.append(message)
        elif "method" in message:
            self.notifications.append(message)
        else:
            self._responses[message["id"]] = message
        return True

    def _drain_stderr(self) -> None:  # a full pipe would block the server
        assert self.process.stderr is not None
        for line in iter(self.process.stderr.readline, b""):
            self._stderr.append(line)

    def stderr_text(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    # ------------------------------------------------------------------ API
    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = TIMEOUT) -> Any:
        ident = next(self._ids)
        self._send({"id": ident, "method": method, "params": params})
        deadline = time.monotonic() + timeout
        while ident not in self._responses:
            if not self._pump(deadline):
                raise LspError(f"no response to {method} within {timeout} s")
        response = self._responses.pop(ident)
        if "error" in response:
            raise LspError(f"{method}: {response['error']}")
        return response.get("result")

    def wait_for(self, predicate: Callable[[Dict[str, Any]], bool], timeout: float = TIMEOUT,
                 since: int = 0) -> Dict[str, Any]:
        """The first notification from index ``since`` on that satisfies ``predicate``."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            while seen < len(self.notifications):
                message = self.notifications[seen]
                seen += 1
                if predicate(message):
                    return message
            if not self._pump(deadline):
                raise LspError(f"no matching notification within {timeout} s; got "
                               f"{[m.get('method') for m in self.notifications[since:]]}")

    def diagnostics(self, uri: str, since: int = 0, version: Optional[int] = None,
                    timeout: float = TIMEOUT) -> List[Dict[str, Any]]:
        """The next diagnostics published for ``uri`` (for ``version`` when given)."""
        message = self.wait_for(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                                and m["params"]["uri"] == uri
                                and (version is None or m["params"].get("version") == version),
                                timeout, since)
        return message["params"]["diagnostics"]

    def mark(self) -> int:
        """A position in the notifications: waits ``since`` it see only what comes later."""
        return len(self.notifications)

    # ------------------------------------------------------------------ a session
    def initialize(self, root: "str | Path", capabilities: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        caps = capabilities if capabilities is not None else {
            "window": {"workDoneProgress": True},
            "workspace": {"didChangeWatchedFiles": {"dynamicRegistration": True},
                          "workspaceEdit": {"documentChanges": True}},
        }
        result = self.request("initialize", {
            "processId": os.getpid(), "rootUri": uri_of(root), "capabilities": caps,
            "workspaceFolders": [{"uri": uri_of(root), "name": Path(root).name}],
        })
        self.notify("initialized", {})
        return result

    def wait_indexed(self, timeout: float = TIMEOUT) -> None:
        self.wait_for(lambda m: m.get("method") == "$/progress" and m["params"]["value"].get("kind") == "end",
                      timeout)

    def open(self, path: "str | Path", text: Optional[str] = None) -> str:
        uri = uri_of(path)
        self.texts[uri] = Path(path).read_text(encoding="utf-8") if text is None else text
        self.versions[uri] = 1
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": self.texts[uri]}})
        return uri

    def change(self, uri: str, text: str) -> int:
        self.versions[uri] += 1
        self.texts[uri] = text
        self.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": self.versions[uri]},
                                               "contentChanges": [{"text": text}]})
        return self.versions[uri]

    def close(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    def shutdown(self, timeout: float = TIMEOUT) -> int:
        self.request("shutdown", None)  # noqa: LL103 shutdown gets the client's default wait
        self.notify("exit", None)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=TIMEOUT)
        if self.process.stdin is not None:
            self.process.stdin.close()


def apply_edits(text: str, edits: List[Dict[str, Any]]) -> str:
    """Apply LSP text edits (UTF-16 positions) to ``text``, last first."""
    lines = text.splitlines(keepends=True) or [""]

    def offset(position: Dict[str, int]) -> int:
        line, character = position["line"], position["character"]
        if line >= len(lines):
            return len(text)
        before = sum(len(l) for l in lines[:line])
        units = lines[line].encode("utf-16-le")[: character * 2].decode("utf-16-le")
        return before + len(units)

    for edit in sorted(edits, key=lambda e: (e["range"]["start"]["line"], e["range"]["start"]["character"]),
                       reverse=True):
        start, end = offset(edit["range"]["start"]), offset(edit["range"]["end"])
        text = text[:start] + edit["newText"] + text[end:]
    return text


def workspace_edits(edit: Dict[str, Any], uri: str) -> List[Dict[str, Any]]:
    """The text edits a workspace edit makes to ``uri``."""
    if "documentChanges" in edit and edit["documentChanges"]:
        return [e for change in edit["documentChanges"] if change["textDocument"]["uri"] == uri
                for e in change["edits"]]
    return edit.get("changes", {}).get(uri, [])


def server_command() -> List[str]:
    return [sys.executable, "-m", "leaklint", "server"]
