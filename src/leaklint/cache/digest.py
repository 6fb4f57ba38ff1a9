"""``blake2b``, the one digest leaklint uses (content hashes, cache keys, fingerprints).

``hashlib`` loads OpenSSL when imported, a few milliseconds of every run, to offer algorithms
leaklint never uses; CPython's own BLAKE2 module is what ``hashlib.blake2b`` is anyway."""

try:
    from _blake2 import blake2b
except ImportError:  # an interpreter without CPython's module
    from hashlib import blake2b

__all__ = ["blake2b", "digest_of"]


def digest_of(raw: bytes) -> str:
    """A file's content digest, as the cache keys it."""
    return blake2b(raw, digest_size=16).hexdigest()
