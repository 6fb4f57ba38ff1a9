"""LL101 blocking-call-without-timeout."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Mapping

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.timeouts.common import add_timeout_fix, opaque_dsn, passes_timeout

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

RULE = Rule(
    code="LL101",
    name="blocking-call-without-timeout",
    family="timeouts",
    summary="A call that waits on a peer (HTTP, socket, database, subprocess, lock or future) has no timeout.",
    fix=RuleFix.UNSAFE,
    doc="""
## What it finds
Calls listed in the `blocking-calls` catalogue (`rules/blocking-calls.toml`) made without a
timeout, resolved through imports and aliases:
- `requests` functions and `Session` methods, for sessions held in locals, in `self.x` (set in
  any method), in module globals or bound by `with requests.Session() as s`;
- `urllib.request.urlopen` (timeout at position 2), `urllib3.request` and the `request`/`urlopen`
  methods of `PoolManager`/`HTTPConnectionPool` built without `timeout=`;
- `http.client.HTTPConnection`/`HTTPSConnection`, `socket.create_connection`, `smtplib.SMTP`/
  `SMTP_SSL`/`LMTP`, `ftplib.FTP`/`FTP_TLS`, `imaplib.IMAP4`/`IMAP4_SSL`, `poplib.POP3`/`POP3_SSL`;
- `redis.Redis`/`StrictRedis`/`from_url` without `socket_timeout` (or a `connection_pool`),
  `psycopg2.connect`/`psycopg.connect` without `connect_timeout` (as a keyword or inside the DSN
  string), `pymysql.connect` without `read_timeout`, `paramiko.SSHClient.connect`;
- gRPC stub methods (`stub.GetUser(req)`, `.future`, `.with_call`) on objects built as `FooStub(channel)`;
- `subprocess.run`/`call`/`check_call`/`check_output`, `Popen.communicate`/`wait`;
- `queue.Queue.get`/`put` (and the other queue classes) that block, `threading.Event.wait`,
  `Condition.wait`, `Thread.join`, `Semaphore.acquire`, `Barrier.wait`, `concurrent.futures`
  `Future.result`/`exception`, `wait`, `as_completed`, `multiprocessing` `AsyncResult.get`.

Not findings: a timeout passed by keyword or at its position; `**kwargs` (the caller's own, or a
dict that holds the timeout); `*args`; `block=False`/`blocking=False`; a `Session` subclass or a
session with a custom adapter mounted or its `request` replaced (they inject a default); a call
through `functools.partial(..., timeout=...)`; `communicate()`/`wait()` after `kill()`/
`terminate()` of the same process; a wait in the `if timeout is None:` branch of a function
whose own `timeout` parameter asked for no limit; `put` on a queue built without `maxsize` (it
never waits); `.result()` on a future whose work already carries a deadline
(`run_coroutine_threadsafe(asyncio.wait_for(...), loop)`, or a future passed to
`wait(..., timeout=...)`); a DSN or URL that leaklint cannot read (a variable from configuration
may hold `connect_timeout`); httpx calls (they have a 5 s default; `timeout=None` is LL102).

A receiver whose value comes from a local function (`session = make_session()`) is typed with
astroid, lazily, for that call site only.

## Why it hurts in production
Without a timeout the call waits as long as the peer keeps the connection open: forever, when a
load balancer drops the response or the peer hangs. The worker thread, its connection slot and
everything it holds stay pinned. The client already gave up (504) and retries, so every ghost
request adds load while the pool slowly starves. Locks, queues and futures without a timeout turn
one stuck worker into a stuck service.

## Example
```python
import requests

def fetch_profile(user_id):
    return requests.get(f"https://profiles/{user_id}").json()
```

## Use instead
```python
def fetch_profile(user_id):
    return requests.get(f"https://profiles/{user_id}", timeout=10).json()
```

## Fix safety
Unsafe: a request that used to wait now raises `Timeout` after the configured time. The fix
inserts `<timeout-keyword>=<fix-timeout>` (with `fix-timeout-import` added when set); inside a
function that receives a timeout-like parameter it forwards that parameter instead.

