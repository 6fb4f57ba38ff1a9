"""A JSON list of findings."""

from __future__ import annotations

import json
from typing import Sequence

from leaklint.config import doc_url
from leaklint.findings import Finding


def render(findings: Sequence[Finding], **_: object) -> str:
    from leaklint.checks import rules_by_code

    rules = rules_by_code()
    out = []
    for f in findings:
        fix = None
        if f.fix is not None:
            fix = {
                "safety": f.fix.safety.value,
                "description": f.fix.description,
                "edits": [e.to_dict() for e in f.fix.edits],
            }
        out.append({
            "path": f.path, "line": f.line, "column": f.column,
            "end_line": f.end_line, "end_column": f.end_column,
            "code": f.code, "name": rules[f.code].name if f.code in rules else f.code,
            "message": f.message, "url": doc_url(f.code), "fix": fix, "fingerprint": f.fingerprint,
        })
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
