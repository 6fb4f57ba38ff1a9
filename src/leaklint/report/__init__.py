"""Formatters: findings in, text out. They compute nothing about code."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

# output format -> module of ``leaklint.report`` with its ``render``; imported when used
MODULES = {"text": "text", "json": "json_format", "github": "github", "sarif": "sarif"}


def formatter(name: str) -> Callable[..., str]:
    return import_module(f"leaklint.report.{MODULES[name]}").render  # type: ignore[no-any-return]
