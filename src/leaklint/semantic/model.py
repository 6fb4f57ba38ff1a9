"""The per-file semantic model, built in the single traversal of the ``ast`` tree.

The walk records, for every node, its parent (``Model.parents``, keyed by node id) and indexes nodes by type so
that rules never walk the tree again. Scopes hold bindings (imports, assignments, parameters,
definitions); ``self.x = ...`` in any method is recorded on the class. Rules ask this model what a
name means (``qualname``), what a value was built from (``value_of``/``type_of``) and what a call
targets (``call_target``); they never track imports or assignments themselves.
"""

from __future__ import annotations

import ast
import builtins
from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

BUILTIN_NAMES = frozenset(dir(builtins))
FUNCTION_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


class BindingKind(str, Enum):
    """How a name got its value (a ``str`` enum: ``binding.kind == "param"`` reads naturally)."""

    IMPORT = "import"
    ASSIGN = "assign"
    AUGASSIGN = "augassign"
    WALRUS = "walrus"
    PARAM = "param"
    DEF = "def"
    CLASS = "class"
    WITH = "with"
    FOR = "for"
    EXCEPT = "except"

    def __str__(self) -> str:
        return self.value


@dataclass
class Binding:
    """One place where a name gets a value.

    ``kind`` says how (``BindingKind``). ``value`` is the bound expression where there is one (for ``with`` the
    context expression, for ``import`` nothing: ``target`` holds the imported qualified name).
    """

    name: str
    kind: BindingKind
    node: ast.AST
    value: Optional[ast.AST] = None
    target: Optional[str] = None
    scope: Optional["Scope"] = None

    @property
    def line(self) -> int:
        return getattr(self.node, "lineno", 0)


@dataclass
class Scope:
    kind: str  # module, class, function, lambda, comprehension
    node: ast.AST
    parent: Optional["Scope"]
    name: str = ""
    bindings: Dict[str, List[Binding]] = field(default_factory=lambda: defaultdict(list))
    global_names: Set[str] = field(default_factory=set)
    nonlocal_names: Set[str] = field(default_factory=set)
    # class scopes only: attributes assigned through ``self.<name> = ...`` in any method
    attributes: Dict[str, List[Binding]] = field(default_factory=lambda: defaultdict(list))

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def function(self) -> Optional[ast.AST]:
        return self.node if isinstance(self.node, FUNCTION_NODES) else None


def positional_params(func: ast.AST) -> List[ast.arg]:
    """A function's parameters that a positional argument can fill, in order."""
    args: ast.arguments = getattr(func, "args")
    return list(args.posonlyargs) + list(args.args)


def named_params(func: ast.AST) -> List[ast.arg]:
    """A function's parameters that have a name at the call site (no ``*args``/``**kwargs``)."""
    return positional_params(func) + list(getattr(func, "args").kwonlyargs)


def _params(args: ast.arguments) -> List[ast.arg]:
    out = list(args.posonlyargs) + list(args.args)
    if args.vararg:
        out.append(args.vararg)
    out.extend(args.kwonlyargs)
    if args.kwarg:
        out.append(args.kwarg)
    return out


