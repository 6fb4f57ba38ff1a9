"""Write a fixed file atomically, keeping its encoding, BOM, newlines and permissions, and never
over a file that changed since it was read."""

from __future__ import annotations

import codecs
import os
import stat
import tempfile

from leaklint.cache.digest import digest_of
from leaklint.files.source import Source


class WriteError(Exception):
    pass


def encode_like(source: Source, text: str) -> bytes:
    data = text.encode(source.encoding)
    if source.bom and not data.startswith(codecs.BOM_UTF8):
        data = codecs.BOM_UTF8 + data
    return data


def write_atomic(path: str, source: Source, new_text: str, read_only_too: bool = False) -> None:
    """Replace ``path`` by ``new_text``; a read-only file (no write permission bit, or none for
    this user) is refused unless ``read_only_too``: its owner marked it not to be changed, and an
    atomic replace in a writable folder would change it anyway."""
    try:
        data = encode_like(source, new_text)
    except UnicodeEncodeError as exc:
        raise WriteError(f"the fixed text cannot be encoded as {source.encoding}: {exc.reason}") from None
    try:
        with open(path, "rb") as handle:
            current = handle.read()
    except OSError as exc:
        raise WriteError(f"cannot re-read before writing: {exc.strerror}") from None
    if digest_of(current) != digest_of(source.raw):
        raise WriteError("the file changed on disk since it was read; not overwritten")
    real = os.path.realpath(path)
    directory = os.path.dirname(real) or "."
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError as exc:
        raise WriteError(f"cannot re-read before writing: {exc.strerror}") from None
    # the mode bits count for root too, who may write anyway
    if not read_only_too and (not mode & 0o222 or not os.access(real, os.W_OK)):
        raise WriteError("the file is read-only; left as it is (`--fix-read-only` writes it anyway)")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".leaklint-", suffix=".tmp")
    except OSError as exc:
        raise WriteError(f"cannot create a temporary file: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except OSError as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise WriteError(f"cannot write: {exc.strerror}") from None
