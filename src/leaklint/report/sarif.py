"""SARIF 2.1.0 for code scanning."""

from __future__ import annotations

import json
import os
from typing import Sequence
from urllib.parse import quote

from leaklint import __version__
from leaklint.config import doc_url
from leaklint.findings import Finding

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str, root: str) -> str:
    absolute = os.path.abspath(path)
    try:
        rel = os.path.relpath(absolute, root)
    except ValueError:
        rel = absolute
    if rel.startswith(".."):
        rel = absolute
    # a URI reference: spaces, non-ASCII, `%` and `#` must be percent-encoded
    # bytes, so a file name that is not valid UTF-8 keeps its exact bytes (no surrogates)
    return quote(os.fsencode(rel.replace(os.sep, "/")), safe="/")


def render(findings: Sequence[Finding], *, root: str = ".", **_: object) -> str:
    from leaklint.checks import all_rules

    rules = list(all_rules())
    index = {r.code: i for i, r in enumerate(rules)}
    driver_rules = []
    for r in rules:
        driver_rules.append({
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": r.summary},
            "help": {"text": r.render_doc(), "markdown": r.render_doc()},
            "helpUri": doc_url(r.code),
            "defaultConfiguration": {"level": "error"},
            "properties": {"family": r.family, "fix": r.fix or "none"},
        })
    results = []
    for f in findings:
        result = {
            "ruleId": f.code,
            "ruleIndex": index.get(f.code, 0),
            "level": "error",
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path, root), "uriBaseId": "%SRCROOT%"},
                    "region": {"startLine": f.line, "startColumn": f.column,
                               "endLine": f.end_line, "endColumn": f.end_column},
                }
            }],
        }
        if f.fingerprint:
            result["partialFingerprints"] = {"leaklint/v1": f.fingerprint}
        if f.fix is not None and f.fix.edits:
            result["fixes"] = [{
                "description": {"text": f"{f.fix.description} ({f.fix.safety.value})"},
                "artifactChanges": [{
                    "artifactLocation": {"uri": _uri(f.path, root), "uriBaseId": "%SRCROOT%"},
                    "replacements": [{
                        "deletedRegion": {"startLine": e.line, "startColumn": e.column,
                                          "endLine": e.end_line, "endColumn": e.end_column},
                        "insertedContent": {"text": e.content},
                    } for e in f.fix.edits],
                }],
            }]
        results.append(result)
    doc = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "leaklint", "version": __version__, "semanticVersion": __version__,
                "rules": driver_rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": "file://" + quote(os.path.abspath(root).replace(os.sep, "/"), safe="/") + "/"}},
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
