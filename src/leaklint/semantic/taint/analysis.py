"""The evaluation: what an expression of one module carries, through the model's bindings."""

from __future__ import annotations

import ast
import re
from typing import Dict, FrozenSet, Iterable, List, Optional, Tuple, Union

from leaklint.semantic.model import Binding, BindingKind, Model, positional_params
from leaklint.semantic.taint.config import TaintConfig
from leaklint.semantic.taint.values import CLEAN, External, Params, Taint, Value, join

# methods whose result is a flag or a count whatever the receiver holds
_FLAG_METHODS = frozenset({"startswith", "endswith", "isdigit", "isalpha", "isalnum", "isnumeric", "isidentifier",
                           "islower", "isupper", "isspace", "isdecimal", "__contains__", "count", "find", "index",
                           "rfind", "rindex", "__len__"})
_MUTATORS = frozenset({"append", "extend", "update", "insert", "add", "setdefault", "appendleft"})
_ROUTE_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}|<(?:[^:<>]+:)?(\w+)>")
_MAX_DEPTH = 40


class TaintAnalysis:
    """Taint of expressions of one module, memoized per node."""

    def __init__(self, model: Model, config: TaintConfig):
        self.model = model
        self.config = config
        self._memo: Dict[int, Value] = {}
        self._active: set = set()
        self._mutations: Dict[int, Dict[str, List[Tuple[Optional[ast.AST], ast.AST]]]] = {}
        self._summaries: Dict[int, Value] = {}
        self._exits: Optional[Dict[int, Tuple[List[ast.Return], bool]]] = None
        self._frameworks: Optional[FrozenSet[str]] = None

    # ------------------------------------------------------------------ entry points
    def taint_of(self, expr: Optional[ast.AST]) -> Value:
        if expr is None:
            return None
        key = id(expr)
        if key in self._memo:
            return self._memo[key]
        if key in self._active or len(self._active) > _MAX_DEPTH:
            return None  # a cycle (``x = x + 1`` in a loop) adds nothing new
        self._active.add(key)
        try:
            value = self._evaluate(expr)
        finally:
            self._active.discard(key)
        self._memo[key] = value
        return value

    def summarize_function(self, func: ast.AST) -> Value:
        """What ``func`` returns: the join of its ``return`` values (``CLEAN`` when every one is
        bounded: a sanitizer by its body; ``Params`` when it passes arguments through)."""
        key = id(func)
        if key in self._summaries:
            return self._summaries[key]
        self._summaries[key] = None  # recursion
        returns, generator = self._function_exits().get(key, ([], False))
        if generator or not returns:
            value: Value = None
        else:
            value = join(CLEAN if r.value is None else self.taint_of(r.value) for r in returns)
        self._summaries[key] = value
        return value

    def _function_exits(self) -> Dict[int, Tuple[List[ast.Return], bool]]:
        """Per function (by id): its ``return`` statements and whether it yields, from the index."""
        if self._exits is None:
            exits: Dict[int, Tuple[List[ast.Return], bool]] = {}
            model = self.model
            for node in model.nodes.get(ast.Return, ()):
                func = model.enclosing_function(node, through_lambda=False)
                if func is not None:
                    exits.setdefault(id(func), ([], False))[0].append(node)  # type: ignore[arg-type]
            for node in model.of_type(ast.Yield, ast.YieldFrom):
                func = model.enclosing_function(node, through_lambda=False)
                if func is not None:
                    exits[id(func)] = (exits.get(id(func), ([], False))[0], True)
            self._exits = exits
        return self._exits

    def entries(self, expr: ast.AST, _depth: int = 0) -> List[Tuple[Optional[str], ast.AST, Value]]:
        """A mapping-like expression as ``(key, value node, taint)`` entries: dict literals,
        ``dict(...)``, copies, ``{**base}``, and a local dict's item assignments and updates. An
        entry with key ``None`` stands for values whose keys are unknown."""
        if _depth > 6:
            return [(None, expr, self.taint_of(expr))]
        out: List[Tuple[Optional[str], ast.AST, Value]] = []
        if isinstance(expr, ast.Dict):
            for key, value in zip(expr.keys, expr.values):
                if key is None:
                    out.extend(self.entries(value, _depth + 1))
                else:
                    out.append((_key_text(key), value, self.taint_of(value)))
            return out
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Attribute) and func.attr == "copy" and not expr.args:
                return self.entries(func.value, _depth + 1)
            if self.model.qualname(func) == "builtins.dict":
                for arg in expr.args:
                    out.extend(self.entries(arg, _depth + 1))
                for kw in expr.keywords:
                    if kw.arg is None:
                        out.extend(self.entries(kw.value, _depth + 1))
                    else:
                        out.append((kw.arg, kw.value, self.taint_of(kw.value)))
                return out
        if isinstance(expr, ast.Name):
            values = self.model.values_of(expr)
            if values:
                for value in values:
                    out.extend(self.entries(value, _depth + 1))
                for key, value in self._mutations_of(expr):
                    if isinstance(value, ast.Call):  # d.update(...)
                        for arg in value.args:
                            out.extend(self.entries(arg, _depth + 1))
                        for kw in value.keywords:
                            out.append((kw.arg, kw.value, self.taint_of(kw.value)))
                    else:
                        out.append((_key_text(key) if key is not None else None, value, self.taint_of(value)))
                return out
        return [(None, expr, self.taint_of(expr))]

    # ------------------------------------------------------------------ evaluation
    def _evaluate(self, expr: ast.AST) -> Value:
        method = getattr(self, "_eval_" + type(expr).__name__, None)
        if method is None:
            return None
        return method(expr)

    def _eval_Constant(self, node: ast.Constant) -> Value:
        return CLEAN

    def _eval_JoinedStr(self, node: ast.JoinedStr) -> Value:
        return join(self._as_text(v.value) if isinstance(v, ast.FormattedValue) else CLEAN for v in node.values)

    def _eval_FormattedValue(self, node: ast.FormattedValue) -> Value:
        return self._as_text(node.value)

    def _eval_BinOp(self, node: ast.BinOp) -> Value:
        if isinstance(node.op, ast.FloorDiv) and isinstance(node.right, ast.Constant):
            return CLEAN  # ``status // 100``: a bucket
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            return join(self._as_text(p) for p in parts)
        return join((self._as_text(node.left), self._as_text(node.right)))

    def _eval_BoolOp(self, node: ast.BoolOp) -> Value:
        return join(self.taint_of(v) for v in node.values)

    def _eval_Compare(self, node: ast.Compare) -> Value:
        return CLEAN

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Value:
        return CLEAN if isinstance(node.op, ast.Not) else self.taint_of(node.operand)

    def _eval_IfExp(self, node: ast.IfExp) -> Value:
        allowed = _allow_listed(node)
        if allowed == "body":
            return join((CLEAN, self.taint_of(node.orelse)))
        if allowed == "orelse":
            return join((self.taint_of(node.body), CLEAN))
        return join((self.taint_of(node.body), self.taint_of(node.orelse)))

    def _eval_Await(self, node: ast.Await) -> Value:
        return self.taint_of(node.value)

    def _eval_Starred(self, node: ast.Starred) -> Value:
        return self.taint_of(node.value)

    def _eval_NamedExpr(self, node: ast.NamedExpr) -> Value:
        return self.taint_of(node.value)

    def _eval_Dict(self, node: ast.Dict) -> Value:
        return join([self.taint_of(k) for k in node.keys if k is not None] + [self.taint_of(v) for v in node.values])

    def _eval_List(self, node: ast.AST) -> Value:
        return join(self.taint_of(e) for e in node.elts)  # type: ignore[attr-defined]

    _eval_Tuple = _eval_Set = _eval_List

    def _eval_ListComp(self, node: ast.AST) -> Value:
        return self.taint_of(node.elt)  # type: ignore[attr-defined]

    _eval_SetComp = _eval_GeneratorExp = _eval_ListComp

    def _eval_DictComp(self, node: ast.DictComp) -> Value:
        return join((self.taint_of(node.key), self.taint_of(node.value)))

    def _eval_Subscript(self, node: ast.Subscript) -> Value:
        what = self._scope_key(node.value, node.slice)
        if what is not None:
            return Taint(node, what, "request", "asgi")
        if self._constant_mapping(node.value):
            return CLEAN  # ``LABELS[x]``: one of the dict's values, or KeyError
        base = self.taint_of(node.value)
        if isinstance(base, Taint) and base.kind == "request" and base.node is node.value:
            return Taint(node, base.what, base.kind, base.framework)
        if isinstance(base, Taint) and base.kind == "exception":
            return None
        if isinstance(base, Taint) and base.kind == "identifier":
            key = node.slice
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                # ``user["plan"]`` is a field of the user, not the user
                return base if self.config.is_identifier_name(key.value) else None
        return base

    def _eval_Attribute(self, node: ast.Attribute) -> Value:
        attr = node.attr
        if self.config.is_bounded_attribute(attr):
            return CLEAN
        framework = self.request_framework(node.value)
        if framework is not None:
            what = self.config.request_attributes.get(attr)
            return Taint(node, what, "request", framework) if what else None
        base = self.taint_of(node.value)
        if isinstance(base, Taint):
            if base.kind == "exception":
                return None
            if base.kind == "identifier":
                # ``user.plan``, ``session.bind.dialect``: a field of the thing, not the thing
                return Taint(node, "an identifier", "identifier") if self.config.is_identifier_name(attr) else None
            if base.kind == "request" and base.node is node.value:
                return Taint(node, base.what, base.kind, base.framework)
            return base
        if isinstance(base, External):
            return base
        values = self.model.values_of(node) if isinstance(node.value, ast.Name) else []
        if values:
            return join(self.taint_of(v) for v in values)
        static = self.model.qualname(node) is not None
        if static and (attr.isupper() or not attr.islower()):
            return CLEAN  # a module constant, an enum member, a class: fixed when the code is written
        if self.config.is_identifier_name(attr):
            return Taint(node, "an identifier", "identifier")  # also ``g.user_id``, ``current_user.id``
        return CLEAN if static else None

    def _eval_Name(self, node: ast.Name) -> Value:
        bindings = self.model.bindings_at(node)
        if not bindings:
            return CLEAN if self.model.qualname(node) is not None else None
        value = join(self._binding(b, node) for b in bindings)
        if not isinstance(value, (Taint, External)):
            mutations = self._mutations_of(node)
            if mutations:
                value = join([value] + [self.taint_of(v) for _k, v in mutations])
        if value is None and self.config.is_identifier_name(node.id):
            return Taint(node, "an identifier", "identifier")
        return value

    def _eval_Call(self, node: ast.Call) -> Value:
        func = node.func
        config = self.config
        qn = self.model.qualname(func)
        if qn is not None:
            if qn in config.sanitizer_calls:
                return CLEAN
            what = config.unbounded_calls.get(qn)
            if what is not None:
                return Taint(node, what, "call")
            if qn in config.propagating_calls:
                text = qn in ("builtins.str", "builtins.repr", "builtins.format")
                value = self._arguments(node, text=text)
                if text and isinstance(value, Taint) and value.node in node.args:
                    return Taint(node, value.what, value.kind, value.framework)
                return value
            summary = self._project_call(qn, node)
            if summary is not False:
                return summary  # type: ignore[return-value]
        elif isinstance(func, ast.Name):
            defs = [b for b in self.model.bindings_at(func) if b.kind == "def"]
            if len(defs) == 1:  # a nested helper
                return self._apply_summary(self.summarize_function(defs[0].node), node)
        if isinstance(func, ast.Attribute):
            attr = func.attr
            if attr in _FLAG_METHODS:
                return CLEAN
            receiver = func.value
            framework = self.request_framework(receiver)
            if framework is not None:
                what = config.request_attributes.get(attr)
                return Taint(node, what, "request", framework) if what else None
            if attr == "get" and node.args:
                what = self._scope_key(receiver, node.args[0])
                if what is not None:
                    return Taint(node, what, "request", "asgi")
            if attr == "get" and self._constant_mapping(receiver):
                return join(self.taint_of(a) for a in node.args[1:2]) if len(node.args) > 1 else CLEAN
            self_call = self._method_summary(func, node)
            if self_call is not False:
                return self_call  # type: ignore[return-value]
            base = self.taint_of(receiver)
            if isinstance(base, Taint) and base.kind == "request" and base.node is receiver and attr == "get":
                return Taint(node, base.what, base.kind, base.framework)
            if attr in ("format", "join", "format_map"):
                return join([self._as_text(receiver)] + [self._as_text(a) for a in node.args]
                            + [self._as_text(k.value) for k in node.keywords])
            if isinstance(base, Taint) and base.kind == "exception":
                return None
            if isinstance(base, (Taint, External, Params)):
                return base
        return None

    # ------------------------------------------------------------------ pieces
    def _as_text(self, expr: ast.AST) -> Value:
        """The taint of ``expr`` when it is formatted as text (where an exception's message shows)."""
        value = self.taint_of(expr)
        if isinstance(value, Taint) and value.kind == "exception":
            return Taint(expr, "an exception message", "call")
        return value

    def _arguments(self, node: ast.Call, text: bool = False) -> Value:
        parts = list(node.args) + [k.value for k in node.keywords]
        if not parts:
            return CLEAN
        return join(self._as_text(p) if text else self.taint_of(p) for p in parts)

    def _binding(self, b: Binding, use: ast.Name) -> Value:
        kind = b.kind
        if kind in (BindingKind.DEF, BindingKind.CLASS):
            return CLEAN
        if kind is BindingKind.IMPORT:
            return None
        if kind is BindingKind.PARAM:
            return self._param(b)
        if kind is BindingKind.EXCEPT:
            return Taint(use, "an exception message", "exception")
        if kind == "augassign":
            return self._augmented(b, use)
        if kind == "for":
            return self._loop_variable(b)
        if b.value is not None:
            return self.taint_of(b.value)
        value = getattr(b.node, "value", None)  # tuple unpacking of a non-literal
        return self.taint_of(value) if isinstance(value, ast.AST) else None

    def _augmented(self, b: Binding, use: ast.Name) -> Value:
        """``x += value``: the value joined with what ``x`` held before (memoized on the statement,
        so a run of augmented assignments costs one evaluation each)."""
        key = id(b.node)
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = None  # a cycle adds nothing
        earlier = [x for x in (b.scope.bindings.get(b.name, []) if b.scope else []) if x.line < b.line]
        added = self._as_text(b.node.value)  # type: ignore[attr-defined]
        value = join([added] + [self._binding(x, use) for x in earlier[-3:]])
        self._memo[key] = value
        return value

    def _loop_variable(self, b: Binding) -> Value:
        """``for k, v in d.items()``: ``k`` holds a key and ``v`` a value of ``d``, each with its own taint."""
        loop = b.node
        iterable = getattr(loop, "iter", None)
        target = getattr(loop, "target", None)
        part, mapping = None, None
        if isinstance(iterable, ast.Call) and isinstance(iterable.func, ast.Attribute) and not iterable.args:
            method, mapping = iterable.func.attr, iterable.func.value
            if method == "items" and isinstance(target, ast.Tuple) and len(target.elts) == 2:
                first = target.elts[0]
                part = "keys" if isinstance(first, ast.Name) and first.id == b.name else "values"
            elif method in ("keys", "values"):
                part = method
        elif isinstance(iterable, ast.Name):
            part, mapping = "keys", iterable
        elif (isinstance(iterable, ast.Call) and self.model.qualname(iterable.func) == "builtins.enumerate"
              and iterable.args and isinstance(target, ast.Tuple) and len(target.elts) == 2):
            first = target.elts[0]
            if isinstance(first, ast.Name) and first.id == b.name:
                return CLEAN  # the position
            return self.taint_of(iterable.args[0])
        if part is not None and mapping is not None:
            value = self._mapping_part(mapping, part)
            if value is not False:
                return value  # type: ignore[return-value]
        return self.taint_of(iterable)

    def _mapping_part(self, mapping: ast.AST, part: str) -> Union[Value, bool]:
        """The join of the keys (or values) of the dict literal(s) ``mapping`` holds; ``False`` when
        it is not known to hold dicts."""
        values = self.model.values_of(mapping) if isinstance(mapping, (ast.Name, ast.Attribute)) else []
        if not values or not all(isinstance(v, ast.Dict) for v in values):
            return False
        parts: List[Value] = []
        for d in values:
            for key, value in zip(d.keys, d.values):  # type: ignore[attr-defined]
                parts.append(self.taint_of(value if key is None or part == "values" else key))
        if isinstance(mapping, ast.Name):
            for key, value in self._mutations_of(mapping):
                parts.append(self.taint_of(value if part == "values" or key is None else key))
        return join(parts)

    def _param(self, b: Binding) -> Value:
        func = b.scope.node if b.scope is not None else None
        arg = b.node
        name = b.name
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        marker = self._param_marker(func, arg)  # type: ignore[arg-type]
        if marker is not None:
            return Taint(arg, marker, "parameter")
        route = self._route_template(func, name)
        if route is not None:
            return Taint(arg, f"a path parameter of route `{route}`", "parameter")
        if self.config.is_identifier_name(name):
            return Taint(arg, "an identifier", "identifier")
        params = self.model.params(func)
        for i, p in enumerate(params):
            if p is arg:
                return Params(frozenset({i}))
        return None

    def _param_marker(self, func: ast.AST, arg: ast.arg) -> Optional[str]:
        """``q: str = Query(...)`` or ``q: Annotated[str, Header()]``: bound from request data."""
        markers = self.config.parameter_markers
        if not markers:
            return None
        default = _default_of(func, arg)
        if isinstance(default, ast.Call):
            what = markers.get(self.model.qualname(default.func) or "")
            if what:
                return what
        ann = arg.annotation
        if isinstance(ann, ast.Subscript) and isinstance(ann.slice, ast.Tuple):
            for extra in ann.slice.elts[1:]:
                target = extra.func if isinstance(extra, ast.Call) else extra
                what = markers.get(self.model.qualname(target) or "")
                if what:
                    return what
        return None

    def _route_template(self, func: ast.AST, name: str) -> Optional[str]:
        for dec in getattr(func, "decorator_list", ()):
            if not (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute)):
                continue
            if dec.func.attr not in self.config.route_decorators or not dec.args:
                continue
            template = dec.args[0]
            if isinstance(template, ast.Constant) and isinstance(template.value, str):
                for match in _ROUTE_PARAM.finditer(template.value):
                    if name in match.groups():
                        return template.value
        return None

    def request_framework(self, expr: ast.AST) -> Optional[str]:
        """The framework whose request object ``expr`` is (``""`` when unknown), or ``None``."""
        model = self.model
        if isinstance(expr, ast.Name):
            qn = model.qualname(expr)
            if qn is not None:
                return self.config.request_globals.get(qn)
            for b in model.bindings_at(expr):
                if b.kind != "param":
                    continue
                ann = getattr(b.node, "annotation", None)
                if ann is not None:
                    framework = self.config.request_classes.get(model.qualname(_unquote(ann)) or "")
                    if framework is not None:
                        return framework
                if b.name in self.config.request_parameters:
                    return self.config.request_parameters[b.name] or self._only_framework()
            return None
        if isinstance(expr, ast.Attribute) and expr.attr in self.config.request_global_names:
            framework = self.config.request_globals.get(model.qualname(expr) or "")
            if framework is not None:
                return framework  # ``flask.request``
        if isinstance(expr, ast.Attribute) and expr.attr == "request" and isinstance(expr.value, ast.Name):
            func = model.enclosing_function(expr, through_lambda=False)
            if func is not None and model.self_name(func) == expr.value.id:
                return self._only_framework()
        return None

    def _scope_key(self, mapping: ast.AST, key: ast.AST) -> Optional[str]:
        """``scope["path"]`` in ASGI middleware (``scope`` parameter, or ``request.scope``)."""
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            return None
        what = self.config.scope_keys.get(key.value)
        if what is None:
            return None
        if isinstance(mapping, ast.Attribute) and mapping.attr == "scope":
            return what if self.request_framework(mapping.value) is not None else None
        if isinstance(mapping, ast.Name) and mapping.id in self.config.scope_parameters:
            if any(b.kind == "param" for b in self.model.bindings_at(mapping)):
                return what
        return None

    def _only_framework(self) -> str:
        """The web framework this module uses, when it imports exactly one."""
        if self._frameworks is None:
            self._frameworks = self._module_frameworks()
        return next(iter(self._frameworks)) if len(self._frameworks) == 1 else ""

    def _module_frameworks(self) -> FrozenSet[str]:
        found = set()
        for bindings in self.model.module_scope.bindings.values():
            for b in bindings:
                if b.kind == "import" and b.target:
                    framework = self.config.web_frameworks.get(b.target.split(".", 1)[0])
                    if framework:
                        found.add(framework)
        return frozenset(found)

    def _constant_mapping(self, expr: ast.AST) -> bool:
        """A name bound once to a dict literal of constants (a lookup table)."""
        if not isinstance(expr, (ast.Name, ast.Attribute)):
            return False
        values = self.model.values_of(expr)
        if len(values) != 1 or not isinstance(values[0], ast.Dict):
            return False
        if isinstance(expr, ast.Name) and self._mutations_of(expr):
            return False
        return all(isinstance(v, ast.Constant) for v in values[0].values) and None not in values[0].keys

    def _project_call(self, qn: str, node: ast.Call) -> Union[Value, bool]:
        """A call to a function of the project: its summary (``False`` when it is not one)."""
        model = self.model
        prefix = model.module + "." if model.module else ""
        if qn.startswith(prefix) and "." not in qn[len(prefix):]:
            for b in model.module_scope.bindings.get(qn[len(prefix):], []):
                if b.kind == "def":
                    return self._apply_summary(self.summarize_function(b.node), node)
            return False
        if model.is_project_name(qn):
            arguments = []
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Starred):
                    break
                value = self.taint_of(arg)
                if isinstance(value, Taint):
                    arguments.append((i, value))
            return External(qn, node, tuple(arguments))
        return False

    def _method_summary(self, func: ast.Attribute, node: ast.Call) -> Union[Value, bool]:
        """``self.helper(...)``: the summary of a method of the same class."""
        if not isinstance(func.value, ast.Name):
            return False
        method = self.model.enclosing_function(node, through_lambda=False)
        if method is None or self.model.self_name(method) != func.value.id:
            return False
        cls = self.model.enclosing_class(method)
        for stmt in getattr(cls, "body", ()):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == func.attr:
                summary = self.summarize_function(stmt)
                if isinstance(summary, Params):  # shift past ``self``
                    summary = Params(frozenset(i - 1 for i in summary.indexes if i > 0))
                return self._apply_summary(summary, node)
        return False

    def _apply_summary(self, summary: Value, node: ast.Call) -> Value:
        if isinstance(summary, Taint):
            return Taint(node, summary.what, "helper", summary.framework, origin=summary)
        if isinstance(summary, Params):
            if not summary.indexes:
                return None  # built from ``self``: nothing known
            args = [a for a in node.args if not isinstance(a, ast.Starred)]
            return join(self.taint_of(args[i]) if i < len(args) else None for i in sorted(summary.indexes))
        return summary

    def _mutations_of(self, name: ast.Name) -> List[Tuple[Optional[ast.AST], ast.AST]]:
        """``(key, value)`` stored into the local container ``name`` in its function: item
        assignments ``name[k] = v`` (key ``k``) and ``name.append(v)``/``name.update(...)`` (the call
        itself for ``update``, so that keyword entries keep their keys)."""
        if not any(_is_container(v) for v in self.model.values_of(name)):
            return []
        func = self.model.enclosing_function(name, through_lambda=False)
        if func is None:
            return []
        table = self._mutations.get(id(func))
        if table is None:
            table = self._mutations[id(func)] = _collect_mutations(self, func)
        return table.get(name.id, [])

    def _own_nodes(self, func: ast.AST) -> Iterable[ast.AST]:
        """The nodes of ``func``'s body, not descending into nested functions or classes."""
        stack = list(reversed(getattr(func, "body", [])))
        while stack:
            node = stack.pop()
            yield node
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    stack.append(child)


