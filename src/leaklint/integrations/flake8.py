"""flake8 plugin: ``flake8 --select LL`` reports leaklint's findings.

flake8 calls every installed plugin on every file whatever ``--select`` says, so the plugin
reuses the tree flake8 has already parsed and runs only leaklint's ``ast`` pipeline: no second
parse, no libcst. Configuration comes from ``[tool.leaklint]`` as for ``leaklint check``.
flake8 sees one file at a time, so findings that depend on other modules of the project
(resolved through the project index) are only reported by ``leaklint check``.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

from leaklint import __version__
from leaklint.analysis.file import analyse_tree
from leaklint.files.discovery import module_name_for
from leaklint.config.catalogue import Catalogue
from leaklint.config.settings import ConfigError, Settings, load_settings
from leaklint.run.analyse import resolve_deferred
from leaklint.analysis.noqa import skips_file
from leaklint.semantic.project import ProjectIndex
from leaklint.files.source import Source, detect_newline

class LeaklintConfigError(Exception):
    """``[tool.leaklint]`` is invalid; the message names the file and the key."""


# settings per directory: finding the config file walks up the tree, once per directory is enough
_SETTINGS: Dict[str, Tuple[Settings, Catalogue]] = {}  # noqa: LL302 one entry per folder of one flake8 run


def _settings_for(filename: str) -> Tuple[Settings, Catalogue]:
    directory = os.path.dirname(os.path.abspath(filename)) if filename not in ("-", "stdin") else os.getcwd()
    cached = _SETTINGS.get(directory)
    if cached is None:
        try:
            settings = load_settings(None, Path(directory))
        except ConfigError as exc:
            # an exception flake8 reports as a failed plugin; SystemExit would hang its workers
            raise LeaklintConfigError(str(exc)) from None
        cached = _SETTINGS[directory] = (settings, Catalogue(settings.catalogue_extensions))
    return cached


class LeaklintPlugin:
    name = "leaklint"
    version = __version__

    def __init__(self, tree: ast.Module, lines: List[str], filename: str) -> None:
        self.tree = tree
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[Tuple[int, int, str, type]]:
        text = "".join(self.lines)
        if skips_file(text):
            return
        settings, catalogue = _settings_for(self.filename)
        display = os.path.normpath(self.filename)
        module, is_package = module_name_for(self.filename) if os.path.exists(self.filename) else ("", False)
        source = Source(display, b"", text, "utf-8", False, detect_newline(text))
        result = analyse_tree(self.tree, source, display, settings, catalogue, module, is_package,
                              (module,) if module else ())
        findings = list(result.findings)
        if result.deferred:
            index = ProjectIndex()
            index.add(module, result.summary)
            findings.extend(resolve_deferred(index, result.deferred))
        findings.sort(key=lambda f: f.sort_key)
        for f in findings:
            # flake8 wants a 0-based column and adds 1 when it reports
            yield f.line, f.column - 1, f"{f.code} {f.message}", type(self)