class Model:
    """Semantic facts about one module."""

    def __init__(self, tree: ast.Module, module: str = "", is_package: bool = False,
                 project_modules: Iterable[str] = (), returns: Optional[Mapping[str, str]] = None):
        self.tree = tree
        self.module = module
        self.is_package = is_package
        self.project_modules = frozenset(project_modules)
        self.returns = returns or {}
        self.nodes: Dict[type, List[ast.AST]] = defaultdict(list)
        self.scopes: Dict[int, Scope] = {}
        # parents by node id: a parent attribute on nodes would make every tree a reference
        # cycle that only the garbage collector can free
        self.parents: Dict[int, Optional[ast.AST]] = {}
        self._qualname_cache: Dict[int, Optional[str]] = {}
        self.module_scope = Scope("module", tree, None, module)
        self._build()

    # ------------------------------------------------------------------ traversal
    def _build(self) -> None:
        # The hot loop of every analysis: parents are recorded when a child is pushed, children
        # are pushed in reverse so they pop in source order, and only the fields that can hold
        # nodes are read (``_child_fields``), which halves the time of ``ast.iter_fields``.
        nodes = self.nodes
        parents = self.parents
        tree = self.tree
        self.scopes[id(tree)] = self.module_scope
        parents[id(tree)] = None
        stack: List[ast.AST] = [tree]
        scope_stack: List[Scope] = [self.module_scope]
        pop = stack.pop
        push = stack.append
        pop_scope = scope_stack.pop
        push_scope = scope_stack.append
        kinds = _NODE_KINDS
        AST = ast.AST
        while stack:
            node = pop()
            scope = pop_scope()
            node_type = node.__class__
            nodes[node_type].append(node)
            kind = kinds.get(node_type)
            if kind is None:
                kind = _node_kind(node_type)
            binder, fields, outer = kind
            inner = scope if binder is None else binder(self, node, scope)
            # ``outer``: decorators, defaults, bases and annotations belong to the enclosing scope
            for name in fields:
                value = getattr(node, name, None)
                child_scope = scope if outer is not None and name in outer else inner
                if value.__class__ is list:
                    for item in reversed(value):
                        if isinstance(item, AST):
                            parents[id(item)] = node
                            push(item)
                            push_scope(child_scope)
                elif isinstance(value, AST):
                    parents[id(value)] = node
                    push(value)
                    push_scope(child_scope)

    def release(self) -> None:
        """Break the scope <-> binding reference cycles once the file is analysed, so the model
        and the tree it pins are freed by reference counting rather than by a collector pass
        over every node."""
        for scope in self.scopes.values():
            for group in (scope.bindings, scope.attributes):
                for bindings in group.values():
                    for binding in bindings:
                        binding.scope = None

    # ------------------------------------------------------------------ structure
    def of_type(self, *types: type) -> List[ast.AST]:
        if len(types) == 1:
            return self.nodes.get(types[0], [])
        out: List[ast.AST] = []
        for t in types:
            out.extend(self.nodes.get(t, []))
        out.sort(key=lambda n: (getattr(n, "lineno", 0), getattr(n, "col_offset", 0)))
        return out

    def parent(self, node: ast.AST) -> Optional[ast.AST]:
        return self.parents.get(id(node))

    def ancestors(self, node: ast.AST) -> Iterator[ast.AST]:
        parents = self.parents
        node = parents.get(id(node))
        while node is not None:
            yield node
            node = parents.get(id(node))

    def statement_of(self, node: ast.AST) -> ast.AST:
        """The statement that holds ``node`` (the node itself when it is a statement)."""
        while node is not None and not isinstance(node, ast.stmt):
            parent = self.parents.get(id(node))
            if parent is None:
                return node
            node = parent
        return node

    def scope_of(self, node: ast.AST) -> Scope:
        """The scope in which ``node`` is evaluated."""
        child = node
        for anc in self.ancestors(node):
            scope = self.scopes.get(id(anc))
            if scope is not None:
                if isinstance(anc, _SPLIT_SCOPE_TYPES) and _in_outer_field(anc, child):
                    continue
                return scope
            child = anc
        return self.module_scope

    def enclosing_function(self, node: ast.AST, through_lambda: bool = True) -> Optional[ast.AST]:
        """The innermost ``def``/``async def`` (or lambda) whose body holds ``node``."""
        child = node
        for anc in self.ancestors(node):
            if isinstance(anc, FUNCTION_NODES) and not _in_outer_field(anc, child):
                if isinstance(anc, ast.Lambda) and through_lambda:
                    return anc
                if not isinstance(anc, ast.Lambda):
                    return anc
            child = anc
        return None

    def in_async_function(self, node: ast.AST) -> bool:
        """True when ``node`` runs directly in the body of an ``async def`` (not a nested sync def/lambda)."""
        return isinstance(self.enclosing_function(node), ast.AsyncFunctionDef)

    def enclosing_class(self, func: ast.AST) -> Optional[ast.ClassDef]:
        parent = self.parents.get(id(func))
        return parent if isinstance(parent, ast.ClassDef) else None

    def call_names(self, last_names: FrozenSet[str]) -> FrozenSet[str]:
        """The names a call to one of these (the last parts of qualified names) may be spelled with
        in this file: ``last_names`` plus the aliases imports bind them to (``from urllib3.util
        import Retry as R``). The cheap filter a rule applies before resolving a call."""
        aliases = {alias.asname for node_type in (ast.Import, ast.ImportFrom) for node in self.nodes.get(node_type, ())
                   for alias in node.names if alias.asname and alias.name.rsplit(".", 1)[-1] in last_names}
        return last_names | frozenset(aliases) if aliases else last_names

    def params(self, func: ast.AST) -> List[ast.arg]:
        return _params(func.args)  # type: ignore[attr-defined]

    def decorator_names(self, func: ast.AST) -> List[str]:
        out = []
        for dec in getattr(func, "decorator_list", []):
            target = dec.func if isinstance(dec, ast.Call) else dec
            out.append(self.qualname(target) or "")
        return out

    def self_name(self, func: ast.AST) -> Optional[str]:
        """The name of the instance parameter when ``func`` is an instance method."""
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        if self.enclosing_class(func) is None:
            return None
        decos = self.decorator_names(func)
        if any(d in ("builtins.staticmethod", "builtins.classmethod") for d in decos):
            return None
        params = _params(func.args)
        return params[0].arg if params else None

    # ------------------------------------------------------------------ names
    def lookup(self, name: str, scope: Scope) -> List[Binding]:
        """Bindings of ``name`` visible from ``scope`` (LEGB; class scopes are skipped when nested)."""
        current: Optional[Scope] = scope
        first = True
        while current is not None:
            if name in current.global_names:
                return self.module_scope.bindings.get(name, [])
            if current.kind != "class" or first:
                found = current.bindings.get(name)
                if found:
                    return found
            first = False
            current = current.parent
        return []

    def bindings_at(self, node: ast.Name) -> List[Binding]:
        """The bindings of a name that can reach ``node``: the last one before it in straight-line
        code of the same scope when there is one, else every binding."""
        scope = self.scope_of(node)
        found = self.lookup(node.id, scope)
        if len(found) <= 1:
            return found
        if found[0].scope is scope:
            line = node.lineno
            before = [b for b in found if b.line and b.line <= line]
            if before:
                last = before[-1]
                # a binding inside a branch or loop does not shadow the earlier ones
                if _same_block(self.parents, last.node, node) or len(before) == 1:
                    return [last]
                return before
        return found

    def qualname(self, expr: ast.AST) -> Optional[str]:
        """The qualified name an expression stands for, through imports and aliases:
        ``from requests import get as fetch; fetch`` -> ``requests.get``. ``None`` for values."""
        key = id(expr)
        if key in self._qualname_cache:
            return self._qualname_cache[key]
        # a cycle of aliases (``dict = dict``, ``a = b; b = a``) resolves to nothing
        self._qualname_cache[key] = None
        result = self._qualname(expr)
        self._qualname_cache[key] = result
        return result

    def _qualname(self, expr: ast.AST) -> Optional[str]:
        if isinstance(expr, ast.Name):
            found = self.bindings_at(expr)
            if not found:
                if expr.id in BUILTIN_NAMES:
                    return "builtins." + expr.id
                return None
            b = found[-1]
            if b.kind == "import":
                return b.target
            if b.kind in ("def", "class") and b.scope is self.module_scope:
                return f"{self.module}.{b.name}" if self.module else b.name
            if b.kind == "assign" and b.scope is self.module_scope and len(found) == 1:
                # module-level constant aliases: ``fetch = requests.get``
                if isinstance(b.value, (ast.Name, ast.Attribute)):
                    return self.qualname(b.value)
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value)
            if base is not None:
                return f"{base}.{expr.attr}"
            return None
        return None

    def is_project_name(self, qualname: Optional[str]) -> bool:
        """Whether ``qualname`` lives in a module of the checked project (so the index knows it)."""
        if not qualname:
            return False
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if ".".join(parts[:i]) in self.project_modules:
                return True
        return False

    # ------------------------------------------------------------------ values
    def value_of(self, expr: ast.AST) -> Optional[ast.AST]:
        """The expression a name or ``self.attr`` was last bound to, when there is exactly one."""
        values = self.values_of(expr)
        return values[0] if len(values) == 1 else None

    def values_of(self, expr: ast.AST) -> List[ast.AST]:
        """Every expression the name or ``self.attr`` may hold at this point."""
        if isinstance(expr, ast.Name):
            return [b.value for b in self.bindings_at(expr) if b.value is not None]
        if isinstance(expr, ast.Attribute):
            bindings = self.attribute_bindings(expr)
            return [b.value for b in bindings if b.value is not None]
        return []

    def attribute_bindings(self, expr: ast.Attribute) -> List[Binding]:
        """Bindings of ``self.x`` (set in any method of the class) or of ``module_global.x``."""
        if isinstance(expr.value, ast.Name):
            func = self.enclosing_function(expr, through_lambda=False)
            while func is not None:
                self_name = self.self_name(func)
                if self_name is not None:
                    if expr.value.id == self_name:
                        cls = self.enclosing_class(func)
                        scope = self.scopes.get(id(cls))
                        if scope is not None:
                            found = scope.attributes.get(expr.attr, [])
                            if found:
                                return found
                            return scope.bindings.get(expr.attr, [])
                    break
                func = self.enclosing_function(func, through_lambda=False)
        return []

    def type_of(self, expr: ast.AST, _depth: int = 0) -> Optional[str]:
        """The qualified class name of the value of ``expr``, when the names decide it."""
        if _depth > 8 or expr is None:
            return None
        if isinstance(expr, ast.Call):
            target = self.call_target(expr, _depth + 1)
            if target is None:
                return None
            if target in self.returns:
                return self.returns[target]
            last = target.rsplit(".", 1)[-1]
            if last[:1].isupper():
                return target
            return None
        if isinstance(expr, (ast.Name, ast.Attribute)):
            values = self.values_of(expr)
            if values:
                types = {self.type_of(v, _depth + 1) for v in values}
                if len(types) == 1:
                    return types.pop()
                return None
            return None
        if isinstance(expr, ast.Await):
            return None
        return None

    def declared_type(self, expr: ast.AST) -> Optional[str]:
        """The qualified class a name is declared with by annotation (a parameter
        ``client: httpx.Client`` or ``client: httpx.Client = ...``), unwrapping ``Optional[X]``
        and ``X | None``. Separate from ``type_of``, which follows values only."""
        if not isinstance(expr, ast.Name):
            return None
        bindings = self.bindings_at(expr)
        if len(bindings) != 1:
            return None
        node = bindings[0].node
        annotation = getattr(node, "annotation", None)
        if annotation is None:
            return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [annotation.left, annotation.right]
            kept = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
            annotation = kept[0] if len(kept) == 1 else None
        elif isinstance(annotation, ast.Subscript) and self.qualname(annotation.value) == "typing.Optional":
            annotation = annotation.slice
        if annotation is None:
            return None
        name = self.qualname(annotation)
        return self.returns.get(name, name) if name else None

    def call_target(self, call: ast.Call, _depth: int = 0) -> Optional[str]:
        """What a call calls: ``requests.get``, ``requests.Session.get`` for a method of a value
        whose type is known, or the qualified name of a project function."""
        func = call.func
        qn = self.qualname(func)
        if qn is not None:
            return qn
        if isinstance(func, ast.Attribute):
            owner = self.type_of(func.value, _depth + 1)
            if owner is not None:
                return f"{owner}.{func.attr}"
        return None


