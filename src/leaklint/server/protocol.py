"""The language server: documents in, diagnostics and code actions out.

The event loop only speaks the protocol. leaklint's work runs on two daemon threads: one checks
buffers and computes fixes, one at a time and in order, so a folder's state needs no locks; the
other builds the project indexes (the engine's worker processes do the analysis), so opening a
file never waits for a whole workspace to be indexed."""

from __future__ import annotations

import asyncio
import itertools
import os
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Set

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from leaklint import __version__
from leaklint.server import actions, adapter
from leaklint.server.diagnostics import to_diagnostics
from leaklint.server.folders import Folder

# an edit waits this long for the next keystroke before it is checked
DEBOUNCE_SECONDS = 0.05
PYTHON_SUFFIXES = (".py", ".pyi")
WATCHED = ("**/pyproject.toml", "**/leaklint.toml", "**/.leaklint.toml", "**/*.py")


class Worker:
    """A daemon thread running jobs in order; the event loop awaits their results. Daemon, so an
    index being built never holds the process up after ``exit``."""

    def __init__(self, name: str):
        self._jobs: "queue.SimpleQueue[Any]" = queue.SimpleQueue()  # noqa: LL403 one job per editor request, drained by one worker
        threading.Thread(target=self._loop, name=name, daemon=True).start()

    def submit(self, fn: Callable[..., Any], *args: Any) -> "asyncio.Future[Any]":
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, fn, args))
        return future

    def _loop(self) -> None:
        while True:
            loop, future, fn, args = self._jobs.get()  # noqa: LL101 the worker's idle wait; shutdown puts a sentinel
            if future.cancelled():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:  # handed to the awaiting coroutine
                loop.call_soon_threadsafe(_settle, future, None, exc)
            else:
                loop.call_soon_threadsafe(_settle, future, result, None)


def _settle(future: "asyncio.Future[Any]", result: Any, error: Optional[BaseException]) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


@dataclass
class Published:
    """The findings last published for a document, and for which version of it."""

    version: Optional[int]
    findings: List[adapter.Finding]


class LeaklintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("leaklint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.analysis = Worker("leaklint-analysis")
        self.indexing = Worker("leaklint-index")
        self.folders: List[Folder] = []
        self.loose: Dict[str, Folder] = {}  # folders of files outside the workspace, by directory
        self.open: Dict[str, str] = {}  # uri -> module, of open documents
        self.published: Dict[str, Published] = {}
        self.pending: Dict[str, "asyncio.Task[None]"] = {}
        self.logged: Dict[str, Set[str]] = {}  # uri -> internal errors already logged for it
        self.tokens = itertools.count(1)
        self.shutdown_requested = False
        self.exit_status = 1

    # ------------------------------------------------------------------ folders
    @property
    def encoding(self) -> str:
        return self.server_capabilities.position_encoding or types.PositionEncodingKind.Utf16

    def folder_for(self, path: str) -> Folder:
        inside = [f for f in self.folders if f.contains(path)]
        if inside:
            return max(inside, key=lambda f: len(f.path))
        directory = os.path.dirname(path)
        folder = self.loose.get(directory)
        if folder is None:
            folder = self.loose[directory] = Folder(directory, adapter.load_folder_config(directory), indexed=False)
            self.show_config_error(folder)
        return folder

    def show_config_error(self, folder: Folder) -> None:
        if folder.config.error:
            self.window_show_message(types.ShowMessageParams(
                type=types.MessageType.Error,
                message=f"leaklint: {folder.config.error} (checking with the default settings)"))

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def _client_supports(self, *path: str) -> bool:
        value: Any = self.client_capabilities
        for name in path:
            value = getattr(value, name, None)
            if value is None:
                return False
        return bool(value)

    async def index(self, folders: List[Folder]) -> None:
        """Build each folder's project index in the background, then check its open files again."""
        for folder in folders:
            if not folder.indexed:
                continue
            config = folder.config
            token = await self._progress_begin(f"Indexing {os.path.basename(folder.path) or folder.path}")
            try:
                project = await self.indexing.submit(adapter.index_folder_apart, folder.path, config)
            except Exception as exc:  # the open files are still checked, each on its own
                self.log(f"leaklint: indexing {folder.path} failed: {type(exc).__name__}: {exc}",
                         types.MessageType.Error)
                self._progress_end(token, "failed")
                continue
            if folder.config is config:  # else the settings changed meanwhile: a new index follows
                await self.analysis.submit(folder.install, project)
            self._progress_end(token, f"{project.files} files")
            for uri in self.open:
                if folder.contains(to_fs_path(uri) or ""):
                    self.schedule(uri, 0)

    async def _progress_begin(self, title: str) -> Optional[str]:
        if not self._client_supports("window", "work_done_progress"):
            return None
        token = f"leaklint-index-{next(self.tokens)}"
        try:
            await self.work_done_progress.create_async(token)
        except Exception:
            return None
        self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title=title, cancellable=False))
        return token

    def _progress_end(self, token: Optional[str], message: str) -> None:
        if token is not None:
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message=message))

    async def reload(self) -> None:
        """Configuration files changed: read every folder's again, re-index those it changes."""
        changed = []
        for folder in self.folders + list(self.loose.values()):
            config = await self.analysis.submit(adapter.load_folder_config, folder.path)
            if await self.analysis.submit(folder.reconfigure, config):
                self.show_config_error(folder)
                changed.append(folder)
        for folder in changed:
            if not folder.indexed:
                for uri in self.open:
                    if os.path.dirname(to_fs_path(uri) or "") == folder.path:
                        self.schedule(uri, 0)
        await self.index([f for f in changed if f.indexed])

    # ------------------------------------------------------------------ diagnostics
    def schedule(self, uri: str, delay: float) -> None:
        """Check ``uri`` after ``delay`` seconds; a check still waiting for it is dropped."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        if uri not in self.open:
            return
        document = self.workspace.get_text_document(uri)
        version, text, path = document.version, document.source, os.path.realpath(document.path)
        folder = self.folder_for(path)
        try:
            checked = await self.analysis.submit(folder.check, path, text)
        except Exception as exc:
            self.log(f"leaklint: checking {path} failed: {type(exc).__name__}: {exc}", types.MessageType.Error)
            return
        if uri not in self.open or self.workspace.get_text_document(uri).version != version:
            return  # a later version is on its way
        if self.pending.get(uri) is asyncio.current_task():
            del self.pending[uri]
        self.open[uri] = checked.module
        self.published[uri] = Published(version, checked.check.findings)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=version,
            diagnostics=to_diagnostics(checked.check.findings, text, self.encoding, version, uri)))
        self._log_internal_errors(uri, checked.check.internal_errors)
        self.recheck_dependants(uri, checked.dependants)

    def recheck_dependants(self, changed_uri: str, modules: Set[str]) -> None:
        for uri, module in self.open.items():
            if uri != changed_uri and module in modules:
                self.schedule(uri, 0)

    def _log_internal_errors(self, uri: str, errors: List[adapter.Finding]) -> None:
        seen = self.logged.setdefault(uri, set())
        for error in errors:
            if error.message not in seen:
                seen.add(error.message)
                self.log(f"leaklint: {to_fs_path(uri)}: {error.code} {error.message}", types.MessageType.Error)

    def clear(self, uri: str) -> None:
        task = self.pending.pop(uri, None)
        if task is not None:
            task.cancel()
        self.published.pop(uri, None)
        self.logged.pop(uri, None)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _is_python(uri: str, language_id: Optional[str] = None) -> bool:
    path = to_fs_path(uri) or ""
    return language_id == "python" or path.endswith(PYTHON_SUFFIXES)


def build() -> LeaklintServer:
    server = LeaklintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: LeaklintServer, params: types.InitializeParams) -> None:
        uris = [f.uri for f in params.workspace_folders or ()] or ([params.root_uri] if params.root_uri else [])
        for uri in uris:
            path = to_fs_path(uri)
            if path:
                ls.folders.append(Folder(path, adapter.load_folder_config(path)))

    @server.feature(types.INITIALIZED)
    async def initialized(ls: LeaklintServer, params: types.InitializedParams) -> None:
        for folder in ls.folders:
            ls.show_config_error(folder)
        if ls._client_supports("workspace", "did_change_watched_files", "dynamic_registration"):
            watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]
            registration = types.Registration(
                id="leaklint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[registration]))
            except Exception as exc:
                ls.log(f"leaklint: the client did not register file watchers: {exc}", types.MessageType.Warning)
        await ls.index(ls.folders)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: LeaklintServer, params: types.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        if _is_python(document.uri, document.language_id):
            ls.open.setdefault(document.uri, "")
            ls.schedule(document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: LeaklintServer, params: types.DidChangeTextDocumentParams) -> None:
        if params.text_document.uri in ls.open:
            ls.schedule(params.text_document.uri, DEBOUNCE_SECONDS)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: LeaklintServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in ls.open:
            ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: LeaklintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri not in ls.open:
            return
        del ls.open[uri]
        ls.clear(uri)
        path = os.path.realpath(to_fs_path(uri) or "")
        folder = ls.folder_for(path)
        _, dependants = await ls.analysis.submit(folder.forget_buffer, path)
        ls.recheck_dependants(uri, dependants)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: LeaklintServer, params: types.DidChangeWatchedFilesParams) -> None:
        paths = [os.path.realpath(to_fs_path(change.uri) or "") for change in params.changes]
        if any(os.path.basename(p) in adapter.CONFIG_FILES for p in paths):
            await ls.reload()
        open_paths = {os.path.realpath(to_fs_path(uri) or "") for uri in ls.open}
        for path in paths:
            if path.endswith(PYTHON_SUFFIXES) and path not in open_paths:
                folder = ls.folder_for(path)
                if folder.indexed:
                    ls.recheck_dependants("", await ls.analysis.submit(folder.file_changed, path))

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=list(actions.KINDS), resolve_provider=False))
    async def code_action(ls: LeaklintServer, params: types.CodeActionParams) -> List[types.CodeAction]:
        uri = params.text_document.uri
        if uri not in ls.open:
            return []
        document = ls.workspace.get_text_document(uri)
        version, text = document.version, document.source
        encoding = ls.encoding
        versioned = ls._client_supports("workspace", "workspace_edit", "document_changes")
        only = params.context.only
        found = []
        for diagnostic in params.context.diagnostics:
            data = diagnostic.data if diagnostic.source == "leaklint" else None
            if isinstance(data, dict) and data.get("version") == version:
                finding = adapter.finding_from_data(data.get("finding"))
                if finding is not None:
                    found.append((diagnostic, finding))
        out: List[types.CodeAction] = []
        if actions.wanted(types.CodeActionKind.QuickFix, only):
            fixable = [f for _, f in found if f.fix is not None]
            edits = await ls.analysis.submit(adapter.fixed_edits, text, fixable) if fixable else []
            by_finding = {id(f): e for f, e in edits}
            out.extend(actions.quick_fixes([(d, f, by_finding[id(f)]) for d, f in found if id(f) in by_finding],
                                           text, encoding, uri, version, versioned))
            out.extend(actions.noqa_actions(found, text, encoding, uri, version, versioned))
        published = ls.published.get(uri)
        if actions.wanted(actions.FIX_ALL, only) and published is not None and published.version == version:
            folder = ls.folder_for(os.path.realpath(document.path))
            if any(f.fix is not None for f in published.findings):
                fixed = await ls.analysis.submit(folder.fix_all, os.path.realpath(document.path), text,
                                                 published.findings)
                if fixed is not None:
                    out.append(actions.fix_all_action(text, fixed, folder.config.unsafe_fixes, encoding, uri, version,
                                                      versioned))
        return out

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: LeaklintServer, params: None) -> None:
        ls.shutdown_requested = True

    @server.feature(types.EXIT)
    def exit_(ls: LeaklintServer, params: None) -> None:
        ls.exit_status = 0 if ls.shutdown_requested else 1

    return server


def run() -> int:
    server = build()
    try:
        server.start_io()
    finally:
        adapter.stop_indexing()
    return server.exit_status

