"""What a rule sees of one file (``FileContext``): its source, tree, semantic model, settings and
catalogues, and how it reports a finding, suppressed by ``# noqa`` and the settings."""

from __future__ import annotations

import ast
from typing import Any, Dict, List, Optional, Sequence, Tuple

from leaklint.analysis.noqa import is_suppressed
from leaklint.analysis.results import Deferred
from leaklint.cache.digest import blake2b
from leaklint.config.catalogue import Catalogue
from leaklint.config.settings import Settings
from leaklint.files.source import Source
from leaklint.findings import Fix, Finding
from leaklint.semantic.model import Model


class FileContext:
    """What a checker sees of one file, and how it reports."""

    def __init__(self, path: str, source: Source, tree: ast.Module, model: Model,
                 settings: Settings, catalogue: Catalogue, extra_ignores: Sequence[str] = ()):
        self.path = path
        self.source = source
        self.tree = tree
        self.model = model
        self.settings = settings
        self.catalogue = catalogue
        self.extra_ignores: Tuple[str, ...] = tuple(extra_ignores)
        self.findings: List[Finding] = []
        self.deferred: List[Deferred] = []
        self._enabled: Dict[str, bool] = {}

    def enabled(self, code: str) -> bool:
        known = self._enabled.get(code)
        if known is None:
            known = self._enabled[code] = self.settings.is_enabled(code, self.extra_ignores)
        return known

    def option(self, family: str, name: str) -> Any:
        return self.settings.options[family][name]

    def segment(self, node: ast.AST) -> str:
        """The node's source text. Unlike ``ast.get_source_segment``, reuses the file's split lines:
        that function re-splits the whole file per call, quadratically in the length of a line."""
        line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if line is None or end_line is None or col is None or end_col is None:
            return ""
        lines = self.source.lines
        if not 1 <= line <= end_line <= len(lines):
            return ""
        first = lines[line - 1].encode("utf-8")
        if line == end_line:
            return first[col:end_col].decode("utf-8", errors="replace")
        last = lines[end_line - 1].encode("utf-8")
        return (first[col:].decode("utf-8", errors="replace") + "".join(lines[line:end_line - 1])
                + last[:end_col].decode("utf-8", errors="replace"))

    def position(self, node: ast.AST) -> Tuple[int, int, int, int]:
        """1-based line and column (characters), end exclusive."""
        line = node.lineno  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None) or line
        col = self.source.char_column(line, node.col_offset)  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        end_col = self.source.char_column(end_line, end_col) if end_col is not None else col
        return line, col + 1, end_line, end_col + 1

    def node_range(self, node: ast.AST) -> Tuple[int, int, int, int]:
        """A node's range as a fix operation names it: 1-based lines, 0-based character columns."""
        line, col, end_line, end_col = self.position(node)
        return (line, col - 1, end_line, end_col - 1)

    def make_finding(self, code: str, node: ast.AST, message: str, fix: Optional[Fix] = None) -> Optional[Finding]:
        if not self.enabled(code):
            return None
        line, col, end_line, end_col = self.position(node)
        if is_suppressed(self.source.line_text(line), code):
            return None
        return Finding(self.path, line, col, end_line, end_col, code, message, fix, self._fingerprint(code, node))

    def report(self, code: str, node: ast.AST, message: str, fix: Optional[Fix] = None) -> None:
        finding = self.make_finding(code, node, message, fix)
        if finding is not None:
            self.findings.append(finding)

    def defer(self, code: str, node: ast.AST, message: str, condition: Tuple[Any, ...],
              fix: Optional[Fix] = None) -> None:
        """Report ``code`` if ``condition`` (a resolver name and its arguments) holds once the
        whole project is indexed. ``message`` may use ``{fields}`` the resolver returns."""
        finding = self.make_finding(code, node, message, fix)
        if finding is not None:
            self.deferred.append(Deferred(finding, tuple(condition)))

    def _fingerprint(self, code: str, node: ast.AST) -> str:
        """Stable across unrelated edits: code, enclosing function and the node's normalized text."""
        func = self.model.enclosing_function(node, through_lambda=False)
        owner = getattr(func, "name", "") if func is not None else ""
        text = " ".join(self.segment(node).split()) if hasattr(node, "end_lineno") else ""
        if len(text) > 400:
            text = text[:400]
        return blake2b(f"{code}|{owner}|{text}".encode(), digest_size=8).hexdigest()
