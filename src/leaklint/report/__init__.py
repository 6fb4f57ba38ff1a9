"""Formatters: findings in, text out. They compute nothing about code."""

from __future__ import annotations

from typing import Callable, Dict

from leaklint.report import github, json_format, sarif, text

FORMATTERS: Dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": json_format.render,
    "github": github.render,
    "sarif": sarif.render,
}
