"""Parse code written for a newer Python than the one leaklint runs on.

``ast.parse`` knows only the running interpreter's grammar. A project may target a newer one
(``target-version``), so when a file does not parse, its newer constructs are *lowered* into older
syntax that ``ast`` builds the same nodes for, as far as the checks look, and parsed again:

- PEP 701 f-strings (3.12): a nested literal that reuses an enclosing quote, or holds a backslash,
  takes another quote and placeholders; comments inside replacement fields become spaces; a
  single-quoted f-string whose fields span lines becomes triple-quoted;
- PEP 750 template strings (3.14): ``t"..."`` is read as ``f"..."``;
- PEP 695/696 type parameters (3.12/3.13): ``def f[T](...)`` and ``class C[T]`` lose their
  parameter list; ``type X[T] = v`` becomes the annotation ``X: v`` (it binds no value, like the
  lazily evaluated alias);
- ``except*`` (3.11) reads as ``except``; ``match`` / ``case`` (3.10) read as ``if`` statements
  over the same expressions, the guard's ``if`` and a pattern's ``as`` as ``or``.

Every rewrite keeps the text's length on its line where it can (and its line numbers always), so
positions in findings are those of the original. A literal's text that had to change is not what
the checks see: no rule reads the text of a string nested inside an f-string field.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

NEWEST = (3, 14)
_PREFIX_CHARS = set("rRbBuUfFtT")
_QUOTES = ("'", '"')


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str


@dataclass
class _Literal:
    """One string literal: where it is and, for f/t-strings, the fields' nested literals."""

    start: int  # where its prefix begins
    body: int  # the first character after the opening quotes
    end: int  # one past the closing quotes
    prefix: str
    quote: str  # ' " ''' or """
    children: List["_Literal"] = field(default_factory=list)
    comments: List[Tuple[int, int]] = field(default_factory=list)
    multiline_field: bool = False

    @property
    def formatted(self) -> bool:
        return any(c in "fFtT" for c in self.prefix)

    @property
    def raw(self) -> bool:
        return any(c in "rR" for c in self.prefix)


class _Unterminated(Exception):
    pass


def parse(text: str, filename: str = "<unknown>", target: Tuple[int, int] = NEWEST) -> ast.Module:
    """``ast.parse`` for code written for Python ``target``; raises the first ``SyntaxError``
    when the text is not valid for that grammar."""
    try:
        return ast.parse(text, filename=filename, type_comments=False)
    except SyntaxError:
        if sys.version_info[:2] >= target:
            raise
        lowered = lower(text, target)
        if lowered == text:
            raise
        try:
            return ast.parse(lowered, filename=filename, type_comments=False)
        except SyntaxError:
            pass
        raise


def syntax_hint(target: Tuple[int, int]) -> str:
    """What a parse error's message adds when this interpreter is older than the target grammar."""
    running = sys.version_info[:2]
    if running >= target:
        return ""
    return (f" (leaklint runs on Python {running[0]}.{running[1]} and reads newer syntax up to "
            f"{target[0]}.{target[1]} by rewriting it; if the file is valid Python, run leaklint on "
            f"the version it needs or report the construct)")


def lower(text: str, target: Tuple[int, int] = NEWEST) -> str:
    """``text`` with the constructs newer than the running interpreter rewritten (see above)."""
    running = sys.version_info[:2]
    if running < (3, 12) <= target or running < (3, 14) <= target:
        text = _apply(text, _string_edits(text, running))
    return _apply(text, _statement_edits(text, running, target))


def _apply(text: str, edits: List[Edit]) -> str:
    out, last = [], 0
    for edit in sorted(edits, key=lambda e: e.start):
        if edit.start < last:
            continue  # nested in an edit already made
        out.append(text[last:edit.start])
        out.append(edit.text)
        last = edit.end
    out.append(text[last:])
    return "".join(out)


# -- strings ------------------------------------------------------------------------------------

def _string_edits(text: str, running: Tuple[int, int]) -> List[Edit]:
    edits: List[Edit] = []
    try:
        literals = _scan_code(text, 0, None)[0]
    except _Unterminated:
        return edits
    for literal in literals:
        if literal.formatted:
            _lower_formatted(text, literal, set(), nested=False, running=running, edits=edits)
    return edits


def _is_word(c: str) -> bool:
    return c.isalnum() or c == "_"


def _scan_code(text: str, i: int, closer: Optional[str]) -> Tuple[List[_Literal], int, List[Tuple[int, int]], bool]:
    """Scan code from ``i``; inside an f-string field (``closer`` set) stop at the ``}``, ``!`` or
    ``:`` that ends the expression at bracket depth 0. Returns the literals met, the index where
    it stopped, the comments and whether a line ended inside."""
    literals: List[_Literal] = []
    comments: List[Tuple[int, int]] = []
    newline = False
    depth = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "#":
            end = text.find("\n", i)
            end = n if end == -1 else end
            comments.append((i, end))
            i = end
            continue
        if c in _QUOTES:
            literal = _scan_string(text, i, i)
            literals.append(literal)
            i = literal.end
            continue
        if _is_word(c):
            j = i
            while j < n and _is_word(text[j]):
                j += 1
            if j < n and text[j] in _QUOTES and (j - i) <= 2 and all(ch in _PREFIX_CHARS for ch in text[i:j]):
                literal = _scan_string(text, i, j)
                literals.append(literal)
                i = literal.end
            else:
                i = j
            continue
        if c == "\n":
            newline = True
        elif c == "\\" and i + 1 < n and text[i + 1] in "\r\n":
            i += 2
            continue
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            if closer is not None and depth == 0:
                return literals, i, comments, newline
            depth -= 1
        elif closer is not None and depth == 0 and c in "!:" and text[i:i + 2] != "!=":
            return literals, i, comments, newline
        i += 1
    if closer is not None:
        raise _Unterminated()
    return literals, i, comments, newline


