"""The project index: module-level facts from every checked file, asked after all files are seen.

Each file contributes a summary ``{symbol: {fact: value}}`` (facts come from the families'
``summarize`` hooks plus the imports the module re-exports). Deferred findings name a resolver
and a qualified name; the resolver reads the index, following re-exports
(``from .metrics import REQUESTS`` in a package ``__init__``) to the defining module.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Tuple, Union

from leaklint.analysis.results import unpack_summary

Summary = Dict[str, Dict[str, Any]]


class ProjectIndex:
    def __init__(self) -> None:
        # a summary may arrive packed, as the cache keeps it (``results.pack_summary``): most of a
        # warm run's modules are never asked about, so they are unpacked on first use only
        self.modules: Dict[str, Union[Summary, str]] = {}

    def add(self, module: str, summary: Union[Summary, str]) -> None:
        if module:
            self.modules[module] = summary

    def summary(self, module: str) -> Summary:
        value = self.modules[module]
        if isinstance(value, str):
            self.modules[module] = value = unpack_summary(value)
        return value

    def split(self, qualname: str) -> Optional[Tuple[str, str]]:
        """``pkg.metrics.REQUESTS`` -> (``pkg.metrics``, ``REQUESTS``) for an indexed module."""
        parts = qualname.split(".")
        for i in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:i])
            if module in self.modules:
                return module, ".".join(parts[i:])
        return None

    def lookup(self, qualname: str, _depth: int = 0) -> Optional[Dict[str, Any]]:
        """The facts of a project symbol, through re-exports; ``None`` when unknown."""
        if _depth > 10:
            return None
        found = self.split(qualname)
        if found is None:
            return None
        module, rest = found
        head, _, tail = rest.partition(".")
        facts = self.summary(module).get(head)
        if facts is None:
            return None
        alias = facts.get("alias")
        if alias:
            target = f"{alias}.{tail}" if tail else alias
            return self.lookup(target, _depth + 1) or ({"external": target} if not tail else None)
        if tail:
            members = facts.get("members", {})
            return members.get(tail)
        return facts

    def resolve_alias(self, qualname: str, _depth: int = 0) -> str:
        """Follow re-exports to the defining qualified name (``pkg.REQUESTS`` -> ``pkg.metrics.REQUESTS``)."""
        if _depth > 10:
            return qualname
        found = self.split(qualname)
        if found is None:
            return qualname
        module, rest = found
        head, _, tail = rest.partition(".")
        facts = self.summary(module).get(head)
        if facts and facts.get("alias"):
            target = facts["alias"] + (f".{tail}" if tail else "")
            return self.resolve_alias(target, _depth + 1)
        return qualname
