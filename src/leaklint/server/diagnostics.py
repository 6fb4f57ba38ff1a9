"""Findings as LSP diagnostics, edits as LSP text edits: positions in the negotiated encoding
(UTF-16 unless the client asked otherwise)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Sequence

from lsprotocol import types

from leaklint.server import adapter

SOURCE = "leaklint"
# where each rule's documentation (what ``leaklint rule CODE`` prints) is published
RULE_DOC_URL = "https://github.com/leaklint/leaklint/blob/main/docs/rules/{code}.md"


class Lines:
    """A text's lines, converting leaklint's 1-based character columns into LSP positions."""

    def __init__(self, text: str, encoding: str = types.PositionEncodingKind.Utf16):
        self.lines = adapter.split_lines(text)
        self.encoding = encoding

    def position(self, line: int, column: int) -> types.Position:
        """``line`` and ``column`` 1-based, the column counting characters."""
        index = max(line, 1) - 1
        if index >= len(self.lines):  # the end of a file that ends with a line break
            return types.Position(line=len(self.lines), character=0)
        text = self.lines[index].rstrip("\r\n")
        prefix = text[: max(column, 1) - 1]
        return types.Position(line=index, character=self._units(prefix))

    def _units(self, prefix: str) -> int:
        if prefix.isascii() or self.encoding == types.PositionEncodingKind.Utf32:
            return len(prefix)
        if self.encoding == types.PositionEncodingKind.Utf8:
            return len(prefix.encode("utf-8", "surrogatepass"))
        return len(prefix.encode("utf-16-le", "surrogatepass")) // 2

    def range(self, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        return types.Range(start=self.position(line, column), end=self.position(end_line, end_column))

    def text_edit(self, edit: adapter.Edit) -> types.TextEdit:
        return types.TextEdit(range=self.range(edit.line, edit.column, edit.end_line, edit.end_column),
                              new_text=edit.content)


def rule_doc_url(code: str) -> str:
    return RULE_DOC_URL.format(code=code)


def to_diagnostic(finding: adapter.Finding, lines: Lines, version: Optional[int], uri: str) -> types.Diagnostic:
    return types.Diagnostic(
        range=lines.range(finding.line, finding.column, finding.end_line, finding.end_column),
        message=finding.message,
        severity=types.DiagnosticSeverity.Warning,
        code=finding.code,
        code_description=types.CodeDescription(href=rule_doc_url(finding.code)),
        source=SOURCE,
        related_information=related_information(finding, lines, uri),
        data=diagnostic_data(finding, version),
    )


def diagnostic_data(finding: adapter.Finding, version: Optional[int]) -> Dict[str, Any]:
    """What a code action needs of the finding: the finding itself (with its fix's operations) and
    the version of the text it was found in (a fix for another version would land elsewhere)."""
    return {"finding": adapter.finding_to_data(finding), "version": version}


def related_information(finding: adapter.Finding, lines: Lines,
                        uri: str) -> Optional[List[types.DiagnosticRelatedInformation]]:
    """The finding's related locations, for findings that carry them (``related``: items with a
    ``path`` (empty for the finding's own file), 1-based ``line``/``column`` and a ``message``)."""
    related = getattr(finding, "related", None)
    if not related:
        return None
    out = []
    for item in related:
        path = getattr(item, "path", "") or finding.path
        end_line, end_column = getattr(item, "end_line", item.line), getattr(item, "end_column", item.column)
        if path == finding.path:
            where, place = uri, lines.range(item.line, item.column, end_line, end_column)
        else:  # another file's text is not at hand: its columns are taken as they are
            where = _uri_of(path)
            place = types.Range(start=types.Position(line=item.line - 1, character=item.column - 1),
                                end=types.Position(line=end_line - 1, character=end_column - 1))
        out.append(types.DiagnosticRelatedInformation(location=types.Location(uri=where, range=place),
                                                      message=getattr(item, "message", "")))
    return out


def _uri_of(path: str) -> str:
    from pygls.uris import from_fs_path

    return from_fs_path(path) or path


def to_diagnostics(findings: Iterable[adapter.Finding], text: str, encoding: str, version: Optional[int],
                   uri: str) -> List[types.Diagnostic]:
    lines = Lines(text, encoding)
    return [to_diagnostic(f, lines, version, uri) for f in findings]


def text_edits(edits: Sequence[adapter.Edit], text: str, encoding: str) -> List[types.TextEdit]:
    lines = Lines(text, encoding)
    return [lines.text_edit(e) for e in edits]
