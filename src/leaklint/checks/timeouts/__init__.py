"""LL1xx: cancellation and timeouts. Each rule is a module of this package (``llNNN``, found by
discovery); this checker dispatches each call once to the rules that ask about it and answers the
per-file facts they share (which receivers were killed, waited for or given a default timeout)."""

from __future__ import annotations

import ast
import weakref
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, List, Mapping, Optional, Set, Tuple

from leaklint.checks.base import Checker, Option
from leaklint.checks.timeouts import ll101, ll102, ll103, ll104, ll105, ll106, ll107
from leaklint.checks.timeouts.calls import CallCatalogue, last_names, method_names
from leaklint.checks.timeouts.common import argument, is_none, passes_timeout, timeout_param

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

# calls that record facts other calls depend on (see ``_scan``)


class _Tables:
    """What the rules read from the catalogues, derived once per run (not per file)."""

    def __init__(self, cat) -> None:
        def enabled(section: Mapping[str, Any]) -> Dict[str, Any]:
            return {k: v for k, v in section.items() if v}

        self.calls = cat.section("blocking-calls", "calls")
        self.suffixes = cat.section("blocking-calls", "class-suffixes")
        self.methods = method_names(self.calls)
        self.timeout_objects = cat.section("blocking-calls", "timeout-objects")
        self.async_calls = cat.section("async-blocking", "calls")
        self.cancelled = frozenset(enabled(cat.section("async-blocking", "cancelled-errors")))
        self.spawners = frozenset(enabled(cat.section("async-blocking", "spawners")))
        self.offloads = enabled(cat.section("async-blocking", "offloads"))
        self.deadlines = cat.section("async-blocking", "deadlines")
        self.executors = enabled(cat.section("async-blocking", "executors"))
        self.kills = frozenset(enabled(cat.section("blocking-calls", "kill-methods")))
        self.injectors: Dict[str, str] = cat.section("blocking-calls", "injectors")
        self.waits: Dict[str, Dict[str, Any]] = cat.section("blocking-calls", "waits")
        self.wait_names = frozenset(q.rsplit(".", 1)[-1] for q in self.waits)
        self.names: FrozenSet[str] = last_names(self.calls, self.timeout_objects, self.async_calls, self.spawners,
                                                self.offloads, self.deadlines) | {"run_in_executor"}


_TABLES: "weakref.WeakKeyDictionary[Any, _Tables]" = weakref.WeakKeyDictionary()


def _tables(catalogue) -> _Tables:
    found = _TABLES.get(catalogue)
    if found is None:
        found = _TABLES[catalogue] = _Tables(catalogue)
    return found


