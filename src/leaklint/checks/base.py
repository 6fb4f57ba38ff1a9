"""What a rule is, and what a family checker looks like.

A family package (``timeouts``, ``cardinality``, ``caches``, ``lifetime``) holds one module per
rule, each defining its ``Rule`` (metadata and documentation, side by side with the code), and one
``Checker`` subclass in its ``__init__``. The family's rules are found by discovery: every ``Rule``
defined in a module of the package belongs to it, so no list of codes is kept by hand.

Two kinds of visitors are called for every node of their type, in source order, from the index
built by the single traversal:
- the checker's ``visit_<NodeType>(node, ctx)`` methods (shared dispatch of older rules);
- a rule module's ``check_<NodeType>(node, ctx, facts)`` functions, called only while that rule
  is enabled, with ``facts`` the family's per-file facts (``Checker.facts``, built in ``begin``).
  A new rule needs nothing else: its module, its catalogue section and its fixtures.

``summarize`` contributes facts to the project index and ``resolvers`` decide findings deferred
until every module has been seen.
"""

from __future__ import annotations

import ast
import pkgutil
from dataclasses import dataclass, field
from enum import Enum
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Tuple

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

# a rule's documentation: these sections, in this order; the last three may be left out
DOC_SECTIONS = (
    "What it finds",
    "Why it hurts in production",
    "Example",
    "Use instead",
    "Fix safety",
    "Options",
    "Known limitations",
    "Parity",
    "References",
)
OPTIONAL_SECTIONS = frozenset({"Known limitations", "Parity", "References"})


class RuleFix(str, Enum):
    """Which fix a rule offers: always safe, always unsafe, or (unsafe) for some findings only."""

    SAFE = "safe"
    UNSAFE = "unsafe"
    SOMETIMES = "sometimes"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Option:
    type: str  # a key of catalogue.TYPE_CHECKS
    default: Any
    doc: str


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    family: str
    summary: str
    doc: str
    fix: Optional[RuleFix] = None
    since: str = "0.1.0"
    # options only this rule reads, under ``[tool.leaklint.<family>]`` (family-wide ones are the
    # checker's ``options``)
    options: Mapping[str, Option] = field(default_factory=dict)

    def render_doc(self) -> str:
        fix = {None: "no fix", RuleFix.SAFE: "safe fix", RuleFix.UNSAFE: "unsafe fix",
               RuleFix.SOMETIMES: "fix in some cases"}[self.fix]
        head = f"# {self.code} {self.name}\n\nFamily: {self.family}. Fix: {fix}. Since {self.since}.\n\n{self.summary}\n"
        return head + "\n" + self.doc.strip() + "\n"

    def sections(self) -> List[str]:
        return [line[3:].strip() for line in self.doc.splitlines() if line.startswith("## ")]


class _FamilyRules:
    """``Checker.rules``: the rules defined in the modules of the checker's package."""

    def __get__(self, obj: Any, owner: type) -> Tuple[Rule, ...]:
        return tuple(rule for _, rule in owner.rule_modules())


class Checker:
    """Base class for a rule family. Subclasses set ``family`` and ``options``; ``begin`` may set
    ``facts`` for the rule modules' ``check_<NodeType>`` functions."""

    family: str = ""
    rules = _FamilyRules()
    options: Mapping[str, Option] = {}
    facts: Any = None

    def __init__(self) -> None:
        """Nothing per instance: see ``visitors``."""

    @classmethod
    def rule_modules(cls) -> Tuple[Tuple[ModuleType, Rule], ...]:
        """Each module of the family package that defines a rule of this family, with its rule,
        in code order."""
        found = cls.__dict__.get("_rule_modules_of_class")
        if found is None:
            package = import_module(cls.__module__)
            pairs: Dict[str, Tuple[ModuleType, Rule]] = {}
            for info in pkgutil.iter_modules(getattr(package, "__path__", [])):
                module = import_module(f"{package.__name__}.{info.name}")
                for value in vars(module).values():
                    if isinstance(value, Rule) and value.family == cls.family and value.code not in pairs:
                        pairs[value.code] = (module, value)
            found = tuple(pairs[code] for code in sorted(pairs))
            cls._rule_modules_of_class = found
        return found

    @classmethod
    def declared_options(cls) -> Dict[str, Option]:
        """The family's options and those its rules declare."""
        out = dict(cls.options)
        for _, rule in cls.rule_modules():
            out.update(rule.options)
        return out

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

    @classmethod
    def _rule_checks(cls) -> Tuple[Tuple[type, str, Callable[..., None]], ...]:
        """``(node type, rule code, check_<NodeType> function)`` of the rule modules."""
        found = cls.__dict__.get("_rule_checks_of_class")
        if found is None:
            out = []
            for module, rule in cls.rule_modules():
                for name, value in vars(module).items():
                    node_type = getattr(ast, name[6:], None) if name.startswith("check_") else None
                    if isinstance(node_type, type) and callable(value):
                        out.append((node_type, rule.code, value))
            found = tuple(out)
            cls._rule_checks_of_class = found
        return found

    def visitors(self) -> Dict[type, Callable[[ast.AST, Any], None]]:
        # bound methods made on each call: kept on the instance they would make every checker a
        # reference cycle that pins the file's tree and model until the cyclic collector runs
        out: Dict[type, Callable[[ast.AST, Any], None]] = {
            node_type: getattr(self, name) for node_type, name in self._visitor_names().items()}
        for node_type, code, check in self._rule_checks():
            out[node_type] = _chain(out.get(node_type), code, check, self)
        return out

    def begin(self, ctx: FileContext) -> None:
        """Called once per file before any visitor."""

    def end(self, ctx: FileContext) -> None:
        """Called once per file after every visitor."""

    def summarize(self, ctx: FileContext) -> Dict[str, Dict[str, Any]]:
        """Facts about this module's top-level symbols for the project index:
        ``{symbol_name: {fact: json-able value}}``."""
        return {}

    # condition kind -> function(index, *args) -> dict of message fields, or None when it fails
    resolvers: Mapping[str, Callable[..., Optional[Dict[str, Any]]]] = {}


def _chain(before: Optional[Callable[[ast.AST, Any], None]], code: str, check: Callable[..., None],
           checker: Checker) -> Callable[[ast.AST, Any], None]:
    """A visitor running ``before`` and then the rule's ``check`` (while the rule is enabled)."""

    def visit(node: ast.AST, ctx: FileContext) -> None:
        if before is not None:
            before(node, ctx)
        if ctx.enabled(code):
            check(node, ctx, checker.facts)

    return visit
