"""The ``telemetry-sources`` catalogue, prepared for fast lookups."""

from __future__ import annotations

import fnmatch
from typing import FrozenSet, Iterable, Mapping, Sequence, Tuple


def _globs(patterns: Iterable[str]) -> Tuple[FrozenSet[str], Tuple[str, ...]]:
    exact, wild = set(), []
    for p in patterns:
        (wild.append(p) if any(c in p for c in "*?[") else exact.add(p))
    return frozenset(exact), tuple(wild)


def _match(name: str, compiled: Tuple[FrozenSet[str], Tuple[str, ...]]) -> bool:
    exact, wild = compiled
    return name in exact or any(fnmatch.fnmatchcase(name, p) for p in wild)


class TaintConfig:
    """The ``telemetry-sources`` catalogue, prepared for fast lookups."""

    def __init__(self, sources: Mapping[str, Mapping[str, str]], sanitizers: Sequence[str] = ()):
        self.request_globals = dict(sources.get("request-globals", {}))
        self.request_global_names = frozenset(q.rsplit(".", 1)[-1] for q in self.request_globals)
        self.request_classes = dict(sources.get("request-classes", {}))
        self.request_parameters = dict(sources.get("request-parameters", {}))
        self.request_attributes = dict(sources.get("request-attributes", {}))
        self.bounded_attributes = _globs(sources.get("bounded-attributes", {}))
        self.parameter_markers = dict(sources.get("parameter-markers", {}))
        self.route_decorators = dict(sources.get("route-decorators", {}))
        self.unbounded_calls = dict(sources.get("unbounded-calls", {}))
        self.propagating_calls = frozenset(sources.get("propagating-calls", {}))
        self.sanitizer_calls = frozenset(sources.get("sanitizer-calls", {})) | frozenset(sanitizers)
        self.identifier_names = _globs(sources.get("identifier-names", {}))
        self.scope_parameters = dict(sources.get("scope-parameters", {}))
        self.scope_keys = dict(sources.get("scope-keys", {}))
        self.bounded_names = _globs(sources.get("bounded-names", {}))
        self.web_frameworks = dict(sources.get("web-frameworks", {}))

    def is_identifier_name(self, name: str) -> bool:
        name = name.lstrip("_").lower()
        return _match(name, self.identifier_names) and not _match(name, self.bounded_names)

    def is_bounded_name(self, name: str) -> bool:
        return _match(name.lstrip("_").lower(), self.bounded_names)

    def is_bounded_attribute(self, attr: str) -> bool:
        return _match(attr, self.bounded_attributes)
