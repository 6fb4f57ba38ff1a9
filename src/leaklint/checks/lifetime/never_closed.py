"""LL401 resource-never-closed, and its fix: wrap the simple cases in ``with``."""

from __future__ import annotations

import ast
import textwrap
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.lifetime.ownership import Fate, statements_between
from leaklint.findings import Fix, Safety
from leaklint.fixes.ops import RemoveStatement, ReplaceStatement

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL401 = Rule(
    code="LL401",
    name="resource-never-closed",
    family="lifetime",
    summary="An object that owns a file, socket, connection pool, process or threads is not released on every path.",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
A call from the `resources` catalogue (`rules/resources.toml`: `open`, `Path.open`, `tempfile`
files, `zipfile`/`tarfile`, sockets, `requests.Session`, `httpx.Client`/`AsyncClient`,
`aiohttp.ClientSession`/`TCPConnector`, `urllib3.PoolManager`, `sqlite3`/`psycopg`/`psycopg2`/
`pymysql` connections, gRPC channels, `subprocess.Popen`, executors and process pools) made inside a
function whose result is not released on every path:

- created and dropped (`subprocess.Popen(cmd)` as a statement: nobody waits, the child becomes a
  zombie), or used once inline (`open(path).read()`, `json.load(open(path))`);
- bound to a local name that is never closed (`close()`, `wait()`/`communicate()` for processes,
  `shutdown()` for executors, `cleanup()` for temporary directories);
- closed only on the success path: the release call is neither in `finally` nor in an `except`
  handler and something that can raise runs before it;
- `with conn:` on a `sqlite3` or `psycopg2` connection, which commits or rolls back the
  transaction and leaves the connection open.

Released counts: `with`/`async with`, a release call in `finally` or `except`, returning or
yielding the object, storing it on `self`, in a container or in module state, passing it to an
owner (`contextlib.closing`, `ExitStack.enter_context`, `atexit.register(x.close)`) or to any call
that may keep it, and using it from a nested function (a callback that closes it). Objects created
at module or class level are singletons that live as long as the process and are not reported.

## Why it hurts in production
The garbage collector closes a leaked file or socket eventually, not promptly: an exception
traceback, a reference cycle or PyPy keeps it open. Until then the descriptor counts against the
process limit (`Too many open files`), a socket sits in CLOSE_WAIT, a connection holds a database
slot, a pool keeps its threads, and a child process stays a zombie in the process table.

## Example
```python
import json
import subprocess

import requests

def load(path):
    return json.load(open(path))

def run(cmd):
    subprocess.Popen(cmd)

def fetch(url):
    session = requests.Session()
    data = session.get(url, timeout=5).json()
    session.close()
    return data
```

## Use instead
```python
import json
import subprocess

import requests

def load(path):
    with open(path) as handle:
        return json.load(handle)

def run(cmd):
    subprocess.run(cmd, check=True, timeout=60)

def fetch(url):
    with requests.Session() as session:
        return session.get(url, timeout=5).json()
```

**Prove it at run time.** `pytest --leaklint` fails a test that leaves a file, socket (with its
addresses and TCP state), pipe or child process open, or whose objects raise `ResourceWarning`, with
one `leaked file descriptor ...` line each. See docs/runtime.md.

## Fix safety
Offered only in the simple case: the resource is bound to a name by a plain assignment and used
only in the statements that follow it in the same block. The fix turns the assignment into
`with <call> as <name>:` (`async with` for async clients inside `async def`) around those
statements and drops a trailing `<name>.close()`; the release now happens when the block ends.

**Safe** when that cannot change behaviour: the catalogue entry says `with-fix-safe` (files,
sockets, `requests`/`httpx`/`urllib3` clients: `with` gives back the object and releasing it only
frees what it holds) and, inside the block, the resource is only the receiver of method calls
(`f.read()`, `session.get(url)`), the iterable of a `for`, or an argument of a call whose result
is not used after the block.

**Unsafe** otherwise: a `csv.reader(f)` used after the block would read a
closed file, a named temporary file is deleted while its name may still be used, `with` waits
for an executor's work and for a `Popen` child, and an `aiohttp` response is read after its
session closed. No fix for `sqlite3`/`psycopg2` connections (their `with` does not close them) or for
blocks holding multi-line strings (re-indenting would change them).

## Options
Extend the catalogue under `[tool.leaklint.resources]`:
`resources."mylib.Client" = { kind = "http-client", release = ["close"] }`,
`owners."mylib.Registry.adopt" = "closes it on shutdown"`,
`borrowers."mylib.parse" = "reads it and leaves it open"`.

Deliberate differences from ruff SIM115 and pylint R1732 (see `docs/parity/LL4.md`): an object
passed to an unknown call is taken as handed over, a `close()` right after creation is accepted,
and module-level objects are not reported.

## Known limitations
A client reached through an attribute set in another module, or returned by a factory
function, is not resolved, so calls on it are not checked.

## Parity
pylint R1732 (consider-using-with) and ruff SIM115 report `open()` and a few stdlib constructors
outside `with`. leaklint also follows the value (returned, stored, handed to an owner) and covers
the clients, pools and connections of the `resources` catalogue; a resource released on every path
without `with` is not reported.

## References
- https://docs.python.org/3/reference/datamodel.html#context-managers
- https://requests.readthedocs.io/en/latest/user/advanced/#session-objects
""",
)

_FIX_UNSAFE_MARKERS = (ast.Global, ast.Nonlocal)
# what each catalogue kind holds, for messages
_HOLDS = {"file": "file descriptor", "archive": "file descriptor", "db": "database connection",
          "http-client": "connection pool", "channel": "channel and its connections",
          "process": "child process", "executor": "worker threads", "pool": "worker processes",
          "directory": "directory"}


def check_never_closed(call: ast.Call, target: str, entry: Dict[str, Any], fate: Fate, ctx: FileContext,
                       func: ast.AST) -> None:
    kinds = fate.kinds
    if kinds & {"with", "release-guarded"} or fate.escapes:
        return
    what = f"`{target.split('.', 1)[1] if target.startswith('builtins.') else target}`"
    kind = _HOLDS.get(entry.get("kind", ""), entry.get("kind") or "resource")
    release = entry.get("release", ["close"])
    verb = f"`{release[0]}()`"
    if "with-open" in kinds:
        ctx.report("LL401", call, f"{what} in `with` commits or rolls back the transaction but never closes "
                                  f"the connection: wrap it in `contextlib.closing(...)` or call {verb} in `finally`")
        return
    if "dropped" in kinds:
        if entry.get("kind") == "process":
            msg = f"{what} is never waited: the child becomes a zombie; use `subprocess.run` or keep the handle and wait"
        else:
            msg = (f"{what} is created and dropped: its {kind} is released only when the garbage collector gets to it; "
                   "use `with`")
        ctx.report("LL401", call, msg)
        return
    if fate.name is None:
        if "release" in kinds:
            return  # ``Popen(...).wait()``: released in the same expression
        ctx.report("LL401", call, f"{what} is used once and never closed: use `with {_short(target)}(...) as ...:`")
        return
    if "release" in kinds and _released_right_away(fate, ctx.model):
        return
    if "release" in kinds:
        msg = (f"`{fate.name}` ({what}) is closed only on the success path: an exception before {verb} "
               f"leaks the {kind}; use `with` or release it in `finally`")
    else:
        msg = f"`{fate.name}` ({what}) is never released with {verb}: use `with` or release it in `finally`"
    ctx.report("LL401", call, msg, wrap_fix(call, entry, fate, ctx, func))


def _short(target: str) -> str:
    return target.rsplit(".", 1)[-1] if target.startswith("builtins.") else target


def _released_right_away(fate: Fate, model) -> bool:
    """A release in the statement right after the creation: nothing runs in between that can raise."""
    if fate.creation is None:
        return False
    for release in fate.releases:
        between = statements_between(fate.creation, release, model)
        if between is not None and not between:
            return True
    return False


def wrap_fix(call: ast.Call, entry: Dict[str, Any], fate: Fate, ctx: FileContext, func: ast.AST) -> Optional[Fix]:
    """``x = make(); use(x); x.close()`` -> ``with make() as x: use(x)``."""
    stmt = fate.creation
    model = ctx.model
    if not isinstance(stmt, ast.Assign) or stmt.value is not call or entry.get("with-closes", True) is False:
        return None
    is_async = bool(entry.get("async"))
    if is_async and not isinstance(func, ast.AsyncFunctionDef):
        return None
    parent = model.parent(stmt)
    block = None
    for name in ("body", "orelse", "finalbody"):
        candidate = getattr(parent, name, None)
        if isinstance(candidate, list) and stmt in candidate:
            block = candidate
            break
    if block is None:
        return None
    following = block[block.index(stmt) + 1:]
    uses = [i for i, s in enumerate(following) if _mentions(s, fate.name)]
    if not uses:
        return None
    if _shares_a_line(block, block.index(stmt), block.index(stmt) + uses[-1] + 1):
        return None  # ``f = open(p); data = f.read()`` cannot become a ``with`` block in place
    wrapped = following[: uses[-1] + 1]
    if any(_mentions(s, fate.name) for s in following[uses[-1] + 1:]):
        return None
    if any(_unsafe_to_reindent(s) for s in wrapped):
        return None
    lines = ctx.source.lines
    if any("\t" in lines[i - 1][: len(lines[i - 1]) - len(lines[i - 1].lstrip())]
           for i in range(stmt.lineno, wrapped[-1].end_lineno + 1)):
        return None
    last = wrapped[-1]
    if _is_release_statement(last, fate.name, entry):
        wrapped = wrapped[:-1]
        if not wrapped:
            return None
    body_text = "".join(lines[i - 1].rstrip("\r\n") + "\n" for i in range(stmt.end_lineno + 1, wrapped[-1].end_lineno + 1))
    body_text = textwrap.indent(textwrap.dedent(body_text), "    ", lambda line: bool(line.strip()))
    header_line = lines[stmt.end_lineno - 1]
    comment = header_line[stmt.end_col_offset:].strip() if stmt.end_col_offset <= len(header_line) else ""
    keyword = "async with" if is_async else "with"
    header = f"{keyword} {ctx.segment(call)} as {fate.name}:"
    if comment.startswith("#"):
        header += "  " + comment
    ops = [ReplaceStatement(ctx.node_range(stmt), header + "\n" + body_text)]
    ops.extend(RemoveStatement(ctx.node_range(s)) for s in following[: uses[-1] + 1])
    safe = bool(entry.get("with-fix-safe")) and _closing_early_is_invisible(
        following[: uses[-1] + 1], fate.name, func, ctx.model)
    return Fix(f"Wrap `{fate.name}` in `{keyword}`", Safety.SAFE if safe else Safety.UNSAFE, tuple(ops))


def _closing_early_is_invisible(wrapped: List[ast.stmt], name: str, func: ast.AST, model) -> bool:
    """Whether nothing can see that the resource is now released when the block ends: inside the
    block it is only the receiver of method calls, the iterable of a ``for`` or an argument of a
    call whose result (which may keep it: ``csv.reader(f)``) is not used after the block. (A use
    in a nested scope, a generator or a comprehension hands it over: no finding, no fix.)"""
    derived = set()
    for stmt in wrapped:
        for node in ast.walk(stmt):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            parent = model.parent(node)
            grandparent = model.parent(parent) if parent is not None else None
            if isinstance(parent, ast.Attribute) and isinstance(grandparent, ast.Call) and grandparent.func is parent:
                continue  # ``f.read()``, ``session.get(url)``: what they return is data
            if isinstance(parent, (ast.For, ast.AsyncFor)) and parent.iter is node:
                continue  # ``for line in f:`` runs inside the block
            if isinstance(parent, ast.Call) and node in parent.args:
                derived.update(_bound_names(stmt))
                continue
            return False
    if not derived:
        return True
    inside = {id(n) for stmt in wrapped for n in ast.walk(stmt)}
    return not any(isinstance(n, ast.Name) and n.id in derived and id(n) not in inside for n in ast.walk(func))


def _bound_names(stmt: ast.stmt) -> set:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target] if isinstance(
        stmt, (ast.AnnAssign, ast.AugAssign)) else []
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _shares_a_line(block: List[ast.stmt], first: int, last: int) -> bool:
    """Whether a statement of ``block[first:last + 1]`` shares a line with a neighbour (``;``)."""
    low, high = max(first - 1, 0), min(last + 1, len(block) - 1)
    return any(block[i].end_lineno == block[i + 1].lineno for i in range(low, high))


def _mentions(stmt: ast.AST, name: Optional[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt))


def _unsafe_to_reindent(stmt: ast.AST) -> bool:
    for node in ast.walk(stmt):
        if isinstance(node, (ast.Constant, ast.JoinedStr)) and getattr(node, "end_lineno", node.lineno) != node.lineno:
            if isinstance(node, ast.JoinedStr) or isinstance(node.value, (str, bytes)):
                return True
        if isinstance(node, _FIX_UNSAFE_MARKERS):
            return True
    return False


def _is_release_statement(stmt: ast.AST, name: Optional[str], entry: Dict[str, Any]) -> bool:
    value = stmt.value if isinstance(stmt, ast.Expr) else None
    if isinstance(value, ast.Await):
        value = value.value
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
            and isinstance(value.func.value, ast.Name) and value.func.value.id == name
            and value.func.attr in entry.get("release", ["close"]) and not value.args and not value.keywords)
