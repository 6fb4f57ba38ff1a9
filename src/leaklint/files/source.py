"""Read and decode one file: encoding cookie, BOM, newline style, byte/char columns."""

from __future__ import annotations

import codecs
import io
import os
import stat
import tokenize
from dataclasses import dataclass
from typing import List, Optional

MAX_FILE_BYTES = 50 * 1024 * 1024


class SourceError(Exception):
    """The file cannot be analysed; ``line``/``column`` are 1-based when known."""

    def __init__(self, message: str, line: int = 1, column: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass
class Source:
    path: str
    raw: bytes
    text: str
    encoding: str
    bom: bool
    newline: str
    _lines: Optional[List[str]] = None

    @property
    def lines(self) -> List[str]:
        if self._lines is None:
            self._lines = split_lines(self.text)
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.lines
        if 1 <= line <= len(lines):
            return lines[line - 1]
        return ""

    def char_column(self, line: int, byte_col: int) -> int:
        """Convert an ``ast`` column (UTF-8 byte offset) into a character offset."""
        text = self.line_text(line)
        if text.isascii():
            return byte_col
        return len(text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def split_lines(text: str) -> List[str]:
    """Lines with their endings, as Python counts them: only \n, \r\n and \r end a line.
    ``str.splitlines`` also splits on form feeds and U+2028 inside strings and comments, which
    would shift every later line number."""
    return io.StringIO(text, newline="").readlines()


def detect_newline(text: str) -> str:
    idx = text.find("\n")
    if idx > 0 and text[idx - 1] == "\r":
        return "\r\n"
    if idx == -1 and "\r" in text:
        return "\r"
    return "\n"


def decode(path: str, raw: bytes) -> Source:
    if len(raw) > MAX_FILE_BYTES:  # also when the engine read the bytes itself
        raise SourceError(f"could not read: file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if b"\x00" in raw:
        pos = raw.index(b"\x00")
        line = raw.count(b"\n", 0, pos) + 1
        return_error = SourceError("could not read: file contains NUL bytes (binary file?)", line, 1)
        raise return_error
    bom = raw.startswith(codecs.BOM_UTF8)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise SourceError(f"could not decode: {exc}", getattr(exc, "lineno", None) or 1, 1) from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        line, col = 1, 1
        if isinstance(exc, UnicodeDecodeError):
            line = raw.count(b"\n", 0, exc.start) + 1
            col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(f"could not decode as {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}", line, col) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Source(path=path, raw=raw, text=text, encoding=encoding, bom=bom, newline=detect_newline(text))


def read_source(path: str) -> Source:
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode) and not os.path.isdir(path):
            raise SourceError("could not read: not a regular file")  # a FIFO or device would block
        if info.st_size > MAX_FILE_BYTES:  # refuse before reading it
            raise SourceError(f"could not read: file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        with open(path, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        if os.path.islink(path):
            raise SourceError("could not read: broken symbolic link") from None
        raise SourceError("could not read: file vanished before it was read") from None
    except IsADirectoryError:
        raise SourceError("could not read: is a directory") from None
    except OSError as exc:
        raise SourceError(f"could not read: {exc.strerror or exc}") from None
    return decode(path, raw)
