"""Source text of a node, from the file's lines (``ast.get_source_segment`` re-splits the whole file
on every call, which a message per sink in a large module cannot afford)."""

from __future__ import annotations

import ast
from typing import List


def node_text(lines: List[str], node: ast.AST) -> str:
    try:
        start, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        col, end_col = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except AttributeError:
        return ""
    if start is None or end is None or end_col is None or not 1 <= start <= end <= len(lines):
        return ""
    if start == end:
        return lines[start - 1].encode("utf-8")[col:end_col].decode("utf-8", "replace")
    parts = [lines[start - 1].encode("utf-8")[col:].decode("utf-8", "replace")]
    parts.extend(lines[start:end - 1])
    parts.append(lines[end - 1].encode("utf-8")[:end_col].decode("utf-8", "replace"))
    return "".join(parts)


def short(lines: List[str], node: ast.AST, limit: int = 60) -> str:
    """One line of at most ``limit`` characters."""
    text = " ".join(node_text(lines, node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def segment(ctx, node: ast.AST) -> str:
    return node_text(ctx.source.lines, node)


def segmenter(ctx):
    lines = ctx.source.lines
    return lambda node: node_text(lines, node)