## Options
- `[tool.leaklint.timeouts] fix-timeout` (default `"10"`): the expression the fix inserts,
  e.g. `"settings.HTTP_TIMEOUT"`.
- `fix-timeout-import` (default `""`): the import that expression needs,
  e.g. `"from myapp import settings"`.
- `timeout-parameters` (default `["timeout", "deadline", "*_timeout", "timeout_*"]`): the
  parameter names that carry a caller's budget.
- `[tool.leaklint.blocking-calls.calls."mylib.fetch"]` with `timeout-keyword` and optionally
  `timeout-position` teaches leaklint an in-house client.

## Known limitations
A client reached through an attribute set in another module, or returned by a factory
function, is not resolved, so calls on it are not checked.

## Parity
Details in `docs/parity/LL1.md`. Ruff S113, bandit B113, pylint W3101 and semgrep `use-timeout`
report the `requests` calls too. Deliberate differences: all four also report the caller's
`**kwargs` and `*args`, and all but pylint a dict that holds `timeout` (the timeout may travel
there); bandit and semgrep report a
local name that shadows `requests`; bandit reports computed timeouts (`min(timeout, 5)`); S113
and B113 report `timeout=None` as missing, which is LL102 here.

## References
- https://requests.readthedocs.io/en/latest/user/advanced/#timeouts
- https://docs.python.org/3/library/socket.html#socket.socket.settimeout
""",
)


def _caller_chose_no_limit(call: ast.Call, func: ast.AST, param: str, model) -> bool:
    """The call sits in the ``if timeout is None:`` branch of a function whose caller passed no
    limit on purpose (``queue.Queue.get`` reimplemented): waiting forever is the contract."""
    child: ast.AST = call
    for anc in model.ancestors(call):
        if anc is func:
            return False
        if isinstance(anc, ast.If) and any(child is stmt for stmt in anc.body):
            test = anc.test
            if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == param
                    and len(test.ops) == 1 and isinstance(test.ops[0], ast.Is)
                    and isinstance(test.comparators[0], ast.Constant) and test.comparators[0].value is None):
                return True
        child = anc
    return False


_PEER = "on a peer that never answers"
_WAITS_FOR = {
    "queue": "for an item or a free slot that never comes",
    "wait": "for an event that never comes",
    "future": "for work that never finishes",
    "thread": "for a thread that never finishes",
    "subprocess": "on a child process that hangs",
}
_WAIT_AFTER_KILL = frozenset({"communicate", "wait"})
_FUTURE_METHODS = frozenset({"result", "exception", "get"})


def check(call: ast.Call, target: str, entry: Mapping[str, Any], ctx: FileContext, state) -> bool:
    """Report ``call`` when it passes no timeout; True when reported."""
    if entry.get("has-default"):
        return False
    model = ctx.model
    if passes_timeout(call, entry, model) or opaque_dsn(call, entry, model):
        return False
    if entry.get("owner-timeout") and state.owner_has_timeout(call, entry):
        return False
    if entry.get("bounded-by") and state.owner_unbounded(call, entry):
        return False
    func = call.func
    if isinstance(func, ast.Attribute):
        if state.default_injected(func.value):
            return False
        if func.attr in _WAIT_AFTER_KILL and state.killed_before(call):
            return False
        if func.attr in _FUTURE_METHODS and state.deadline_carried(func.value, call):
            return False
    keyword = entry.get("timeout-keyword", "timeout")
    kind = entry.get("kind", "")
    func_node = model.enclosing_function(call, through_lambda=False)
    param = state.timeout_param(func_node)
    if param is not None and _caller_chose_no_limit(call, func_node, param, model):
        return False
    ctx.report("LL101", call, f"`{target}` has no timeout: it can wait forever {_WAITS_FOR.get(kind, _PEER)}; "
               f"pass `{keyword}=`",
               add_timeout_fix(call, ctx, keyword, param))
    return True