class TimeoutChecker(Checker):
    family = "timeouts"
    options = {
        "fix-timeout": Option("str", "10", "The timeout expression the LL101/LL102 fixes insert."),
        "fix-timeout-import": Option("str", "", "The import the fix-timeout expression needs."),
        "timeout-parameters": Option("list[str]", ["timeout", "deadline", "*_timeout", "timeout_*"],
                                     "Parameter names (globs) that carry a caller's timeout budget."),
    }
    resolvers = {"timeout-dropped": ll103.dropped_timeout}

    def begin(self, ctx: FileContext) -> None:
        tables = self.tables = _tables(ctx.catalogue)
        self.ctx = ctx
        self.model = ctx.model
        self.patterns = tuple(ctx.option("timeouts", "timeout-parameters"))
        self.blocking = CallCatalogue(ctx, tables.calls, tables.suffixes, tables.methods)
        self.timeout_objects = tables.timeout_objects
        self.async_calls = tables.async_calls
        self.cancelled = tables.cancelled
        self.spawners = tables.spawners
        self.offloads = tables.offloads
        self.deadlines = tables.deadlines
        self.executors = tables.executors
        self.names = tables.names
        self.aliases = self._aliases(ctx.model)
        self.stub_methods = bool(tables.suffixes)
        self.on = {code: ctx.enabled(code) for code in self.codes}
        self._params: Dict[int, Optional[str]] = {}
        self._scanned = False

    def _aliases(self, model) -> FrozenSet[str]:
        """Local names bound to an interesting callable under another name
        (``from requests import get as fetch``, ``fetch = requests.get``)."""
        out = set()
        names = self.names
        for node in model.nodes.get(ast.ImportFrom, ()):
            for alias in node.names:
                if alias.asname and alias.name in names:
                    out.add(alias.asname)
        for name, bindings in model.module_scope.bindings.items():
            value = bindings[-1].value
            if isinstance(value, ast.Attribute) and value.attr in names:
                out.add(name)
        return frozenset(out)

    # ------------------------------------------------------------------ visitors
    def visit_Call(self, node: ast.Call, ctx: FileContext) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            name = func.attr
            if name not in self.names and not (self.stub_methods and name[:1].isupper()):
                if name not in ("future", "with_call"):
                    return
        elif isinstance(func, ast.Name):
            if func.id not in self.names and func.id not in self.aliases:
                return
        else:
            return
        on = self.on
        resolved = self.blocking.resolve(node)
        if resolved is not None:
            target, entry = resolved
            if on["LL102"]:
                ll102.check_call(node, target, entry, ctx)
            if on["LL101"]:
                ll101.check(node, target, entry, ctx, self)
            if on["LL104"] and not entry.get("lazy") and self.model.in_async_function(node):
                ll104.check(node, target, entry.get("kind", "blocking"), None, ctx)
            if on["LL107"] and isinstance(func, ast.Attribute) and func.attr == "result":
                ll107.check_executor_result(node, ctx, self.executors)
            return
        target = self.blocking.target(node)
        if target is None:
            if on["LL107"] and isinstance(func, ast.Attribute) and func.attr == "run_in_executor":
                ll107.check_offload_in_deadline(node, ctx, self.offloads, self.deadlines)
            return
        if target in self.timeout_objects and on["LL102"]:
            ll102.check_timeout_object(node, target, self.timeout_objects[target], ctx)
        entry = self.async_calls.get(target)
        if entry is not None and on["LL104"] and self.model.in_async_function(node):
            ll104.check(node, target, entry.get("kind", "blocking"), entry.get("instead"), ctx)
        if target in self.spawners and on["LL106"]:
            ll106.check(node, target, ctx)
        if on["LL107"]:
            if self.deadlines.get(target) == "argument":
                ll107.check_wait_for(node, target, ctx, self.offloads)
            elif target in self.offloads:
                ll107.check_offload_in_deadline(node, ctx, self.offloads, self.deadlines)

    def visit_ExceptHandler(self, node: ast.ExceptHandler, ctx: FileContext) -> None:
        if self.on["LL105"]:
            ll105.check_handler(node, ctx, self, self.cancelled)

    def visit_AsyncWith(self, node: ast.AsyncWith, ctx: FileContext) -> None:
        if self.on["LL105"]:
            ll105.check_suppress(node, ctx, self, self.cancelled)

    def visit_With(self, node: ast.With, ctx: FileContext) -> None:
        if self.on["LL105"]:
            ll105.check_suppress(node, ctx, self, self.cancelled)

    def end(self, ctx: FileContext) -> None:
        if not self.on["LL103"]:
            return
        model = self.model
        for func in model.of_type(ast.FunctionDef, ast.AsyncFunctionDef):
            param = self.timeout_param(func)
            if param is not None:
                ll103.check_forwarding(func, param, ctx, self)

    # ------------------------------------------------------------------ facts the rules ask
    def timeout_param(self, func: Optional[ast.AST]) -> Optional[str]:
        if func is None:
            return None
        key = id(func)
        if key not in self._params:
            self._params[key] = timeout_param(func, self.patterns)
        return self._params[key]

    def _constructors(self, call: ast.Call) -> List[ast.Call]:
        """The calls that built the receiver of ``call`` (``pool`` in ``pool.request(...)``)."""
        receiver = call.func.value  # type: ignore[attr-defined]
        values = [receiver] if isinstance(receiver, ast.Call) else self.model.values_of(receiver)
        return [v for v in values if isinstance(v, ast.Call)]

    def owner_has_timeout(self, call: ast.Call, entry) -> bool:
        """``pool.request(...)`` where ``pool`` was built with ``timeout=``."""
        owner_entry = {"timeout-keyword": entry.get("timeout-keyword", "timeout")}
        return any(passes_timeout(ctor, owner_entry, self.model) for ctor in self._constructors(call))

    def owner_unbounded(self, call: ast.Call, entry) -> bool:
        """``q.put(item)`` on a queue built without ``maxsize``: it never waits."""
        ctors = self._constructors(call)
        for ctor in ctors:
            bound = argument(ctor, entry.get("bounded-by"), entry.get("bounded-by-position"))
            if bound is not None and not (isinstance(bound, ast.Constant) and isinstance(bound.value, int) and bound.value <= 0):
                return False
        return bool(ctors)

    def receiver_key(self, expr: ast.AST) -> Tuple[int, str]:
        """Identify a receiver across statements: its text plus the scope that owns the name
        (the binding's scope for a name, the class for ``self.x``)."""
        model = self.model
        owner: Any = None
        if isinstance(expr, ast.Name):
            bindings = model.bindings_at(expr)
            owner = bindings[0].scope if bindings else None
        elif isinstance(expr, ast.Attribute):
            func = model.enclosing_function(expr, through_lambda=False)
            owner = model.enclosing_class(func) if func is not None else None
        return id(owner), ast.dump(expr)

    def default_injected(self, receiver: ast.AST) -> bool:
        self._scan()
        return self.receiver_key(receiver) in self._injected

    def killed_before(self, call: ast.Call) -> bool:
        self._scan()
        func = self.model.enclosing_function(call, through_lambda=False)
        return any(f is func and line <= call.lineno
                   for f, line in self._kills.get(self.receiver_key(call.func.value), ()))  # type: ignore[attr-defined]

    def cancel_calls(self) -> Dict[Tuple[int, str], List[Tuple[Any, int]]]:
        self._scan()
        return self._cancels

    def deadline_carried(self, receiver: ast.AST, call: ast.Call) -> bool:
        """The future's work carries a deadline, or the future went through ``wait(..., timeout=)``."""
        model = self.model
        producers = [receiver] if isinstance(receiver, ast.Call) else model.values_of(receiver)
        for producer in producers:
            if not isinstance(producer, ast.Call):
                continue
            for arg in list(producer.args) + [kw.value for kw in producer.keywords]:
                if not isinstance(arg, ast.Call):
                    continue
                bound = argument(arg, "timeout", None)
                if (bound is not None and not is_none(bound)) or self.deadlines.get(model.qualname(arg.func) or "") == "argument":
                    return True
        if isinstance(receiver, ast.Name):
            self._scan()
            func = model.enclosing_function(call, through_lambda=False)
            return any(f is func and line <= call.lineno for f, line in self._waited.get(receiver.id, ()))
        return False

    def _scan(self) -> None:
        """One pass over the file's calls for the facts above (only when a rule asks)."""
        if self._scanned:
            return
        self._scanned = True
        self._injected: Set[Tuple[int, str]] = set()
        self._kills: Dict[Tuple[int, str], List[Tuple[Any, int]]] = defaultdict(list)
        self._cancels: Dict[Tuple[int, str], List[Tuple[Any, int]]] = defaultdict(list)
        self._waited: Dict[str, List[Tuple[Any, int]]] = defaultdict(list)
        model = self.model
        tables = self.tables
        for call in model.nodes.get(ast.Call, ()):
            func = call.func
            if isinstance(func, ast.Attribute):
                attr = func.attr
                if attr in tables.injectors and len(call.args) >= 2:
                    if model.type_of(call.args[1]) != tables.injectors[attr]:
                        self._injected.add(self.receiver_key(func.value))
                elif attr in tables.kills or attr == "cancel":
                    table = self._cancels if attr == "cancel" else self._kills
                    where = (model.enclosing_function(call, through_lambda=False), call.lineno)
                    table[self.receiver_key(func.value)].append(where)
            short = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            wait = tables.waits.get(model.qualname(func) or "") if short in tables.wait_names and call.args else None
            if wait is not None:
                if passes_timeout(call, wait, model):
                    owner = model.enclosing_function(call, through_lambda=False)
                    first = call.args[0]
                    names = first.elts if isinstance(first, (ast.List, ast.Tuple, ast.Set)) else [first]
                    for name in names:
                        if isinstance(name, ast.Name):
                            self._waited[name.id].append((owner, call.lineno))
        for assign in model.nodes.get(ast.Assign, ()):
            for target in assign.targets:  # ``session.request = partial(session.request, timeout=5)``
                if isinstance(target, ast.Attribute) and target.attr in self.blocking.method_names:
                    self._injected.add(self.receiver_key(target.value))
