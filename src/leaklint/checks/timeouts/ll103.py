"""LL103 timeout-not-forwarded.

Within a function that receives a timeout-like parameter, each call that could take the budget:
a catalogue call given a constant instead of it, or a project function (any module) whose
signature accepts a timeout-like parameter the call leaves out. The second case is deferred to
the project index, so callees in other modules are seen with their real signatures.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.timeouts.common import argument, is_timeout_name
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import AddKeyword, Replace
from leaklint.semantic.model import Model, named_params, positional_params

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext
    from leaklint.checks.timeouts import TimeoutChecker

_NESTED_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)

RULE = Rule(
    code="LL103",
    name="timeout-not-forwarded",
    family="timeouts",
    summary="A function receives a timeout or deadline but a blocking call inside it does not pass it on.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
A function with a timeout-like parameter (`timeout-parameters`: `timeout`, `deadline`,
`*_timeout`, `timeout_*`) that makes a blocking call without passing the budget on:
- a call from the `blocking-calls` catalogue given a constant (`timeout=30`) that ignores the
  caller's budget (with no timeout at all it is LL101, whose fix forwards the parameter);
- a call to a function, method (`self.fetch(...)`) or class of the checked project, in any
  module, whose signature accepts a timeout-like parameter that the call leaves out or fills with
  a constant.

Not findings: a budget passed on under any name or expression that uses it
(`timeout=min(timeout, 5)`, `timeout=self.timeout`), `*args`/`**kwargs` forwarding, callees
outside the project or whose signature has no timeout-like parameter.

## Why it hurts in production
The caller set a deadline because its own caller will give up at that time. A callee that waits
longer (or forever) keeps working for a result nobody will read: the connection slot, the worker
and the downstream query stay busy after the 504, and the retry adds another copy of the work.

## Example
```python
import requests

def load_user(user_id, timeout):
    return requests.get(f"https://users/{user_id}", timeout=30)

def fetch_profile(user_id, timeout=10):
    return requests.get(f"https://profiles/{user_id}", timeout=timeout)

def handler(request, timeout):
    return fetch_profile(request.user_id)
```

## Use instead
```python
import requests

def load_user(user_id, timeout):
    return requests.get(f"https://users/{user_id}", timeout=timeout)

def fetch_profile(user_id, timeout=10):
    return requests.get(f"https://profiles/{user_id}", timeout=timeout)

def handler(request, timeout):
    return fetch_profile(request.user_id, timeout=timeout)
```

## Fix safety
Unsafe: the callee now gives up earlier (at the caller's deadline). The fix replaces the
constant with the parameter, or passes it at the callee's keyword (`deadline=timeout`). For a
callee in another module the fix is offered when the names agree (`timeout=timeout`): the
keyword of a callee elsewhere is known only once the whole project is indexed.

## Options
- `[tool.leaklint.timeouts] timeout-parameters`: the parameter names (globs) that carry a budget.

## Parity
No peer checks this.

## References
- https://grpc.io/docs/guides/deadlines/
""",
)


def _is_constant_number(node: Optional[ast.AST]) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool)


def check_catalogue_call(call: ast.Call, target: str, entry, param: str, ctx: FileContext) -> None:
    keyword = entry.get("timeout-keyword", "timeout")
    value = argument(call, keyword, entry.get("timeout-position"))
    if not _is_constant_number(value):
        return
    fix = Fix(f"Pass `{param}` instead of `{ctx.segment(value)}`", Safety.UNSAFE,
              (Replace(ctx.node_range(value), param),))
    ctx.report("LL103", call, f"`{target}` waits `{ctx.segment(value)}` s, ignoring this function's `{param}`; "
               f"pass `{param}` instead", fix)


def signature(func: ast.AST) -> Dict[str, Any]:
    """The facts of a local function, in the shape of the project index's."""
    positional = positional_params(func)
    return {"kind": "function", "params": [a.arg for a in positional],
            "kwonly": [a.arg for a in named_params(func)[len(positional):]]}


