"""Warnings that mean a leak: ResourceWarning and 'coroutine ... was never awaited'."""

from __future__ import annotations

import warnings
from typing import Iterator

from leaklint.testing._sites import Site, display_path, is_library, object_site


def is_leak(message: warnings.WarningMessage) -> bool:
    if issubclass(message.category, ResourceWarning):
        return True
    return issubclass(message.category, RuntimeWarning) and "was never awaited" in str(message.message)


class Capture:
    """Records every warning while open; gives back the ones that are not leaks when closed."""

    def __init__(self) -> None:
        self._context = warnings.catch_warnings(record=True)
        self.log: list[warnings.WarningMessage] = []

    def __enter__(self) -> Capture:
        self.log = self._context.__enter__()
        # the filters outside still decide about every other warning
        warnings.filterwarnings("always", category=ResourceWarning)
        warnings.filterwarnings("always", message=r".*was never awaited", category=RuntimeWarning)
        return self

    def __exit__(self, *exc: object) -> None:
        self._context.__exit__(*exc)
        for message in self.log:
            if not is_leak(message):
                try:
                    warnings.warn_explicit(message.message, message.category, message.filename,
                                           message.lineno, source=message.source)
                except Warning:  # a filter turned it into an error where it is re-emitted
                    pass

    def leaks(self, start: int = 0, stop: int | None = None) -> Iterator[warnings.WarningMessage]:
        return (m for m in self.log[start:stop] if is_leak(m))


def _origin(source: object) -> Site | None:
    """Where a coroutine was created (coroutine origin tracking is on while the checks run)."""
    for filename, lineno, _name in getattr(source, "cr_origin", None) or ():
        if not is_library(filename):
            return Site(filename, lineno)
    return None


def describe(message: warnings.WarningMessage) -> str:
    text = f"{message.category.__name__}: {str(message.message).splitlines()[0]}"
    source = message.source
    site = (object_site(source) or _origin(source)) if source is not None else None
    if site is not None:
        text += f", allocated at {site}"
    elif not is_library(message.filename):
        text += f", reported at {display_path(message.filename)}:{message.lineno}"
    return text
