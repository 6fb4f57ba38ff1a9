"""LL201 unbounded-metric-label: an unbounded value reaches a metric label, attribute or tag."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from leaklint.checks.base import Rule, RuleFix
from leaklint.checks.cardinality import fixes
from leaklint.checks.cardinality.sinks import Metric, argument
from leaklint.semantic.taint import External, Taint, TaintAnalysis, Value, describe

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL201 = Rule(
    code="LL201",
    name="unbounded-metric-label",
    family="cardinality",
    summary="A metric label, attribute or tag gets an unbounded value (a path, a user id, a header).",
    fix=RuleFix.SOMETIMES,
    doc="""
## What it finds
A value that can take unboundedly many distinct values reaching a metric's labels:
prometheus_client `.labels(...)` (positional or keyword, on a metric created in the module, stored
on `self`, or imported from another module of the project under any alias), the attributes of an
OpenTelemetry instrument's `.add()`/`.record()`/`.set()` (including a dict built up before the
call), and statsd/DogStatsd/sentry-sdk metric `tags`.

Unbounded values are request data (Flask `request.path/args/headers/...`, Django `request.path`,
`get_full_path()`, `META`, `GET`..., Starlette/FastAPI `request.url.path`, `headers`,
`query_params`, `path_params`, `client.host`, route path parameters and `Query`/`Header`
parameters, aiohttp `request.path`, `match_info`...), identifier-like names (`*_id`, `user`,
`email`, `ip`, `session`, `token`, `uuid`...), `uuid4()`, `time.time()`, `datetime.now()`, `id()`,
`hash()`, `str(exc)`, `repr(exc)`, `traceback.format_exc()`. The value is traced through
assignments, augmented assignments, f-strings, `%`, `.format`, `+`, string methods, containers
(literals, `append`, `update`, copies, item assignment), branches (tainted on any path) and helper
functions of the project that return such a value (in the same module or another one).

Bounded values are never reported: `request.method`, status codes and `status // 100` buckets,
Flask `request.url_rule.rule` and `request.endpoint`, Django `request.resolver_match.route` /
`view_name` / `url_name`, `type(exc).__name__`, `len()`, `bool()`, constants, module and class
constants (enum members), lookups in constant dicts (`LABELS[x]`, `LABELS.get(x, "other")`),
allow-listed values (`x if x in ALLOWED else "other"`), configured sanitizer functions and helpers
whose every `return` is bounded.

Not sinks: span attributes, log fields, exemplars and events; per-request values belong there.
A `.labels()` method on an object that is not a metric is not a sink.

Metrics are recognised as module globals, locals, `self` attributes, class attributes, subclasses
of a metric class declared in the module, and names imported from another project module (the
project index confirms the import is a metric). ASGI middleware reading `scope["path"]`,
`scope["headers"]`... is covered too.

Known limits, chosen to keep the rule quiet on code that is fine:
- a metric passed in as a parameter, returned by a property or kept in a container is not
  recognised, so its labels are not checked;
- a helper's result is followed through positional arguments only (`normalise(request.path)`
  is reported when `normalise` returns its argument; `normalise(path=request.path)` is not);
- a call to a library function the catalogues do not list is unknown, whatever its arguments;
- identifier-like names are taken at their word (`event.room_id`, a parameter `user_id`), except
  the operator-configured ones of `bounded-names` (`auth_provider_id`, `worker_id`...); a bare
  `.id` is not a source (application services, shards and nodes have ids too), and the fields of
  an identified thing are not identifiers unless their own name says so (`user.plan` is fine,
  `user.email` is not);
- `request.method` is treated as bounded although a client can send any token: servers reject
  unknown methods before most metrics are written.

## Why it hurts in production
Every distinct label value creates a new time series. A label fed `X-User-ID` on a service with
50,000 users makes 50,000 series for one metric; with a second label the product explodes. The
TSDB's index and memory grow until queries time out, and the exporter's own memory and GC pauses
degrade the service it monitors. prometheus_client has no cap; the OpenTelemetry SDK's cardinality
limit silently folds the excess into an overflow series, so the dashboards undercount.

## Example
```python
from flask import request
from prometheus_client import Counter

REQUESTS = Counter("http_requests_total", "Requests", ["path", "user"])

def after_request(response):
    REQUESTS.labels(request.path, request.headers["X-User-ID"]).inc()
    return response
```

## Use instead
```python
def after_request(response):
    route = getattr(request.url_rule, "rule", "<unmatched>")
    REQUESTS.labels(route, response.status_code // 100).inc()
    return response
```
Keep per-request correlation in exemplars or span attributes, per-user analytics in an event
pipeline, and bound anything else with an allow-list (`x if x in KNOWN else "other"`) or a
bucketing helper (configure it under `sanitizers`).

## Fix safety
Unsafe, and only where the framework has a bounded equivalent of the raw path: Flask
`request.path` becomes `getattr(request.url_rule, "rule", "<unmatched>")`, Django `request.path`
becomes `getattr(request.resolver_match, "route", "<unmatched>")`, Starlette/FastAPI
`request.url.path` becomes `getattr(request.scope.get("route"), "path", "<unmatched>")`. The
label's values change (dashboards and alerts keyed on raw paths must follow), which is why the fix
is unsafe. Elsewhere there is no fix.

## Options
- `[tool.leaklint.cardinality] sanitizers` (default `[]`): qualified names of functions whose
  result is bounded (`["myapp.metrics.bucket_path"]`).
