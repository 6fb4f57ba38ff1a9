"""What a rule is, and what a family checker looks like.

A family module (``timeouts``, ``cardinality``, ``caches``, ``lifetime``) defines its ``Rule``
values (metadata and documentation, side by side with the code) and one ``Checker`` subclass whose
``visit_<NodeType>(node, ctx)`` methods are called for every node of that type, in source order,
from the index built by the single traversal. ``summarize`` contributes facts to the project index
and ``resolvers`` decide findings deferred until every module has been seen.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

DOC_SECTIONS = (
    "What it finds",
    "Why it hurts in production",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
)


class RuleFix(str, Enum):
    """Which fix a rule offers: always safe, always unsafe, or (unsafe) for some findings only."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    SOMETIMES = "sometimes"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    summary: str
    doc: str
    fix: Optional[RuleFix] = None
    since: str = "0.1.0"

    def render_doc(self) -> str:
        fix = {None: "no fix", RuleFix.SAFE: "safe fix", RuleFix.UNSAFE: "unsafe fix",
               RuleFix.SOMETIMES: "fix in some cases"}[self.fix]
        head = f"# {self.code} {self.name}\n\nFamily: {self.family}. Fix: {fix}. Since {self.since}.\n\n{self.summary}\n"
        return head + "\n" + self.doc.strip() + "\n"

    def sections(self) -> List[str]:
        return [line[3:].strip() for line in self.doc.splitlines() if line.startswith("## ")]


@dataclass(frozen=True)
class Option:
    type: str  # a key of catalogue.TYPE_CHECKS
    default: Any
    doc: str


class Checker:
    """Base class for a rule family. Subclasses set ``family``, ``rules`` and ``options``."""

    family: str = ""
    rules: Tuple[Rule, ...] = ()
    options: Mapping[str, Option] = {}

    def __init__(self) -> None:
        """Nothing per instance: see ``visitors``."""

    @classmethod
    def _visitor_names(cls) -> Dict[type, str]:
        names = cls.__dict__.get("_visitor_names_of_class")
        if names is None:
            names = {}
            for name in dir(cls):
                if name.startswith("visit_"):
                    node_type = getattr(ast, name[6:], None)
                    if isinstance(node_type, type):
                        names[node_type] = name
            cls._visitor_names_of_class = names
        return names

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(r.code for r in self.rules)

    def visitors(self) -> Dict[type, Callable[[ast.AST, Any], None]]:
        # bound methods made on each call: kept on the instance they would make every checker a
        # reference cycle that pins the file's tree and model until the cyclic collector runs
        return {node_type: getattr(self, name) for node_type, name in self._visitor_names().items()}

    def begin(self, ctx: Any) -> None:
        """Called once per file before any visitor."""

    def end(self, ctx: Any) -> None:
        """Called once per file after every visitor."""

    def summarize(self, ctx: Any) -> Dict[str, Dict[str, Any]]:
        """Facts about this module's top-level symbols for the project index:
        ``{symbol_name: {fact: json-able value}}``."""
        return {}

    # condition kind -> function(index, *args) -> dict of message fields, or None when it fails
    resolvers: Mapping[str, Callable[..., Optional[Dict[str, Any]]]] = {}