def check_project_call(call: ast.Call, callee: str, skip_self: bool, param: str, patterns: Sequence[str],
                       ctx: FileContext, local_facts: Optional[Dict[str, Any]]) -> None:
    """``local_facts``: the callee's signature when it is defined in this module (decided now);
    otherwise the finding is deferred to the project index."""
    if any(isinstance(a, ast.Starred) for a in call.args) or any(kw.arg is None for kw in call.keywords):
        return
    for kw in call.keywords:
        if is_timeout_name(kw.arg, patterns):
            if _is_constant_number(kw.value):
                fix = Fix(f"Pass `{param}`", Safety.UNSAFE, (Replace(ctx.node_range(kw.value), param),))
                ctx.report("LL103", call, f"`{callee}` gets a constant `{kw.arg}`, ignoring this function's `{param}`; "
                           f"pass `{param}` instead", fix)
            return
    keywords = [kw.arg for kw in call.keywords]
    message = "`{callee}` accepts `{param}` but this call drops this function's `%s`; forward it" % param
    if local_facts is not None:
        if local_facts.get("skip_self"):
            skip_self = True
        dropped = left_out(local_facts, skip_self, len(call.args), keywords, patterns)
        if dropped is not None:
            fix = Fix(f"Pass `{dropped}={param}`", Safety.UNSAFE, (AddKeyword(ctx.node_range(call), dropped, param),))
            ctx.report("LL103", call, message.format(callee=callee, param=dropped), fix)
        return
    args = (callee, skip_self, len(call.args), keywords, list(patterns))
    fix = Fix(f"Pass `{param}={param}`", Safety.UNSAFE, (AddKeyword(ctx.node_range(call), param, param),))
    ctx.defer("LL103", call, message, ("timeout-dropped", *args, param, True), fix)
    ctx.defer("LL103", call, message, ("timeout-dropped", *args, param, False))


def left_out(facts: Dict[str, Any], skip_self: bool, positional: int, keywords: List[str],
             patterns: Sequence[str]) -> Optional[str]:
    """The callee's first timeout-like parameter that the call does not fill."""
    params = list(facts.get("params", []))[1 if skip_self else 0:]
    for i, name in enumerate(params + list(facts.get("kwonly", []))):
        if is_timeout_name(name, patterns):
            if name in keywords or (i < len(params) and i < positional):
                return None
            return name
    return None


def dropped_timeout(index, callee: str, skip_self: bool, positional: int, keywords: List[str],
                    patterns: List[str], caller_param: str, with_fix: bool) -> Optional[Dict[str, Any]]:
    """Resolver: the callee's timeout-like parameter that the call leaves out. The finding is
    deferred twice, with a fix (``caller_param=caller_param``) that holds when the callee's
    parameter has the caller's name and without one otherwise: exactly one of the pair holds."""
    facts = index.lookup(callee)
    if not facts:
        return None
    if facts.get("kind") == "class":
        facts = (facts.get("members") or {}).get("__init__")
        skip_self = True
        if not facts:
            return None
    if facts.get("kind") != "function":
        return None
    name = left_out(facts, skip_self, positional, keywords, patterns)
    if name is None or (name == caller_param) != with_fix:
        return None
    return {"callee": callee, "param": name}


def check_forwarding(func: ast.AST, param: str, ctx: FileContext, state: TimeoutChecker) -> None:
    """Each call in ``func`` that waits without the caller's ``param``."""
    stack: List[ast.AST] = list(getattr(func, "body"))
    while stack:
        node = stack.pop()
        if isinstance(node, _NESTED_SCOPES):
            continue
        stack.extend(ast.iter_child_nodes(node))
        if not isinstance(node, ast.Call):
            continue
        resolved = state.blocking.resolve(node)
        if resolved is not None:
            check_catalogue_call(node, resolved[0], resolved[1], param, ctx)
            continue
        callee, skip_self = _project_callee(node, func, ctx.model)
        if callee is not None:
            check_project_call(node, callee, skip_self, param, state.patterns, ctx, _local_facts(callee, ctx.model))


def _project_callee(call: ast.Call, func: ast.AST, model: Model) -> Tuple[Optional[str], bool]:
    target = model.call_target(call)
    if target is not None:
        if model.is_project_name(target) or target.rpartition(".")[0] == model.module:
            # a method reached through the receiver's type is called bound: skip ``self``
            return target, model.qualname(call.func) is None
        return None, False
    method = call.func
    if isinstance(method, ast.Attribute) and isinstance(method.value, ast.Name):
        if method.value.id == model.self_name(func):
            cls = model.enclosing_class(func)
            if cls is not None:
                prefix = f"{model.module}." if model.module else ""
                return f"{prefix}{cls.name}.{method.attr}", True
    return None, False


def _local_facts(callee: str, model: Model) -> Optional[Dict[str, Any]]:
    """The signature of a function, class or method defined in this module; ``None`` when
    it lives elsewhere (or is inherited), so the project index must decide."""
    module = model.module
    prefix = f"{module}." if module else ""
    if not callee.startswith(prefix):
        return None
    parts = callee[len(prefix):].split(".")
    bindings = model.module_scope.bindings.get(parts[0])
    if not bindings or len(parts) > 2:
        return None
    node = bindings[-1].node
    if bindings[-1].kind == "def" and len(parts) == 1:
        return signature(node)
    if bindings[-1].kind != "class":
        return None
    wanted = parts[1] if len(parts) == 2 else "__init__"
    for stmt in node.body:  # type: ignore[attr-defined]
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == wanted:
            facts = signature(stmt)
            facts["skip_self"] = len(parts) == 1
            return facts
    return None