- `[tool.leaklint.telemetry-sources]` extends the sources and sanitizers catalogue
  (`rules/telemetry-sources.toml`): `identifier-names`, `request-attributes`, `unbounded-calls`,
  `sanitizer-calls`, ...
- `[tool.leaklint.metrics]` extends the sinks catalogue (`rules/metrics.toml`): `metric-classes`,
  `instrument-factories`, `tag-clients` (your own metric wrappers and statsd clients).

## Known limitations
A value is followed through assignments, helpers and returns of the checked project; data
reaching a label through a container mutated elsewhere, or a library callback, is not.

## Parity
No peer rule: ruff, pylint and flake8 plugins do not follow request data into metric labels.
Semgrep and CodeQL can express it as a taint rule, which leaklint ships built in, with the
framework sources and sanitizers in `rules/telemetry-sources.toml`.

## References
- https://prometheus.io/docs/practices/naming/#labels
- https://prometheus.io/docs/practices/instrumentation/#do-not-overuse-labels
""",
)

SERIES = "every distinct value creates a new time series; label with a bounded value (the route template, a class)"


def escape(text: str) -> str:
    """Literal text in a deferred message (which the engine formats with the resolver's fields)."""
    return text.replace("{", "{{").replace("}", "}}")


Pair = Tuple[Any, ast.AST, Value]  # (label name or index, value node, taint)


def label_pairs(analysis: TaintAnalysis, call: ast.Call) -> List[Pair]:
    """``.labels(a, b)`` and ``.labels(k=v, **kv)`` as (label, value, taint)."""
    out: List[Pair] = []
    for i, arg in enumerate(call.args):
        if isinstance(arg, ast.Starred):
            out.append(("?", arg, analysis.taint_of(arg.value)))
            break
        out.append((i, arg, analysis.taint_of(arg)))
    for kw in call.keywords:
        if kw.arg is None:
            out.extend((k if k is not None else "?", v, t) for k, v, t in analysis.entries(kw.value))
        else:
            out.append((kw.arg, kw.value, analysis.taint_of(kw.value)))
    return out


def attribute_pairs(analysis: TaintAnalysis, call: ast.Call, entry: Dict[str, Any]) -> List[Pair]:
    node = argument(call, entry.get("attributes-position", 1), entry.get("attributes-keyword", "attributes"))
    if node is None:
        return []
    return [(k if k is not None else "?", v, t) for k, v, t in analysis.entries(node)]


def tag_pairs(analysis: TaintAnalysis, call: ast.Call, entry: Dict[str, Any]) -> List[Pair]:
    keyword = entry.get("tags-keyword")
    node = argument(call, None, keyword) if keyword else None
    if node is None:
        return []
    if isinstance(node, ast.Dict):  # tags as a mapping (sentry-sdk)
        return [(k if k is not None else "?", v, t) for k, v, t in analysis.entries(node)]
    elements = node.elts if isinstance(node, (ast.List, ast.Tuple, ast.Set)) else [node]
    return [(_tag_key(e), e, analysis.taint_of(e)) for e in elements]


def _tag_key(node: ast.AST) -> str:
    """``f"user:{uid}"`` -> ``user``."""
    first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else node
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and ":" in first.value:
        return first.value.split(":", 1)[0]
    return "?"


def report(ctx: FileContext, analysis: TaintAnalysis, call: ast.Call, metric: Metric, pairs: List[Pair], noun: str) -> None:
    """One finding per sink call: the first unbounded label names it; fixes cover every label."""
    bad = [(label, node, taint) for label, node, taint in pairs if isinstance(taint, (Taint, External))]
    if not bad:
        return
    label, _node, taint = bad[0]
    sources = [t for _l, _n, t in bad if isinstance(t, Taint)]
    sources += [a for _l, _n, t in bad if isinstance(t, External) for _i, a in t.arguments]
    fix = fixes.make_fix(fixes.route_fix(t, analysis, ctx) for t in sources)
    deferred_label = isinstance(label, int) and bool(metric.qualname)
    label_text = "{label}" if deferred_label else escape(_label_name(label, metric.labelnames))
    if label_text == "?":
        head = f"a {noun} of `{escape(metric.display)}` gets "
    else:
        head = f"{noun} `{label_text}` of `{escape(metric.display)}` gets "
    if isinstance(taint, Taint):
        source = escape(describe(taint, ctx.segment))
    else:
        source = f"`{escape(ctx.segment(taint.node) or taint.qualname)}`, which returns {{source}}"
    message = f"{head}{source}: {SERIES}"
    helper = taint.qualname if isinstance(taint, External) else ""
    if metric.qualname or helper:
        index = label if isinstance(label, int) else -1
        ctx.defer("LL201", call, message, sink_condition(metric.qualname, index, taint, ctx), fix)
    else:
        ctx.report("LL201", call, message.replace("{{", "{").replace("}}", "}"), fix)


def sink_condition(metric: str, label: int, taint: Any, ctx: FileContext) -> Tuple[Any, ...]:
    """The deferred condition: the metric (if imported) is one, and the helper (if any) returns an
    unbounded value or passes one of the call's unbounded arguments through."""
    if not isinstance(taint, External):
        return ("cardinality-sink", metric, label, "", [])
    arguments = [[i, describe(t, ctx.segment)] for i, t in taint.arguments]
    return ("cardinality-sink", metric, label, taint.qualname, arguments)


def _label_name(label: Any, names: Optional[List[str]]) -> str:
    if isinstance(label, int):
        if names and label < len(names) and names[label] != "?":
            return names[label]
        return f"#{label + 1}"
    return str(label)
