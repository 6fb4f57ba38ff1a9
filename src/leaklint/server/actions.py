"""Code actions: a quick fix per fixable finding, the file's safe fixes together
(``source.fixAll.leaklint``), and a ``# noqa`` comment for the line of a finding."""

from __future__ import annotations

import io
import tokenize
from typing import List, Optional, Sequence, Tuple

from lsprotocol import types

from leaklint.server import adapter
from leaklint.server.diagnostics import Lines

FIX_ALL = "source.fixAll.leaklint"
KINDS = (types.CodeActionKind.QuickFix, FIX_ALL)


def wanted(kind: str, only: Optional[Sequence[str]]) -> bool:
    """Whether the client asked for actions of ``kind`` (``source.fixAll`` covers ours)."""
    return not only or any(kind == k or kind.startswith(k + ".") for k in only)


def edit_of(uri: str, version: Optional[int], edits: List[types.TextEdit], versioned: bool) -> types.WorkspaceEdit:
    if versioned:
        document = types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version)
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={uri: edits})


def fix_title(finding: adapter.Finding) -> str:
    assert finding.fix is not None
    title = f"{finding.fix.description} ({finding.code})"
    return title if finding.fix.safety == adapter.Safety.SAFE else f"{title} (unsafe fix)"


def quick_fixes(fixed: Sequence[Tuple[types.Diagnostic, adapter.Finding, Sequence[adapter.Edit]]], text: str,
                encoding: str, uri: str, version: Optional[int], versioned: bool) -> List[types.CodeAction]:
    lines = Lines(text, encoding)
    return [types.CodeAction(
        title=fix_title(finding), kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
        is_preferred=finding.fix is not None and finding.fix.safety == adapter.Safety.SAFE,
        edit=edit_of(uri, version, [lines.text_edit(e) for e in edits], versioned),
    ) for diagnostic, finding, edits in fixed]


def fix_all_action(text: str, fixed_text: str, unsafe: bool, encoding: str, uri: str, version: Optional[int],
                   versioned: bool) -> types.CodeAction:
    """What ``leaklint check --fix`` would make of the file (with ``unsafe-fixes`` when configured)."""
    lines = Lines(text, encoding)
    edits = [lines.text_edit(e) for e in adapter.edits_between(text, fixed_text)]
    title = "Fix all leaklint findings" + (" (unsafe fixes included)" if unsafe else " with safe fixes")
    return types.CodeAction(title=title, kind=FIX_ALL, edit=edit_of(uri, version, edits, versioned))


def noqa_edit(text: str, line: int, code: str) -> Optional[adapter.Edit]:
    """The edit adding ``code`` to line ``line``'s ``# noqa`` comment (1-based), or appending one;
    ``None`` when the line is suppressed already or a comment cannot end it."""
    lines = adapter.split_lines(text)
    if not 1 <= line <= len(lines):
        return None
    raw = lines[line - 1]
    body = raw.rstrip("\r\n")
    codes = adapter.parse_noqa(body)
    if codes is not None and (not codes or any(code.startswith(c) for c in codes)):
        return None
    match = adapter.NOQA_RE.search(body) if codes is not None else None
    if match is not None:
        merged = "# noqa: " + ", ".join(list(codes or ()) + [code])
        return adapter.Edit(line, match.start() + 1, line, match.end() + 1, merged)
    if body.rstrip().endswith("\\") or _line_ends_in_string(text, line):
        return None
    stripped = body.rstrip()
    return adapter.Edit(line, len(stripped) + 1, line, len(body) + 1, f"  # noqa: {code}")


def _line_ends_in_string(text: str, line: int) -> bool:
    """Whether line ``line`` ends inside a string literal (a triple-quoted one goes on)."""
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.start[0] > line:
                return False
            if token.start[0] <= line < token.end[0] and token.type not in (tokenize.NL, tokenize.NEWLINE):
                return True
    except (tokenize.TokenError, SyntaxError):
        return True
    return False


def noqa_actions(found: Sequence[Tuple[types.Diagnostic, adapter.Finding]], text: str, encoding: str,
                 uri: str, version: Optional[int], versioned: bool) -> List[types.CodeAction]:
    lines = Lines(text, encoding)
    actions: List[types.CodeAction] = []
    seen = set()
    for diagnostic, finding in found:
        key = (finding.line, finding.code)
        if finding.code in adapter.CORE_CODES or key in seen:
            continue
        seen.add(key)
        edit = noqa_edit(text, finding.line, finding.code)
        if edit is None:
            continue
        actions.append(types.CodeAction(
            title=f"Disable {finding.code} for this line", kind=types.CodeActionKind.QuickFix,
            diagnostics=[diagnostic], edit=edit_of(uri, version, [lines.text_edit(edit)], versioned)))
    return actions
