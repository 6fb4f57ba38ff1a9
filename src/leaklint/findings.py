"""Findings are plain frozen values; everything after analysis only reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional, Tuple

from leaklint.fixes.ops import FixOp, op_from_list, op_to_list


class Safety(str, Enum):
    """Whether ``--fix`` applies a fix (safe) or only ``--fix --unsafe-fixes`` does."""

    SAFE = "safe"
    UNSAFE = "unsafe"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions; columns count characters."""

    line: int
    column: int
    end_line: int
    end_column: int
    content: str

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "content": self.content,
        }


@dataclass(frozen=True)
class Fix:
    """A fix as found by a rule.

    ``ops`` describe the change declaratively (see ``leaklint.fixes.ops``); the concrete
    ``edits`` are computed with libcst only when a fix is applied or shown.
    """

    description: str
    safety: Safety
    ops: Tuple[FixOp, ...]
    edits: Tuple[Edit, ...] = ()

    def to_dict(self) -> dict:
        return {
            "description": self.description,
            "safety": self.safety.value,
            "ops": [op_to_list(op) for op in self.ops],
            "edits": [e.to_dict() for e in self.edits],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Fix":
        return cls(
            description=data["description"],
            safety=Safety(data["safety"]),
            ops=tuple(op_from_list(op) for op in data["ops"]),
            edits=tuple(Edit(**e) for e in data.get("edits", ())),
        )


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    column: int  # 1-based, in characters
    end_line: int
    end_column: int  # 1-based, exclusive
    code: str
    message: str
    fix: Optional[Fix] = field(default=None, compare=False)
    fingerprint: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple:
        return (self.path, self.line, self.column, self.code, self.message)

    def to_dict(self) -> dict:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "code": self.code,
            "message": self.message,
            "fix": self.fix.to_dict() if self.fix else None,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        fix = data.get("fix")
        return cls(
            path=data["path"],
            line=data["line"],
            column=data["column"],
            end_line=data["end_line"],
            end_column=data["end_column"],
            code=data["code"],
            message=data["message"],
            fix=Fix.from_dict(fix) if fix else None,
            fingerprint=data.get("fingerprint", ""),
        )
