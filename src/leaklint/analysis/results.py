"""What the analysis of one file produces, in the shape the cache stores: light enough that a run
served from the cache never imports the analysis itself."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from leaklint.findings import Finding


@dataclass
class Deferred:
    """A finding that depends on other modules: reported if ``condition`` holds in the project index."""

    finding: Finding
    condition: Tuple[Any, ...]

    def to_dict(self) -> dict:
        return {"finding": self.finding.to_dict(), "condition": list(self.condition)}

    @classmethod
    def from_dict(cls, data: dict) -> "Deferred":
        return cls(Finding.from_dict(data["finding"]), tuple(data["condition"]))


@dataclass
class FileResult:
    path: str
    digest: str = ""
    findings: List[Finding] = field(default_factory=list)
    deferred: List[Deferred] = field(default_factory=list)
    summary: Dict[str, Any] = field(default_factory=dict)
    # a cached result keeps its summary packed (``pack_summary``) until the project index asks
    summary_text: Optional[str] = None
    imports: List[str] = field(default_factory=list)
    project_deps: List[str] = field(default_factory=list)
    timings: Dict[str, float] = field(default_factory=dict)
    cacheable: bool = True


def pack_summary(summary: Dict[str, Any]) -> str:
    """A summary as the cache keeps it: compressed JSON, in base64. Most summaries of a run served
    from the cache are never asked for; packed, they cost the cache's JSON parser one plain string
    each instead of thousands of escaped quotes."""
    data = json.dumps(summary, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(data, 1)).decode("ascii")


def unpack_summary(text: str) -> Dict[str, Dict[str, Any]]:
    """The summary ``pack_summary`` packed; ``{}`` for anything that is not one."""
    try:
        decoded = json.loads(zlib.decompress(base64.b64decode(text, validate=True)))
    except (ValueError, TypeError, zlib.error, RecursionError):
        return {}
    if not isinstance(decoded, dict) or not all(isinstance(v, dict) for v in decoded.values()):
        return {}
    return decoded


def project_deps(imports: Sequence[str], module_set) -> List[str]:
    """The project modules that ``imports`` resolve to (longest matching prefix of each)."""
    deps = set()
    for name in imports:
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            prefix = ".".join(parts[:i])
            if prefix in module_set:
                deps.add(prefix)
                break
    return sorted(deps)