def _scan_string(text: str, start: int, quote_at: int) -> _Literal:
    q = text[quote_at]
    quote = q * 3 if text.startswith(q * 3, quote_at) else q
    literal = _Literal(start, quote_at + len(quote), -1, text[start:quote_at], quote)
    i = literal.body
    n = len(text)
    while i < n:
        c = text[i]
        if text.startswith(quote, i):
            literal.end = i + len(quote)
            return literal
        if c == "\\":
            if literal.formatted and not literal.raw and text.startswith("N{", i + 1):
                close = text.find("}", i)
                i = close + 1 if close != -1 else n
                continue
            i += 2
            continue
        if c == "\n" and len(quote) == 1:
            raise _Unterminated()
        if literal.formatted and c == "{":
            if text.startswith("{{", i):
                i += 2
                continue
            i = _scan_field(text, i + 1, literal)
            continue
        i += 1
    raise _Unterminated()


def _scan_field(text: str, i: int, literal: _Literal) -> int:
    """A replacement field from after its ``{``; returns the index after its ``}``."""
    found, i, comments, newline = _scan_code(text, i, "}")
    literal.children.extend(found)
    literal.comments.extend(comments)
    literal.multiline_field = literal.multiline_field or newline
    if text[i] == "!":
        i += 2
    if i < len(text) and text[i] == ":":
        i += 1
        while i < len(text) and text[i] != "}":  # the format spec: text and nested fields
            if text[i] == "{":
                i = _scan_field(text, i + 1, literal)
                continue
            if text[i] == "\n" and len(literal.quote) == 1:
                raise _Unterminated()
            i += 1
    if i >= len(text):
        raise _Unterminated()
    return i + 1


def _lower_formatted(text: str, literal: _Literal, enclosing: Set[str], nested: bool,
                     running: Tuple[int, int], edits: List[Edit]) -> None:
    """Edits that make one f-string (and the literals in its fields) valid for 3.8-3.11."""
    if running < (3, 14) and any(c in "tT" for c in literal.prefix):
        at = literal.start + next(k for k, c in enumerate(literal.prefix) if c in "tT")
        edits.append(Edit(at, at + 1, "f" if text[at] == "t" else "F"))
    if running >= (3, 12):
        return
    quote = literal.quote
    if literal.multiline_field and len(quote) == 1 and not nested:
        quote = quote * 3
        edits.append(Edit(literal.body - 1, literal.body, quote))
        edits.append(Edit(literal.end - 1, literal.end, quote))
    for start, end in literal.comments:
        edits.append(Edit(start, end, " " * (end - start)))
    inner = enclosing | {quote[0]}
    for child in literal.children:
        _lower_nested(text, child, inner, running, edits)


def _lower_nested(text: str, literal: _Literal, enclosing: Set[str], running: Tuple[int, int],
                  edits: List[Edit]) -> None:
    """A literal inside an f-string's field: 3.11 forbids the enclosing quotes and backslashes."""
    free = [q for q in _QUOTES if q not in enclosing]
    quote = literal.quote if literal.quote[0] in free else (free[0] * len(literal.quote) if free else "")
    if not quote:
        return  # no quote left: nothing older parses this, the original error stands
    if quote != literal.quote:
        edits.append(Edit(literal.body - len(quote), literal.body, quote))
        edits.append(Edit(literal.end - len(quote), literal.end, quote))
    if literal.formatted:
        _lower_formatted(text, literal, enclosing, nested=True, running=running, edits=edits)
        spans = _literal_spans(literal)
    else:
        spans = [(literal.body, literal.end - len(quote))]
    for start, end in spans:
        part = text[start:end]
        cleaned = "".join("x" if ch == "\\" or ch in _QUOTES else ch for ch in part)
        if cleaned != part:
            edits.append(Edit(start, end, cleaned))


def _literal_spans(literal: _Literal) -> List[Tuple[int, int]]:
    """The text parts of an f-string: its body less its fields' nested literals and comments
    (edited on their own)."""
    spans, at = [], literal.body
    holes = sorted([(c.start, c.end) for c in literal.children] + literal.comments)
    for start, end in holes:
        spans.append((at, start))
        at = end
    spans.append((at, literal.end - len(literal.quote)))
    return [(s, e) for s, e in spans if e > s]


# -- statements ---------------------------------------------------------------------------------