# ---------------------------------------------------------------------- binders
def _new_scope(model: Model, node: ast.AST, scope: Scope, kind: str, name: str = "") -> Scope:
    inner = Scope(kind, node, scope, name)
    model.scopes[id(node)] = inner
    return inner


def _bind(scope: Scope, model: Model, binding: Binding) -> None:
    name = binding.name
    target_scope = scope
    if name in scope.global_names:
        target_scope = model.module_scope
    binding.scope = target_scope
    target_scope.bindings[name].append(binding)


def _bind_function(model: Model, node: ast.AST, scope: Scope) -> Scope:
    _bind(scope, model, Binding(node.name, BindingKind.DEF, node))  # type: ignore[attr-defined]
    inner = _new_scope(model, node, scope, "function", node.name)  # type: ignore[attr-defined]
    for arg in _params(node.args):  # type: ignore[attr-defined]
        _bind(inner, model, Binding(arg.arg, BindingKind.PARAM, arg))
    return inner


def _bind_lambda(model: Model, node: ast.Lambda, scope: Scope) -> Scope:
    inner = _new_scope(model, node, scope, "lambda")
    for arg in _params(node.args):
        _bind(inner, model, Binding(arg.arg, BindingKind.PARAM, arg))
    return inner


def _bind_class(model: Model, node: ast.ClassDef, scope: Scope) -> Scope:
    _bind(scope, model, Binding(node.name, BindingKind.CLASS, node))
    return _new_scope(model, node, scope, "class", node.name)


