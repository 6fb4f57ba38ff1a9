"""A workspace folder as the server sees it: its configuration, its project as indexed from disk,
and the summaries of its open buffers laid over that index.

A ``Folder`` is only touched from the analysis thread, one job at a time, so it needs no locks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Dict, Optional, Set, Tuple

from leaklint.server import adapter


@dataclass
class Checked:
    """One buffer checked: its findings, its module, and the modules whose findings may have
    changed because its summary did (the open ones are checked again)."""

    check: adapter.BufferCheck
    module: str
    dependants: Set[str] = field(default_factory=set)


class Folder:
    def __init__(self, path: str, config: adapter.FolderConfig, indexed: bool = True):
        self.path = os.path.realpath(path)
        self.config = config
        self.indexed = indexed  # a loose file's folder is never indexed
        self.project = adapter.ProjectState()
        self._modules: Tuple[str, ...] = ()
        self.overlays: Dict[str, dict] = {}  # module -> summary of its open buffer
        self._module_of: Dict[str, Tuple[str, bool]] = {}

    def contains(self, path: str) -> bool:
        return path == self.path or path.startswith(self.path.rstrip(os.sep) + os.sep)

    def display(self, path: str) -> str:
        """The name ``leaklint check`` run in the folder reports for ``path``."""
        return os.path.relpath(path, self.path) if self.contains(path) else path

    def module(self, path: str) -> Tuple[str, bool]:
        known = self._module_of.get(path)
        if known is None:
            known = self._module_of[path] = adapter.module_of(path)
        return known

    # ------------------------------------------------------------------ the index
    def install(self, project: adapter.ProjectState) -> None:
        """Use a freshly built index, keeping the open buffers' summaries over it."""
        for module, summary in self.overlays.items():
            project.index.add(module, summary)
        self.project = project
        self._modules = project.modules
        self._module_of.clear()

    def reconfigure(self, config: adapter.FolderConfig) -> bool:
        """Use new settings; whether the analysis changes (the index must be built again)."""
        changed = config.fingerprint != self.config.fingerprint or config.error != self.config.error
        self.config = config
        return changed

    def _learn(self, module: str, summary: Optional[dict], deps: Set[str]) -> Set[str]:
        """Record a module's summary; the modules depending on it when the summary changed."""
        if not module:
            return set()
        index = self.project.index
        before = index.summary(module) if module in index.modules else None
        if summary is None:
            index.modules.pop(module, None)
            self.project.deps.pop(module, None)
        else:
            index.add(module, summary)
            self.project.deps[module] = deps
        if module not in self._modules and summary is not None:
            self._modules = tuple(sorted(set(self._modules) | {module}))
        return self.dependants(module) if summary != before else set()

    def dependants(self, module: str) -> Set[str]:
        """The modules importing ``module``, directly or through others."""
        importers: Dict[str, Set[str]] = {}
        for importer, deps in self.project.deps.items():
            for dep in deps:
                importers.setdefault(dep, set()).add(importer)
        found: Set[str] = set()
        todo = [module]
        while todo:
            for importer in importers.get(todo.pop(), ()):
                if importer not in found and importer != module:
                    found.add(importer)
                    todo.append(importer)
        return found

    # ------------------------------------------------------------------ buffers and files
    def check(self, path: str, text: str) -> Checked:
        module, is_package = self.module(path)
        index = self.project.index
        before = index.summary(module) if module and module in index.modules else None
        check = adapter.check_buffer(path, self.display(path), text, self.config, module, is_package,
                                     index, self._modules)
        out = Checked(check, module)
        if module and check.summary is not None:
            self.overlays[module] = check.summary
            self.project.deps[module] = check.deps
            if module not in self._modules:
                self._modules = tuple(sorted(set(self._modules) | {module}))
            if check.summary != before:
                out.dependants = self.dependants(module)
        return out

    def fix_all(self, path: str, text: str, findings) -> Optional[str]:
        module, is_package = self.module(path)
        return adapter.fix_all(path, self.display(path), text, self.config, module, is_package,
                               self.project.index, findings)

    def forget_buffer(self, path: str) -> Tuple[str, Set[str]]:
        """The buffer of ``path`` closed: the index takes the file on disk again."""
        module, _ = self.module(path)
        self.overlays.pop(module, None)
        return module, self.file_changed(path)

    def file_changed(self, path: str) -> Set[str]:
        """A file changed (or vanished) on disk; the modules depending on it."""
        self._module_of.pop(path, None)
        module, is_package = self.module(path)
        if not module or module in self.overlays:
            return set()
        if os.path.isfile(path):
            summary, deps = adapter.summarise_file(path, self.display(path), self.config, module, is_package,
                                                   self._modules)
        else:
            summary, deps = None, set()
        return self._learn(module, summary, deps)