def _collect_mutations(analysis: TaintAnalysis, func: ast.AST) -> Dict[str, List[Tuple[Optional[ast.AST], ast.AST]]]:
    table: Dict[str, List[Tuple[Optional[ast.AST], ast.AST]]] = {}
    for node in analysis._own_nodes(func):
        if isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    key = target.slice if not isinstance(target.slice, ast.Slice) else None
                    table.setdefault(target.value.id, []).append((key, node.value))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attr = node.func.attr
            owner = node.func.value
            if attr in _MUTATORS and isinstance(owner, ast.Name):
                if attr == "update":
                    table.setdefault(owner.id, []).append((None, node))
                elif attr == "setdefault" and len(node.args) == 2:
                    table.setdefault(owner.id, []).append((node.args[0], node.args[1]))
                else:
                    for arg in node.args[-1:]:
                        table.setdefault(owner.id, []).append((None, arg))
    return table


def _allow_listed(node: ast.IfExp) -> Optional[str]:
    """``x if x in ALLOWED else "other"``: which branch is bounded by the membership test."""
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.In, ast.NotIn))):
        return None
    subject = ast.dump(test.left)
    if isinstance(test.ops[0], ast.In) and ast.dump(node.body) == subject:
        return "body"
    if isinstance(test.ops[0], ast.NotIn) and ast.dump(node.orelse) == subject:
        return "orelse"
    return None


