"""How each fix operation (``leaklint.fixes.ops``) turns the libcst node at its range into its
replacement."""

from __future__ import annotations

from typing import Callable, Dict, Tuple, Type, Union

import libcst as cst

from leaklint.fixes.ops import AddKeyword, RemoveStatement, Replace, ReplaceStatement



def _add_keyword(node: cst.CSTNode, op: AddKeyword) -> cst.CSTNode:
    keyword, value_code = op.keyword, op.value
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


def _replace(node: cst.CSTNode, op: Replace) -> cst.CSTNode:
    new = cst.parse_expression(op.code)
    if isinstance(node, cst.BaseExpression):
        new = new.with_changes(lpar=node.lpar, rpar=node.rpar)
    return new


def _replace_statement(node: cst.CSTNode, op: ReplaceStatement) -> Union[cst.CSTNode, cst.RemovalSentinel, cst.FlattenSentinel]:
    module = cst.parse_module(op.code)
    body = list(module.body)
    if not body:
        return cst.RemovalSentinel.REMOVE
    leading = getattr(node, "leading_lines", None)
    if leading is not None and hasattr(body[0], "leading_lines"):
        body[0] = body[0].with_changes(leading_lines=leading)
    if len(body) == 1:
        return body[0]
    return cst.FlattenSentinel(body)


def _remove_statement(node: cst.CSTNode, op: RemoveStatement) -> cst.RemovalSentinel:
    return cst.RemovalSentinel.REMOVE


class FixError(Exception):
    pass


# operation type -> (libcst node types its range may name, transform)
TRANSFORMS: Dict[type, Tuple[Tuple[Type[cst.CSTNode], ...], Callable[..., object]]] = {
    AddKeyword: ((cst.Call,), _add_keyword),
    Replace: ((cst.BaseExpression,), _replace),
    ReplaceStatement: ((cst.SimpleStatementLine, cst.BaseCompoundStatement), _replace_statement),
    # a small statement too: `a(); b()` names each by its own range
    RemoveStatement: ((cst.SimpleStatementLine, cst.BaseCompoundStatement, cst.BaseSmallStatement),
                      _remove_statement),
}