def _bind_comprehension(model: Model, node: ast.AST, scope: Scope) -> Scope:
    inner = _new_scope(model, node, scope, "comprehension")
    for gen in node.generators:  # type: ignore[attr-defined]
        for name in _target_names(gen.target):
            _bind(inner, model, Binding(name.id, BindingKind.FOR, gen, gen.iter))
    return inner


def _bind_targets(model: Model, scope: Scope, target: ast.AST, value: Optional[ast.AST],
                  stmt: ast.AST, kind: BindingKind) -> None:
    if isinstance(target, ast.Name):
        _bind(scope, model, Binding(target.id, kind, stmt, value))
    elif isinstance(target, (ast.Tuple, ast.List)):
        values: Sequence[Optional[ast.AST]]
        if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts):
            values = value.elts
        else:
            values = [None] * len(target.elts)
        for elt, val in zip(target.elts, values):
            if isinstance(elt, ast.Starred):
                elt, val = elt.value, None
            _bind_targets(model, scope, elt, val, stmt, kind)
    elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
        _bind_attribute(model, scope, target, value, stmt, kind)
    elif isinstance(target, ast.Starred):
        _bind_targets(model, scope, target.value, None, stmt, kind)


def _bind_attribute(model: Model, scope: Scope, target: ast.Attribute, value: Optional[ast.AST],
                    stmt: ast.AST, kind: BindingKind) -> None:
    """``self.x = value`` inside a method: an attribute binding on the class."""
    if scope.kind != "function":
        return
    func = scope.node
    cls_scope = scope.parent
    if cls_scope is None or cls_scope.kind != "class":
        return
    params = _params(func.args)  # type: ignore[attr-defined]
    if not params or params[0].arg != target.value.id:  # type: ignore[attr-defined]
        return
    for dec in getattr(func, "decorator_list", []):
        if isinstance(dec, ast.Name) and dec.id in ("staticmethod", "classmethod"):
            return
    binding = Binding(target.attr, kind, stmt, value)
    binding.scope = cls_scope
    cls_scope.attributes[target.attr].append(binding)