def _default_of(func: ast.AST, arg: ast.arg) -> Optional[ast.AST]:
    args: ast.arguments = getattr(func, "args")
    positional = positional_params(func)
    if arg in positional:
        offset = len(positional) - len(args.defaults)
        index = positional.index(arg) - offset
        return args.defaults[index] if index >= 0 else None
    if arg in args.kwonlyargs:
        return args.kw_defaults[args.kwonlyargs.index(arg)]
    return None


def _unquote(ann: ast.AST) -> ast.AST:
    if isinstance(ann, ast.Subscript) and isinstance(ann.slice, ast.Tuple) and ann.slice.elts:
        return ann.slice.elts[0]  # Annotated[Request, ...]
    return ann


def _is_container(value: ast.AST) -> bool:
    """A mutable container display or copy: what ``append``/``update``/item assignment can grow."""
    if isinstance(value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)):
        return True
    if isinstance(value, ast.Call):
        func = value.func
        if isinstance(func, ast.Name):
            return func.id in ("dict", "list", "set", "defaultdict", "OrderedDict", "deque")
        if isinstance(func, ast.Attribute):
            return func.attr in ("copy", "defaultdict", "OrderedDict", "deque")
    return False


def _key_text(key: ast.AST) -> str:
    if isinstance(key, ast.Constant):
        return str(key.value)
    try:
        return ast.unparse(key)
    except Exception:  # odd shapes: describe rather than fail
        return "?"
