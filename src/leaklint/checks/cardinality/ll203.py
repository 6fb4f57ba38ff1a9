"""LL203 dynamic-metric-name: a metric name built from an unbounded value."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ast

from leaklint.checks.base import Rule
from leaklint.checks.cardinality.ll201 import escape, sink_condition
from leaklint.semantic.taint import External, Taint, TaintAnalysis, describe

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL203 = Rule(
    code="LL203",
    name="dynamic-metric-name",
    family="cardinality",
    summary="A metric name (prometheus, OpenTelemetry or statsd) is built from an unbounded value.",
    doc="""
## What it finds
The name of a prometheus_client metric, of an OpenTelemetry instrument, or of a statsd/DogStatsd
metric (`statsd.incr(f"api.{request.path}")`) built from an unbounded value: request data,
identifiers, timestamps, exception messages (the sources of LL201, traced the same way). A name
built from constants, configuration or a bounded value (`f"{PREFIX}_requests_total"`) is fine.

## Why it hurts in production
A metric name is a series of its own: a name per path or per user is the label explosion of
LL201 without even the label to aggregate on. statsd backends create a new metric per name and
bill per metric; prometheus_client raises on the second registration of a name, or leaks a
collector per name when the registry is bypassed.

## Example
```python
from flask import request
from statsd import StatsClient

statsd = StatsClient()

def track():
    statsd.incr(f"api.{request.path}.hits")
```

## Use instead
```python
from flask import request
from statsd import StatsClient

statsd = StatsClient()

def track():
    statsd.incr("api.hits", tags=[f"route:{request.url_rule.rule}"])
```

## Fix safety
No fix.

## Options
The sources and sinks catalogues of LL201 (`rules/telemetry-sources.toml`, `rules/metrics.toml`).

## Parity
No peer rule. The statsd and Prometheus client libraries accept any name at run time; only the
backend's series count shows the problem, after the fact.

## References
- https://prometheus.io/docs/practices/naming/#metric-names
- https://github.com/statsd/statsd/blob/master/docs/metric_types.md
""",
)


def check(ctx: FileContext, analysis: TaintAnalysis, call: ast.Call, name: ast.AST, kind: str) -> None:
    taint = analysis.taint_of(name)
    if isinstance(taint, Taint):
        ctx.report("LL203", call, f"{kind} name is built from {describe(taint, ctx.segment)}: "
                                  "every distinct value creates a new metric; use a fixed name and a bounded label")
    elif isinstance(taint, External):
        message = (f"{escape(kind)} name is built from `{escape(ctx.segment(taint.node) or taint.qualname)}`, which "
                   "returns {source}: every distinct value creates a new metric; use a fixed name and a bounded label")
        ctx.defer("LL203", call, message, sink_condition("", -1, taint, ctx))