def _target_names(target: ast.AST) -> List[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        out: List[ast.Name] = []
        for elt in target.elts:
            out.extend(_target_names(elt))
        return out
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _bind_assign(model: Model, node: ast.Assign, scope: Scope) -> Scope:
    for target in node.targets:
        _bind_targets(model, scope, target, node.value, node, BindingKind.ASSIGN)
    return scope


def _bind_annassign(model: Model, node: ast.AnnAssign, scope: Scope) -> Scope:
    if node.value is not None or isinstance(node.target, ast.Attribute):
        _bind_targets(model, scope, node.target, node.value, node, BindingKind.ASSIGN)
    return scope


def _bind_augassign(model: Model, node: ast.AugAssign, scope: Scope) -> Scope:
    _bind_targets(model, scope, node.target, node, node, BindingKind.AUGASSIGN)
    return scope


def _bind_namedexpr(model: Model, node: ast.NamedExpr, scope: Scope) -> Scope:
    # the walrus binds in the nearest enclosing non-comprehension scope
    target_scope = scope
    while target_scope.kind == "comprehension" and target_scope.parent is not None:
        target_scope = target_scope.parent
    _bind(target_scope, model, Binding(node.target.id, BindingKind.WALRUS, node, node.value))
    return scope


def _bind_for(model: Model, node: ast.AST, scope: Scope) -> Scope:
    for name in _target_names(node.target):  # type: ignore[attr-defined]
        _bind(scope, model, Binding(name.id, BindingKind.FOR, node, None))
    return scope


def _bind_with(model: Model, node: ast.AST, scope: Scope) -> Scope:
    for item in node.items:  # type: ignore[attr-defined]
        if item.optional_vars is not None:
            _bind_targets(model, scope, item.optional_vars, item.context_expr, node, BindingKind.WITH)
    return scope


def _bind_except(model: Model, node: ast.ExceptHandler, scope: Scope) -> Scope:
    if node.name:
        _bind(scope, model, Binding(node.name, BindingKind.EXCEPT, node, None))
    return scope


def _resolve_relative(model: Model, module: Optional[str], level: int) -> str:
    if not level:
        return module or ""
    base = model.module.split(".") if model.module else []
    if not model.is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)] if level - 1 <= len(base) else []
    if module:
        base = base + [module]
    return ".".join(base)


