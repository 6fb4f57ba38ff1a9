"""LL202 unbounded-label-name: a metric declared with a label that is unbounded by nature."""

from __future__ import annotations

import ast
import fnmatch
from typing import TYPE_CHECKING, Callable, Dict, List, Optional

from leaklint.checks.base import Rule

if TYPE_CHECKING:
    from leaklint.analysis.file import FileContext

LL202 = Rule(
    code="LL202",
    name="unbounded-label-name",
    family="cardinality",
    summary="A metric is declared with a label name that is unbounded by nature (`user_id`, `path`, `email`...).",
    doc="""
## What it finds
A prometheus_client metric declared with a label name from the `unbounded-label-names` list of
`rules/metrics.toml`: `user_id` and any `*_id`, `path`, `url`, `email`, `ip`/`*_ip`, `query`,
`session`, `token`, `uuid`, `timestamp`... The finding is on the declaration, whatever the label
is fed later: the name announces what it will hold.

## Why it hurts in production
A label named for a user, a request or a URL gets one series per user, request or URL. Even
when today's callers pass something bounded, the next caller will pass what the name says.

## Example
```python
from prometheus_client import Counter

REQUESTS = Counter("http_requests_total", "Requests", ["path", "user_id"])
```

## Use instead
```python
from prometheus_client import Counter

REQUESTS = Counter("http_requests_total", "Requests", ["route", "status_class"])
```
Label by the route template, the status class, the tenant tier: values you can count on one hand.

## Fix safety
No fix: renaming a label changes every query that uses it.

## Options
`[tool.leaklint.metrics.unbounded-label-names]` adds names or globs (value: what the label holds),
e.g. `"tenant" = "a customer"`. Names listed under `[tool.leaklint.telemetry-sources.bounded-names]`
(shipped: `*provider_id`, `worker_id`, `instance_id`, `shard_id`...: things the operator
configures) are exempt. A label that is bounded in your service despite its name
(`shard_id` with 16 shards) is silenced with `# noqa: LL202` on the declaration.

## Parity
No peer rule reports label names. Prometheus' own `promtool check metrics` lints exposition output
at run time (names, units, types), not the label values a name invites.

## References
- https://prometheus.io/docs/practices/naming/#labels
""",
)


def unbounded_label(names: Optional[List[str]], patterns: Dict[str, str],
                    is_bounded: Callable[[str], bool]) -> Optional[str]:
    for name in names or ():
        lowered = name.lower()
        if is_bounded(lowered):
            continue
        for pattern, what in patterns.items():
            if fnmatch.fnmatchcase(lowered, pattern):
                return f"label `{name}` of `{{metric}}` names {what}: every distinct value creates a new time series; drop the label or bound its values"
    return None


def check(ctx: FileContext, call: ast.Call, display: str, names: Optional[List[str]], patterns: Dict[str, str],
          is_bounded: Callable[[str], bool]) -> None:
    message = unbounded_label(names, patterns, is_bounded)
    if message is not None:
        ctx.report("LL202", call, message.replace("{metric}", display))
