"""What the run-time checks look for."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    THREADS = "threads"
    TASKS = "tasks"
    FDS = "fds"
    PROCESSES = "processes"
    WARNINGS = "warnings"


@dataclass(frozen=True)
class Leak:
    kind: Kind
    text: str  # one line, starting with what leaked: "thread 'uploader' (target upload_loop) ..."

    def __str__(self) -> str:
        return f"leaked {self.text}"