def _statement_edits(text: str, running: Tuple[int, int], target: Tuple[int, int]) -> List[Edit]:
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    starts = _line_offsets(text)

    def at(pos: Tuple[int, int]) -> int:
        return starts[pos[0] - 1] + pos[1]

    edits: List[Edit] = []
    significant = [t for t in tokens if t.type not in (tokenize.NL, tokenize.COMMENT)]
    line_start = True
    in_match: List[int] = []  # indentation depths of the match blocks being read
    depth = 0
    for k, tok in enumerate(significant):
        nxt = significant[k + 1] if k + 1 < len(significant) else None
        if tok.type == tokenize.INDENT:
            depth += 1
            continue
        if tok.type == tokenize.DEDENT:
            depth -= 1
            while in_match and in_match[-1] > depth:
                in_match.pop()
            continue
        if tok.type == tokenize.NEWLINE:
            line_start = True
            continue
        first, line_start = line_start, False
        if tok.type != tokenize.NAME or nxt is None:
            continue
        if running < (3, 13) and target >= (3, 12):  # 3.12 has type parameters, not their defaults
            if tok.string in ("def", "class") and nxt.type == tokenize.NAME:
                after = significant[k + 2] if k + 2 < len(significant) else None
                if after is not None and after.string == "[":
                    close = _matching(significant, k + 2)
                    if close is not None:
                        edits.append(_blank(text, at(after.start), at(significant[close].end)))
            elif first and tok.string == "type" and nxt.type == tokenize.NAME:
                edit = _type_alias(text, significant, k, at)
                if edit is not None:
                    edits.append(edit)
        if running < (3, 11) <= target and tok.string == "except" and nxt.string == "*":
            edits.append(Edit(at(nxt.start), at(nxt.end), " "))
        if running < (3, 10) <= target and first:
            if tok.string == "match" and _opens_block(significant, k, "case"):
                edits.append(Edit(at(tok.start), at(tok.end), "if   "))
                in_match.append(depth + 1)
            elif tok.string == "case" and in_match and in_match[-1] == depth:
                edits.extend(_case_edits(significant, k, at))
    return edits


def _line_offsets(text: str) -> List[int]:
    offsets, total = [0], 0
    for line in io.StringIO(text, newline="").readlines():
        total += len(line)
        offsets.append(total)
    return offsets


def _matching(tokens: List[tokenize.TokenInfo], k: int) -> Optional[int]:
    level = 0
    for j in range(k, len(tokens)):
        s = tokens[j].string
        if tokens[j].type == tokenize.OP and s in "([{":
            level += 1
        elif tokens[j].type == tokenize.OP and s in ")]}":
            level -= 1
            if level == 0:
                return j
    return None


def _blank(text: str, start: int, end: int) -> Edit:
    """Spaces over ``text[start:end]``; where it spans lines, each line but the last ends in a
    backslash, which joins the lines that the removed brackets held together. Line numbers, and
    the columns after the span, stay as they were."""
    lines = io.StringIO(text[start:end], newline="").readlines()
    out = []
    for line in lines:
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        out.append(" " * (len(body) - 1) + "\\" + ending if ending else " " * len(body))
    return Edit(start, end, "".join(out))


def _type_alias(text: str, tokens: List[tokenize.TokenInfo], k: int, at) -> Optional[Edit]:
    """``type X[T] = v`` into ``X        : v``: the name where ``type`` stood, ``=`` as ``:``."""
    name = tokens[k + 1]
    j = k + 2
    if j < len(tokens) and tokens[j].string == "[":
        close = _matching(tokens, j)
        if close is None:
            return None
        j = close + 1
    if j >= len(tokens) or tokens[j].string != "=":
        return None
    start, end = at(tokens[k].start), at(tokens[j].end)
    blanked = _blank(text, start, end).text
    return Edit(start, end, name.string + blanked[len(name.string):-1] + ":")


def _opens_block(tokens: List[tokenize.TokenInfo], k: int, keyword: str) -> bool:
    """Whether the logical line at ``k`` ends with ``:`` and the block it opens starts with
    ``keyword`` (a soft keyword is a statement only there)."""
    j = k
    while j < len(tokens) and tokens[j].type != tokenize.NEWLINE:
        j += 1
    if j == k or tokens[j - 1].string != ":":
        return False
    return j + 2 < len(tokens) and tokens[j + 1].type == tokenize.INDENT and tokens[j + 2].string == keyword


def _case_edits(tokens: List[tokenize.TokenInfo], k: int, at) -> List[Edit]:
    edits = [Edit(at(tokens[k].start), at(tokens[k].end), "if  ")]
    level = 0
    for j in range(k + 1, len(tokens)):
        tok = tokens[j]
        if tok.type == tokenize.NEWLINE:
            break
        if tok.type == tokenize.OP and tok.string in "([{":
            level += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            level -= 1
        elif tok.type == tokenize.NAME and tok.string == "as":
            edits.append(Edit(at(tok.start), at(tok.end), "or"))
        elif tok.type == tokenize.NAME and tok.string == "if" and level == 0:
            edits.append(Edit(at(tok.start), at(tok.end), "or"))
            break
    return edits