def _bind_import(model: Model, node: ast.Import, scope: Scope) -> Scope:
    for alias in node.names:
        if alias.asname:
            _bind(scope, model, Binding(alias.asname, BindingKind.IMPORT, node, target=alias.name))
        else:
            top = alias.name.split(".", 1)[0]
            _bind(scope, model, Binding(top, BindingKind.IMPORT, node, target=top))
    return scope


def _bind_importfrom(model: Model, node: ast.ImportFrom, scope: Scope) -> Scope:
    module = _resolve_relative(model, node.module, node.level or 0)
    for alias in node.names:
        if alias.name == "*":
            continue
        name = alias.asname or alias.name
        target = f"{module}.{alias.name}" if module else alias.name
        _bind(scope, model, Binding(name, BindingKind.IMPORT, node, target=target))
    return scope


def _bind_global(model: Model, node: ast.Global, scope: Scope) -> Scope:
    scope.global_names.update(node.names)
    return scope


def _bind_nonlocal(model: Model, node: ast.Nonlocal, scope: Scope) -> Scope:
    scope.nonlocal_names.update(node.names)
    return scope


_BINDERS = {
    ast.FunctionDef: _bind_function,
    ast.AsyncFunctionDef: _bind_function,
    ast.Lambda: _bind_lambda,
    ast.ClassDef: _bind_class,
    ast.ListComp: _bind_comprehension,
    ast.SetComp: _bind_comprehension,
    ast.DictComp: _bind_comprehension,
    ast.GeneratorExp: _bind_comprehension,
    ast.Assign: _bind_assign,
    ast.AnnAssign: _bind_annassign,
    ast.AugAssign: _bind_augassign,
    ast.NamedExpr: _bind_namedexpr,
    ast.For: _bind_for,
    ast.AsyncFor: _bind_for,
    ast.With: _bind_with,
    ast.AsyncWith: _bind_with,
    ast.ExceptHandler: _bind_except,
    ast.Import: _bind_import,
    ast.ImportFrom: _bind_importfrom,
    ast.Global: _bind_global,
    ast.Nonlocal: _bind_nonlocal,
}

# Fields that never hold a node, by name (identifiers, flags, constants), and the expression
# context: ``Load``/``Store``/``Del`` are shared singletons, so indexing them or recording their
# parent would say nothing and cost a sixth of the traversal. Read ``node.ctx`` directly.
_NO_CHILDREN = frozenset({"ctx", "id", "attr", "arg", "name", "asname", "module", "level", "kind",
                          "conversion", "is_async", "simple", "type_comment", "tag"})
