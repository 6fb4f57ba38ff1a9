"""Which calls write a metric, and which object a sink call writes to (``rules/metrics.toml``).

A ``.labels()`` call is a sink only when its receiver is known to be a metric: a metric class's
constructor reached through the model's bindings (module global, local, ``self`` attribute), or a
name imported from another project module, which the project index then confirms (``Metric.qualname``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple, TypeVar

from leaklint.semantic.model import Model

T = TypeVar("T")


@dataclass
class Metric:
    display: str  # how the code names it: `REQUESTS`, `self.latency`
    labelnames: Optional[List[str]] = None
    qualname: str = ""  # declared in another project module: the index must confirm it


class SinkCatalogue:
    """``rules/metrics.toml`` prepared for the cheap checks ``visit_Call`` makes first."""

    def __init__(self, catalogue: Any):
        self.metric_classes: Dict[str, Dict[str, Any]] = catalogue.section("metrics", "metric-classes")
        self.factories: Dict[str, Dict[str, Any]] = catalogue.section("metrics", "instrument-factories")
        self.tag_clients: Dict[str, Dict[str, Any]] = catalogue.section("metrics", "tag-clients")
        self.label_methods: FrozenSet[str] = frozenset(
            m for e in self.metric_classes.values() for m in e.get("label-methods", ["labels"]))
        self.instrument_methods: Dict[str, List[str]] = {}
        for factory, entry in self.factories.items():
            for method in entry.get("methods", []):
                self.instrument_methods.setdefault(method, []).append(factory)
        self.tag_targets: Dict[str, Dict[str, Any]] = {}
        for client, entry in self.tag_clients.items():
            for method in entry.get("methods", []):
                self.tag_targets[f"{client}.{method}"] = entry
        self.tag_methods: FrozenSet[str] = frozenset(t.rsplit(".", 1)[1] for t in self.tag_targets)
        self.class_names: FrozenSet[str] = frozenset(q.rsplit(".", 1)[1] for q in self.metric_classes)
        self.class_modules: FrozenSet[str] = frozenset(q.rsplit(".", 1)[0] for q in self.metric_classes)
        self.unbounded_label_names: Dict[str, str] = catalogue.section("metrics", "unbounded-label-names")
        # method name -> which kinds of sink it may be: one dict lookup rejects most calls
        self.dispatch: Dict[str, FrozenSet[str]] = {}
        for kind, names in (("labels", self.label_methods), ("instrument", self.instrument_methods),
                            ("declaration", self.class_names), ("factory", self.factories),
                            ("tags", self.tag_methods)):
            for name in names:
                self.dispatch[name] = self.dispatch.get(name, frozenset()) | {kind}


def argument(call: ast.Call, position: Optional[int], keyword: Optional[str]) -> Optional[ast.AST]:
    """The argument passed at ``position`` or as ``keyword`` (``None`` behind ``*args``)."""
    if keyword:
        for kw in call.keywords:
            if kw.arg == keyword:
                return kw.value
    if position is not None and position < len(call.args):
        if not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
            return call.args[position]
    return None


def metric_class(model: Model, sinks: SinkCatalogue, call: ast.Call) -> Optional[Tuple[str, Dict[str, Any]]]:
    """``(qualified class, catalogue entry)`` when ``call`` constructs a metric."""
    func = call.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if last is None:
        return None
    qn = model.qualname(func)
    if qn is None:
        return None
    entry = sinks.metric_classes.get(qn)
    if entry is None and isinstance(func, ast.Name):
        # a subclass declared in this module: ``class TimedCounter(Counter)``
        for b in model.bindings_at(func):
            if b.kind == "class":
                for base in b.node.bases:  # type: ignore[attr-defined]
                    entry = sinks.metric_classes.get(model.qualname(base) or "")
                    if entry is not None:
                        break
    return (qn, entry) if entry is not None else None


def label_names(model: Model, call: ast.Call, entry: Dict[str, Any]) -> Optional[List[str]]:
    """The declared label names, with ``?`` for the ones not written as constants."""
    node = argument(call, entry.get("labelnames-position"), entry.get("labelnames-keyword"))
    if node is None:
        return []
    if isinstance(node, ast.Name):
        node = model.value_of(node) or node
    if not isinstance(node, (ast.List, ast.Tuple)):
        return None
    out = []
    for elt in node.elts:
        if isinstance(elt, ast.Name):
            elt = model.value_of(elt) or elt
        out.append(elt.value if isinstance(elt, ast.Constant) and isinstance(elt.value, str) else "?")
    return out


def _created_by(model: Model, expr: ast.AST, answer: Callable[[ast.Call], Optional[T]],
                class_attributes: bool, _depth: int = 0) -> Tuple[Optional[T], Optional[str]]:
    """Follow ``expr`` through its bindings to the call that created it. Returns what ``answer``
    says of that call, or, when ``expr`` has no binding here but names something of another
    project module, that qualified name (the project index decides later)."""
    if _depth > 5 or not isinstance(expr, (ast.Name, ast.Attribute)):
        return None, None
    values = model.values_of(expr) or (class_attribute_values(model, expr) if class_attributes else [])
    for value in values:
        if isinstance(value, ast.Call):
            found = answer(value)
            if found is not None:
                return found, None
        elif isinstance(value, (ast.Name, ast.Attribute)):
            found, project = _created_by(model, value, answer, class_attributes, _depth + 1)
            if found is not None or project is not None:
                return found, project
    if values:
        return None, None
    qn = model.qualname(expr)
    return None, (qn if qn is not None and model.is_project_name(qn) else None)


def metric_of(model: Model, sinks: SinkCatalogue, expr: ast.AST, display: str) -> Optional[Metric]:
    """The metric ``expr`` holds, when the bindings or the project show it is one."""
    def declared(call: ast.Call) -> Optional[Metric]:
        found = metric_class(model, sinks, call)
        return Metric(display, label_names(model, call, found[1])) if found is not None else None

    metric, project = _created_by(model, expr, declared, class_attributes=True)
    if metric is None and project is not None:
        return Metric(display, None, project)
    return metric


def class_attribute_values(model: Model, expr: ast.AST) -> List[ast.AST]:
    """``Metrics.REQUESTS`` for a class of this module: what its body binds ``REQUESTS`` to."""
    if not (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)):
        return []
    classes = [b for b in model.bindings_at(expr.value) if b.kind == "class"]
    if len(classes) != 1:
        return []
    scope = model.scopes.get(id(classes[0].node))
    if scope is None:
        return []
    return [b.value for b in scope.bindings.get(expr.attr, []) if b.value is not None]


def instrument_of(model: Model, sinks: SinkCatalogue, expr: ast.AST,
                  display: str) -> Optional[Tuple[Metric, Dict[str, Any]]]:
    """An OpenTelemetry instrument created by a meter factory (``meter.create_counter(...)``)."""
    def created(call: ast.Call) -> Optional[Tuple[Metric, Dict[str, Any]]]:
        if isinstance(call.func, ast.Attribute):
            entry = sinks.factories.get(call.func.attr)
            if entry is not None:
                return Metric(display), entry
        return None

    found, project = _created_by(model, expr, created, class_attributes=False)
    if found is None and project is not None:
        return Metric(display, None, project), {}
    return found