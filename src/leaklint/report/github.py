"""GitHub Actions workflow commands: one annotation per finding, at the configured level (``::error`` by default)."""

from __future__ import annotations

from typing import Sequence

from leaklint.findings import Finding


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def render(findings: Sequence[Finding], *, github_level: str = "error", **_: object) -> str:
    lines = []
    level = github_level
    for f in findings:
        props = (
            f"file={escape_property(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={escape_property('leaklint ' + f.code)}"
        )
        lines.append(f"::{level} {props}::{escape_data(f'{f.code} {f.message}')}")
    return "\n".join(lines) + ("\n" if lines else "")