_NODE_KINDS: Dict[type, Tuple[Any, Tuple[str, ...], Optional[Set[str]]]] = {}


def _node_kind(node_type: type) -> Tuple[Any, Tuple[str, ...], Optional[Set[str]]]:
    """What the traversal needs to know of a node type, in one lookup: its binder, the fields that
    may hold nodes (last first: children are pushed reversed) and its enclosing-scope fields."""
    fields = [f for f in getattr(node_type, "_fields", ()) if f not in _NO_CHILDREN]
    if node_type in (ast.Constant, getattr(ast, "MatchSingleton", None)):
        fields = [f for f in fields if f != "value"]
    kind = _NODE_KINDS[node_type] = (_BINDERS.get(node_type), tuple(reversed(fields)), _SPLIT_SCOPE.get(node_type))
    return kind


# fields of scope-creating nodes that are evaluated in the enclosing scope
_SPLIT_SCOPE = {
    ast.FunctionDef: {"decorator_list", "returns", "type_comment"},
    ast.AsyncFunctionDef: {"decorator_list", "returns", "type_comment"},
    ast.ClassDef: {"decorator_list", "bases", "keywords"},
}
_SPLIT_SCOPE_TYPES = tuple(_SPLIT_SCOPE)


def _in_outer_field(scope_node: ast.AST, child: ast.AST) -> bool:
    """Whether ``child`` (a direct child of ``scope_node``) is evaluated outside its scope."""
    if isinstance(scope_node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        if child in scope_node.decorator_list or child is scope_node.returns:
            return True
        if child is scope_node.args:
            return False  # defaults are outer but rarely matter; parameters are inner
        return False
    if isinstance(scope_node, ast.ClassDef):
        return child in scope_node.decorator_list or child in scope_node.bases or child in scope_node.keywords
    if isinstance(scope_node, ast.Lambda):
        return False
    return False


def _same_block(parents: Dict[int, Optional[ast.AST]], binding_node: ast.AST, use: ast.AST) -> bool:
    """Whether the binding statement sits in the same statement list as an ancestor of ``use``."""
    parent = parents.get(id(binding_node))
    if parent is None:
        return True
    node: Optional[ast.AST] = use
    while node is not None:
        up = parents.get(id(node))
        if up is parent:
            return True
        node = up
    return False


def last_name(expr: ast.AST) -> str:
    """The name an expression ends in, as written: ``functools.lru_cache`` -> ``lru_cache``;
    for a call, its callee's (``time.sleep(1)`` -> ``sleep``). Empty for anything else."""
    if isinstance(expr, ast.Call):
        expr = expr.func
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Name):
        return expr.id
    return ""


def module_summary(model: Model) -> Dict[str, Dict[str, object]]:
    """Core facts for the project index: re-exports, functions with their parameters, classes
    with their bases and methods. Families add their own facts on top."""
    out: Dict[str, Dict[str, object]] = {}
    for name, bindings in model.module_scope.bindings.items():
        b = bindings[-1]
        if b.kind == "import" and b.target:
            out[name] = {"alias": b.target}
        elif b.kind == "def":
            out[name] = _function_facts(b.node)
        elif b.kind == "class":
            node = b.node
            members = {}
            for stmt in node.body:  # type: ignore[attr-defined]
                if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members[stmt.name] = _function_facts(stmt)
            out[name] = {
                "kind": "class",
                "bases": [model.qualname(base) or "" for base in node.bases],  # type: ignore[attr-defined]
                "members": members,
            }
    return out


def _function_facts(node: ast.AST) -> Dict[str, object]:
    args = node.args  # type: ignore[attr-defined]
    positional = [a.arg for a in list(getattr(args, "posonlyargs", [])) + list(args.args)]
    return {
        "kind": "function",
        "async": isinstance(node, ast.AsyncFunctionDef),
        "params": positional,
        "kwonly": [a.arg for a in args.kwonlyargs],
        "varargs": args.vararg is not None,
        "varkw": args.kwarg is not None,
    }
