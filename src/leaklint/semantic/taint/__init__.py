"""Intraprocedural taint: does an expression carry an unbounded value, and from where?

``TaintAnalysis.taint_of(expr)`` answers with one of:

- ``Taint``: the value comes from an unbounded source (request data, an identifier-like name, a
  fresh UUID or timestamp, an exception's text); it names the source node and its line.
- ``CLEAN``: the value is bounded (a constant, a sanitizer's result, an allow-listed value...).
- ``Params``: the value is one of the enclosing function's parameters (used for function summaries:
  a helper that returns its argument passes the caller's taint through).
- ``External``: the value is what a helper of another project module returns; the project index
  decides (see ``summarize_function`` and the family's resolver).
- ``None``: nothing is known; never reported.

Propagation follows the model's bindings (``bindings_at`` gives every binding that can reach a use,
so a value tainted on any branch is tainted), augmented assignments, f-strings, ``%``,
``.format``, ``+``, method calls on a tainted receiver (string methods, copies), containers
(literals, and the ``append``/``update``/item assignments made to a local container in the same
function), comprehensions and helpers of the same module (through their summaries). The knowledge
of sources and sanitizers is data: ``rules/telemetry-sources.toml``.

Modules: ``values`` (what an expression carries, and how values join), ``config`` (the catalogue,
prepared), ``analysis`` (the evaluation over the model).
"""

from leaklint.semantic.taint.analysis import TaintAnalysis
from leaklint.semantic.taint.config import TaintConfig
from leaklint.semantic.taint.values import CLEAN, External, Params, Taint, Value, describe, join, origin_of

__all__ = ["CLEAN", "External", "Params", "Taint", "TaintAnalysis", "TaintConfig", "Value", "describe", "join",
           "origin_of"]
