"""Which catalogue entry a call is: ``requests.get``, a method of a known class, a gRPC stub
method, or (through astroid, only when names cannot decide) a method of a value returned by a
local function."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

from leaklint.semantic.inference import Inference

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

Resolved = Tuple[str, Mapping[str, Any]]
# methods through which a subclass can give every request a default timeout
_INJECTION_HOOKS = frozenset({"request", "send", "merge_environment_settings"})


def last_names(*names: Any) -> FrozenSet[str]:
    return frozenset(n.rsplit(".", 1)[-1] for group in names for n in group)


def method_names(calls: Mapping[str, Any]) -> FrozenSet[str]:
    """Names of the catalogue's methods of a class (``requests.Session.get`` -> ``get``): the
    names worth asking about a receiver's declared or inferred type."""
    return frozenset(n.rsplit(".", 1)[-1] for n in calls
                     if "." in n and n.rsplit(".", 1)[0].rsplit(".", 1)[-1][:1].isupper())


class CallCatalogue:
    """Per-file lookup of calls in ``blocking-calls`` (and extra tables keyed the same way)."""

    def __init__(self, ctx: FileContext, calls: Mapping[str, Mapping[str, Any]], suffixes: Mapping[str, Mapping[str, Any]],
                 methods: FrozenSet[str]):
        self.ctx = ctx
        self.model = ctx.model
        self.calls = calls
        self.suffixes = suffixes
        self.method_names = methods
        self._memo: Dict[int, Optional[Resolved]] = {}
        self._inference: Optional[Inference] = None

    def resolve(self, call: ast.Call) -> Optional[Resolved]:
        key = id(call)
        if key in self._memo:
            return self._memo[key]
        found = self._resolve(call)
        self._memo[key] = found
        return found

    def target(self, call: ast.Call) -> Optional[str]:
        """What the call calls, with astroid's help for receivers returned by local functions."""
        model = self.model
        target = model.call_target(call)
        if target is not None:
            return target
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in self.method_names:
            owner = model.declared_type(func.value)
            if owner is None and self._worth_inferring(func.value):
                owner = self.inference().class_of(func.value)
            if owner is not None:
                return f"{owner}.{func.attr}"
        return None

    def _resolve(self, call: ast.Call) -> Optional[Resolved]:
        target = self.target(call)
        if target is not None:
            entry = self.calls.get(target)
            if entry is not None:
                return target, entry
            inherited = self._inherited(target)
            if inherited is not None:
                return inherited
        return self._stub_call(call)

    def _inherited(self, target: str) -> Optional[Resolved]:
        """``CustomSession().get`` for a class of this module that subclasses a catalogue class
        without overriding the method or the hooks that inject a default (``request``, ``send``)."""
        owner, _, method = target.rpartition(".")
        module, _, name = owner.rpartition(".")
        if module != self.model.module or not name[:1].isupper():
            return None
        bindings = self.model.module_scope.bindings.get(name)
        if not bindings or bindings[-1].kind != "class":
            return None
        cls = bindings[-1].node
        body = cls.body  # type: ignore[attr-defined]
        defined = {stmt.name for stmt in body if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if defined & ({method} | _INJECTION_HOOKS):
            return None
        for base in cls.bases:  # type: ignore[attr-defined]
            base_name = self.model.qualname(base)
            base_name = self.model.returns.get(base_name, base_name) if base_name else None
            entry = self.calls.get(f"{base_name}.{method}")
            if entry is not None:
                return f"{base_name}.{method}", entry
        return None

    def _stub_call(self, call: ast.Call) -> Optional[Resolved]:
        """``stub.Method(req)``, ``stub.Method.future(req)`` on an object built as ``FooStub(channel)``."""
        func = call.func
        if not isinstance(func, ast.Attribute) or not self.suffixes:
            return None
        method, receiver = func.attr, func.value
        if method in ("future", "with_call") and isinstance(receiver, ast.Attribute):
            method, receiver = receiver.attr, receiver.value
        if not isinstance(receiver, (ast.Name, ast.Attribute)):
            return None
        for suffix, entry in self.suffixes.items():
            if entry.get("method-case") == "upper" and not method[:1].isupper():
                continue
            values = self.model.values_of(receiver)
            if len(values) != 1 or not isinstance(values[0], ast.Call) or not values[0].args:
                continue
            owner = self.model.call_target(values[0])
            if owner is not None and owner.rsplit(".", 1)[-1].endswith(suffix):
                return f"{owner}.{method}", entry
        return None

    def _worth_inferring(self, receiver: ast.AST) -> bool:
        """Only a receiver bound to the result of a function of this module: the case the model
        cannot type and astroid can."""
        if not isinstance(receiver, ast.Name):
            return False
        value = self.model.value_of(receiver)
        if not isinstance(value, ast.Call):
            return False
        callee = self.model.qualname(value.func)
        if not callee:
            return False
        module, _, name = callee.rpartition(".")
        if module != self.model.module or not name[:1].islower():
            return False
        bindings = self.model.module_scope.bindings.get(name)
        return bool(bindings) and bindings[-1].kind == "def" and self._returns_an_object(bindings[-1].node)

    def _returns_an_object(self, func: ast.AST) -> bool:
        """Whether the function returns a call that builds an object (a class the names know) or
        that names cannot resolve: the cases where astroid can tell the receiver's class.
        ``return json.loads(...)`` is neither."""
        model = self.model
        for value in _returned_calls(func):
            if model.call_target(value) is None or model.type_of(value) is not None:
                return True
        return False

    def inference(self) -> Inference:
        if self._inference is None:
            self._inference = Inference(self.ctx.source.text, self.model.module, self.model.returns)
        return self._inference


def _returned_calls(func: ast.AST) -> List[ast.Call]:
    """The calls whose result the function returns (not in nested scopes)."""
    out = []
    stack = list(func.body)  # type: ignore[attr-defined]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return) and isinstance(node.value, ast.Call):
            out.append(node.value)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return out
