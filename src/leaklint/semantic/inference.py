"""Astroid on demand: inference for the few call sites that names alone cannot decide.

The model resolves names through imports, assignments and constructors. It cannot see through a
call to a local function (``session = make_session()``). For such call sites, and only when the
answer could change a finding, a rule asks ``Inference.class_of(expr)``: astroid is imported on
the first question in the process and each file is parsed with astroid at most once. Files with
no such call site never import astroid.
"""

from __future__ import annotations

import ast
import time
from typing import Any, Dict, Mapping, Optional, Tuple

# seconds this process has spent in astroid (parsing and inference), for ``--timings``
SPENT = [0.0]


class Inference:
    """Lazy astroid view of one file."""

    def __init__(self, text: str, module: str = "", aliases: Optional[Mapping[str, str]] = None):
        self.text = text
        self.module = module
        self.aliases = aliases or {}
        self._tree: Any = None
        self._failed = False
        self._by_position: Dict[Tuple[int, int, str], Any] = {}
        self._answers: Dict[int, Optional[str]] = {}

    def _astroid_tree(self) -> Any:
        if self._tree is None and not self._failed:
            try:
                import astroid

                self._tree = astroid.parse(self.text, module_name=self.module or "")
            except Exception:  # astroid cannot read what ast could: no inference for this file
                self._failed = True
                return None
            for node in self._tree.nodes_of_class((astroid.nodes.Name, astroid.nodes.Attribute,
                                                   astroid.nodes.Call)):
                self._by_position[(node.lineno, node.col_offset, type(node).__name__)] = node
        return self._tree

    def class_of(self, expr: ast.AST) -> Optional[str]:
        """The qualified class of the instance ``expr`` evaluates to, when astroid infers exactly
        one (normalised through ``aliases``, the ``types`` catalogue)."""
        key = id(expr)
        if key not in self._answers:
            start = time.perf_counter()
            try:
                self._answers[key] = self._class_of(expr)
            finally:
                SPENT[0] += time.perf_counter() - start
        return self._answers[key]

    def _class_of(self, expr: ast.AST) -> Optional[str]:
        if self._astroid_tree() is None:
            return None
        kind = {ast.Name: "Name", ast.Attribute: "Attribute", ast.Call: "Call"}.get(type(expr))
        if kind is None:
            return None
        node = self._by_position.get((expr.lineno, expr.col_offset, kind))  # type: ignore[attr-defined]
        if node is None:
            return None
        import astroid

        found = set()
        try:
            for value in node.infer():
                if value is astroid.Uninferable or not isinstance(value, astroid.bases.Instance):
                    return None
                found.add(value.pytype())
                if len(found) > 1:
                    return None
        except Exception:  # inference errors of every kind mean "unknown"
            return None
        if len(found) != 1:
            return None
        name = found.pop()
        return self.aliases.get(name, name)
