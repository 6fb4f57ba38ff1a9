"""Fix operations. A rule describes a fix as a tuple ``(kind, *args)``; each kind below turns the
libcst node found at a source range into its replacement. Ranges are ``(line, col, end_line,
end_col)`` with 1-based lines and 0-based character columns, exactly as libcst's
``PositionProvider`` (and ``FileContext.node_range``) give them.

Kinds:
- ``("add_keyword", range, keyword, value_code)``: add ``keyword=value`` to the call at ``range``
  (or replace the value when the keyword is present).
- ``("replace", range, code)``: replace the expression at ``range`` by ``code``.
- ``("replace_statement", range, code)``: replace the simple or compound statement at ``range``
  by the statements in ``code`` (indented to fit).
- ``("remove_statement", range)``: remove the statement at ``range`` (a line, a compound
  statement, or one of several ``;``-separated statements).
- ``("add_import", module, name)``: ``from module import name``, or ``import module`` when
  ``name`` is empty; added once, next to the other imports.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple, Union

import libcst as cst

Range = Tuple[int, int, int, int]
NodeOp = Callable[[cst.CSTNode, Tuple[Any, ...]], Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]]


def _add_keyword(node: cst.CSTNode, args: Tuple[Any, ...]) -> cst.CSTNode:
    keyword, value_code = args
    if not isinstance(node, cst.Call):
        raise FixError("add_keyword target is not a call")
    value = cst.parse_expression(value_code)
    new_args = list(node.args)
    for i, arg in enumerate(new_args):
        if arg.keyword is not None and arg.keyword.value == keyword:
            new_args[i] = arg.with_changes(value=value)
            return node.with_changes(args=new_args)
    new_arg = cst.Arg(value=value, keyword=cst.Name(keyword),
                      equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                            whitespace_after=cst.SimpleWhitespace("")))
    # keyword arguments go before ``**kwargs`` only when no ``**`` comes earlier
    insert_at = len(new_args)
    for i, arg in enumerate(new_args):
        if arg.star == "**":
            insert_at = i
            break
    if new_args:
        if insert_at == len(new_args):
            last = new_args[-1]
            multiline = isinstance(last.comma, cst.Comma) and isinstance(
                last.comma.whitespace_after, cst.ParenthesizedWhitespace)
            if last.comma is cst.MaybeSentinel.DEFAULT or not isinstance(last.comma, cst.Comma):
                if isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace):
                    # one argument a line, no trailing comma: the new one goes on a line of its
                    # own, and the line break before the closing paren moves after it
                    if len(new_args) >= 2 and isinstance(new_args[-2].comma, cst.Comma):
                        separator = new_args[-2].comma.whitespace_after
                    else:
                        separator = node.whitespace_before_args
                    new_args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator),
                                                     whitespace_after_arg=cst.SimpleWhitespace(""))
                    new_arg = new_arg.with_changes(whitespace_after_arg=last.whitespace_after_arg)
                else:
                    new_args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                new_args.append(new_arg)
            else:
                # keep the trailing comma style of a multi-line call: the new argument takes the
                # last comma (whose whitespace leads to the closing paren), the old last argument
                # takes the separator used between arguments
                new_arg = new_arg.with_changes(comma=last.comma)
                if len(new_args) >= 2 and isinstance(new_args[-2].comma, cst.Comma):
                    separator = new_args[-2].comma.whitespace_after
                else:
                    separator = node.whitespace_before_args
                new_args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=separator))
                if not multiline:
                    new_args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                    new_arg = new_arg.with_changes(comma=cst.MaybeSentinel.DEFAULT)
                new_args.append(new_arg)
        else:
            new_args.insert(insert_at, new_arg.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
    else:
        new_args.append(new_arg)
    return node.with_changes(args=new_args)


def _replace(node: cst.CSTNode, args: Tuple[Any, ...]) -> cst.CSTNode:
    (code,) = args
    new = cst.parse_expression(code)
    if hasattr(node, "lpar") and hasattr(new, "lpar"):
        new = new.with_changes(lpar=node.lpar, rpar=node.rpar)  # type: ignore[attr-defined]
    return new


def _replace_statement(node: cst.CSTNode, args: Tuple[Any, ...]) -> Union[cst.CSTNode, cst.FlattenSentinel]:
    (code,) = args
    module = cst.parse_module(code)
    body = list(module.body)
    if not body:
        return cst.RemovalSentinel.REMOVE  # type: ignore[return-value]
    leading = getattr(node, "leading_lines", None)
    if leading is not None and hasattr(body[0], "leading_lines"):
        body[0] = body[0].with_changes(leading_lines=leading)
    if len(body) == 1:
        return body[0]
    return cst.FlattenSentinel(body)


def _remove_statement(node: cst.CSTNode, args: Tuple[Any, ...]) -> cst.RemovalSentinel:
    return cst.RemovalSentinel.REMOVE


class FixError(Exception):
    pass


# kind -> (libcst node types the range may name, operation)
NODE_OPS: Dict[str, Tuple[Tuple[type, ...], NodeOp]] = {
    "add_keyword": ((cst.Call,), _add_keyword),
    "replace": ((cst.BaseExpression,), _replace),
    "replace_statement": ((cst.SimpleStatementLine, cst.BaseCompoundStatement), _replace_statement),
    # a small statement too: `a(); b()` names each by its own range
    "remove_statement": ((cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.BaseSmallStatement),
                         _remove_statement),
}
IMPORT_OP = "add_import"


def register(kind: str, node_types: Tuple[type, ...], op: NodeOp) -> None:
    """Let a family add an operation kind."""
    NODE_OPS[kind] = (node_types, op)


def op_range(op: Tuple[Any, ...]) -> Optional[Range]:
    if op[0] == IMPORT_OP:
        return None
    return tuple(op[1])  # type: ignore[return-value]
