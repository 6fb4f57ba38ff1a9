"""Warnings that mean a leak: ResourceWarning and 'coroutine ... was never awaited'."""

from __future__ import annotations

import warnings
from typing import Iterator

from leaklint.testing._sites import object_site


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


def describe(message: warnings.WarningMessage) -> str:
    text = f"{message.category.__name__}: {message.message}"
    site = object_site(message.source) if message.source is not None else None
    if site is not None:
        text += f", allocated at {site}"
    return text
