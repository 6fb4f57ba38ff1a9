"""Fix operations: what a rule asks to change, as small frozen values (no libcst here; see
``leaklint.fixes.transforms`` for how each one rewrites the tree).

Ranges are ``(line, col, end_line, end_col)`` with 1-based lines and 0-based character columns,
exactly as libcst's ``PositionProvider`` (and ``FileContext.node_range``) give them. A fix's
operations are stored in the cache and shown in JSON as ``[kind, *fields]`` lists.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any, ClassVar, Dict, List, Optional, Sequence, Tuple, Type, Union

Range = Tuple[int, int, int, int]


@dataclass(frozen=True)
class AddKeyword:
    """Add ``keyword=value`` to the call at ``range`` (or replace the value when present)."""

    kind: ClassVar[str] = "add_keyword"
    range: Range
    keyword: str
    value: str


@dataclass(frozen=True)
class Replace:
    """Replace the expression at ``range`` by ``code``."""

    kind: ClassVar[str] = "replace"
    range: Range
    code: str


@dataclass(frozen=True)
class ReplaceStatement:
    """Replace the simple or compound statement at ``range`` by the statements in ``code``."""

    kind: ClassVar[str] = "replace_statement"
    range: Range
    code: str


@dataclass(frozen=True)
class RemoveStatement:
    """Remove the statement at ``range`` (a line, a compound statement, or one of several
    ``;``-separated statements)."""

    kind: ClassVar[str] = "remove_statement"
    range: Range


@dataclass(frozen=True)
class AddImport:
    """``from module import name``, or ``import module`` when ``name`` is empty; added once."""

    kind: ClassVar[str] = "add_import"
    module: str
    name: str = ""
    range: ClassVar[Optional[Range]] = None


FixOp = Union[AddKeyword, Replace, ReplaceStatement, RemoveStatement, AddImport]
NodeOp = Union[AddKeyword, Replace, ReplaceStatement, RemoveStatement]
KINDS: Dict[str, Type[Any]] = {cls.kind: cls for cls in (AddKeyword, Replace, ReplaceStatement, RemoveStatement, AddImport)}


def op_to_list(op: FixOp) -> List[Any]:
    return [op.kind, *(list(v) if isinstance(v, tuple) else v for v in astuple(op))]


def op_from_list(data: Sequence[Any]) -> FixOp:
    cls = KINDS.get(data[0]) if data else None
    if cls is None:
        raise ValueError(f"unknown fix operation {data[0] if data else None!r}")
    fields = [tuple(v) if isinstance(v, list) else v for v in data[1:]]
    return cls(*fields)


def import_from_statement(statement: str) -> Optional[AddImport]:
    """The operation adding a configured import: ``"from a import b"`` -> ``AddImport("a", "b")``,
    ``"import a"`` -> ``AddImport("a")``; ``None`` for anything else (blank, relative, several)."""
    import ast

    try:
        body = ast.parse(statement.strip()).body
    except (SyntaxError, ValueError):
        return None
    node = body[0] if len(body) == 1 else None
    if isinstance(node, ast.ImportFrom) and node.module and len(node.names) == 1 and not node.level:
        return AddImport(node.module, node.names[0].name)
    if isinstance(node, ast.Import) and len(node.names) == 1:
        return AddImport(node.names[0].name)
    return None
