"""LL302 for hand-made caches: a module-level or class-level dict filled on a miss, keyed by a
caller's argument, from which nothing is ever removed. The rule's documentation is in
``unbounded``."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from leaklint.checks.caches.knowledge import DICT_FACTORIES, Knowledge, is_dict_creation, last_name, matches, same
from leaklint.checks.caches.unbounded import bounded_annotation, is_static

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

DICT_FACTORY_NAMES = frozenset(q.rsplit(".", 1)[-1] for q in DICT_FACTORIES)

# parameters that hold a class: a cache keyed by classes is bounded by the code
CLASS_PARAMETERS = frozenset({"cls", "klass", "mcs", "metacls"})

# method calls on a dict, by what they do to its size
GROWS = frozenset({"setdefault", "update", "__setitem__"})
SHRINKS = frozenset({"pop", "popitem", "clear", "__delitem__"})
READS = frozenset({"get", "keys", "values", "items", "copy", "__contains__", "__getitem__", "setdefault"})


class GrowingDicts:
    """LL302 for hand-made dict caches, in one file."""

    def __init__(self, ctx: FileContext, known: Knowledge) -> None:
        self.ctx = ctx
        self.model = ctx.model
        self.known = known
        # module-level dict names, and class-level ones by class node id
        self.module_dicts: Dict[str, ast.AST] = {}
        self.class_dicts: Dict[Tuple[int, str], Tuple[ast.ClassDef, ast.AST]] = {}

    def note_assign(self, node: ast.AST, target: ast.AST, value: Optional[ast.AST]) -> None:
        """Remember ``name = {}`` (or ``name: dict = {}``) at module or class level."""
        if not isinstance(target, ast.Name):
            return
        parent = self.model.parent(node)
        if not isinstance(parent, (ast.Module, ast.ClassDef)):
            return
        if isinstance(value, ast.Call) and last_name(value.func) not in DICT_FACTORY_NAMES:
            return
        if not is_dict_creation(value, self.model):
            return
        name = target.id
        if isinstance(parent, ast.Module):
            if len(self.model.module_scope.bindings.get(name, ())) == 1:
                self.module_dicts[name] = value
        elif isinstance(parent, ast.ClassDef):
            scope = self.model.scopes.get(id(parent))
            if scope is not None and len(scope.bindings.get(name, ())) == 1 and not scope.attributes.get(name):
                self.class_dicts[(id(parent), name)] = (parent, value)

    def end(self) -> None:
        if self.module_dicts:
            self._check_module_dicts()
        if self.class_dicts:
            self._check_class_dicts()

    def _check_module_dicts(self) -> None:
        model = self.model
        uses: Dict[str, List[ast.AST]] = {}
        for node in model.nodes.get(ast.Name, ()):
            if node.id in self.module_dicts:
                uses.setdefault(node.id, []).append(node)
        for name, created in self.module_dicts.items():
            found = []
            for use in uses.get(name, ()):
                scope = model.scope_of(use)
                if scope.kind != "module" and not any(b.scope is model.module_scope
                                                      for b in model.lookup(name, scope)):
                    continue  # a local of the same name
                if model.parent(use) is model.parent(created) and isinstance(use.ctx, ast.Store):
                    continue  # the definition
                found.append(use)
            self._judge(name, created, found)

    def _check_class_dicts(self) -> None:
        model = self.model
        by_name: Dict[str, List[ast.Attribute]] = {}
        names = {name for (_, name) in self.class_dicts}
        for node in model.nodes.get(ast.Attribute, ()):
            if node.attr in names:
                by_name.setdefault(node.attr, []).append(node)
        for (_, name), (cls, created) in self.class_dicts.items():
            found: List[ast.AST] = []
            for use in by_name.get(name, ()):
                if self._refers_to_class(use, cls):
                    found.append(use)
            self._judge(name, created, found)

    def _refers_to_class(self, use: ast.Attribute, cls: ast.ClassDef) -> bool:
        if not isinstance(use.value, ast.Name):
            return False
        if use.value.id == cls.name:
            return True
        function = self.model.enclosing_function(use, through_lambda=False)
        while function is not None:
            if self.model.enclosing_class(function) is cls:
                params = self.model.params(function)
                return bool(params) and params[0].arg == use.value.id and not is_static(function, self.model)
            function = self.model.enclosing_function(function, through_lambda=False)
        return False

    def _judge(self, name: str, created: ast.AST, uses: List[ast.AST]) -> None:
        """Report when the dict is filled on a miss in some function and never shrinks or escapes."""
        model = self.model
        registries = self.ctx.option("caches", "registry-names")
        if matches(name, registries):
            return
        fills: List[Tuple[ast.AST, ast.AST]] = []  # (function, key)
        reads: List[Tuple[ast.AST, ast.AST]] = []
        for use in uses:
            kind, key = self._use_kind(use)
            if kind in ("shrinks", "escapes"):
                return
            function = model.enclosing_function(use, through_lambda=False)
            if function is None or key is None:
                continue
            if kind in ("grows", "fills"):
                fills.append((function, key))
            if kind in ("reads", "fills"):
                reads.append((function, key))
        for function, key in fills:
            if not any(f is function and same(k, key) for f, k in reads):
                continue
            if self._bounded_key(key) or matches(getattr(function, "name", ""), registries):
                continue
            self.ctx.report("LL302", created,
                            f"`{name}` is a cache filled by `{getattr(function, 'name', 'function')}` and nothing "
                            "ever removes an entry: it keeps every distinct key for the life of the process; bound it (an LRU) or evict entries")
            return

    def _bounded_key(self, key: ast.AST, depth: int = 0) -> bool:
        """Whether the key has few possible values. Unbounded keys come from callers: a key is
        bounded unless it is built (directly or through local assignments) from a parameter
        that is not ``self``/``cls`` and not annotated ``bool``/``Literal``/an ``Enum``/a class.
        Keys drawn from ``self``, globals or a ``for`` loop over a collection in memory (one entry
        per item at most) are bounded by the program, not by traffic."""
        if depth > 3:
            return True
        for node in ast.walk(key):
            if not isinstance(node, ast.Name):
                continue
            parent = self.model.parent(node)
            if isinstance(parent, ast.Call) and parent.func is node:
                continue  # ``str(x)``: the function, not the data
            for binding in self.model.bindings_at(node):
                if binding.kind == "param" and not self._bounded_parameter(binding):
                    return False
                if binding.kind in ("assign", "walrus") and binding.value is not None \
                        and not self._bounded_key(binding.value, depth + 1):
                    return False
        return True

    def _bounded_parameter(self, binding: Any) -> bool:
        arg = binding.node
        function = binding.scope.node if binding.scope is not None else None
        if function is not None and self.model.enclosing_class(function) is not None \
                and not is_static(function, self.model):
            params = self.model.params(function)
            if params and params[0] is arg:
                return True  # ``self``/``cls``: the program's own objects
        return arg.arg in CLASS_PARAMETERS or bounded_annotation(arg.annotation, self.model, self.known)

    def _reads_itself(self, value: ast.AST, use: ast.AST) -> bool:
        """Whether a stored value is computed from the dict itself, directly or through a local
        (``count = d.get(k, 0); d[k] = count + 1``)."""
        for node in ast.walk(value):
            if same(node, use):
                return True
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                for bound in self.model.values_of(node):
                    if any(same(inner, use) for inner in ast.walk(bound)):
                        return True
        return False

    def _use_kind(self, use: ast.AST) -> Tuple[str, Optional[ast.AST]]:
        """What one reference does to the dict: grows, shrinks, reads, escapes or other."""
        model = self.model
        ctx = getattr(use, "ctx", None)
        if isinstance(ctx, (ast.Store, ast.Del)):
            return "shrinks", None  # rebound or deleted: a reset
        parent = model.parent(use)
        if isinstance(parent, ast.Subscript) and parent.value is use:
            if isinstance(parent.ctx, ast.Store):
                statement = model.parent(parent)
                if isinstance(statement, ast.AugAssign) or (
                        isinstance(statement, ast.Assign) and self._reads_itself(statement.value, use)):
                    return "other", None  # an accumulator (``d[k] = d.get(k, 0) + 1``), not a cache
                return "grows", parent.slice
            if isinstance(parent.ctx, ast.Del):
                return "shrinks", None
            return "reads", parent.slice
        if isinstance(parent, ast.Attribute) and parent.value is use:
            call = model.parent(parent)
            key = call.args[0] if isinstance(call, ast.Call) and call.func is parent and call.args else None
            if parent.attr in SHRINKS:
                return "shrinks", None
            if parent.attr == "setdefault":
                return "fills", key  # looks the key up and stores it on a miss
            if parent.attr in GROWS:
                return "grows", None
            if parent.attr in READS:
                return "reads", key
            return "other", None
        if isinstance(parent, ast.Compare) and use in parent.comparators:
            return "reads", parent.left
        if isinstance(parent, ast.Call) and use is not parent.func:
            callee = model.qualname(parent.func) or ""
            return ("other", None) if callee.startswith("builtins.") else ("escapes", None)
        if isinstance(parent, (ast.keyword, ast.Return, ast.Assign, ast.AnnAssign, ast.Starred, ast.Dict,
                               ast.Tuple, ast.List, ast.Yield, ast.NamedExpr, ast.Lambda)):
            return "escapes", None
        return "other", None
