"""Baselines: record the findings a codebase has today so that only new ones are reported.

An entry is keyed by path, code and the finding's fingerprint (a hash of the code, the enclosing
function and the statement's normalized text), never by line number, so it survives edits
elsewhere in the file. A count per key lets a function hold the same hazard twice: a third copy
is new.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Dict, Iterable, List, Sequence, Tuple

from leaklint.findings import Finding

FORMAT_VERSION = 1
# conditions of one run rather than of the code; recording them would hide the next failure
NOT_RECORDED = ("LL002", "LL003")

Key = Tuple[str, str, str]


class BaselineError(Exception):
    """The baseline file cannot be read or is not a leaklint baseline."""


def _relative(path: str, base_dir: str) -> str:
    """Paths are stored relative to the baseline file, so it works from any working directory."""
    absolute = os.path.realpath(path)
    try:
        rel = os.path.relpath(absolute, os.path.realpath(base_dir))
    except ValueError:  # another drive on Windows
        rel = absolute
    return rel.replace(os.sep, "/")


def _key(finding: Finding, base_dir: str) -> Key:
    return (_relative(finding.path, base_dir), finding.code, finding.fingerprint)


def write_baseline(findings: Sequence[Finding], path: str) -> int:
    """Write the baseline; returns how many findings it records."""
    base_dir = os.path.dirname(os.path.abspath(path))
    counts: Counter = Counter()
    messages: Dict[Key, str] = {}
    for f in findings:
        if f.code in NOT_RECORDED:
            continue
        key = _key(f, base_dir)
        counts[key] += 1
        messages.setdefault(key, f.message)
    entries = [
        # the message is for people reading the file in review; matching ignores it
        {"path": p, "code": c, "fingerprint": fp, "count": counts[(p, c, fp)], "message": messages[(p, c, fp)]}
        for p, c, fp in sorted(counts)
    ]
    data = {"leaklint-baseline": FORMAT_VERSION, "findings": entries}
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    return sum(counts.values())


def load_baseline(path: str) -> Counter:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise BaselineError(f"{path}: baseline not found (create it with --write-baseline {path})") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("leaklint-baseline") != FORMAT_VERSION \
            or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a leaklint baseline (expected {{\"leaklint-baseline\": "
                            f"{FORMAT_VERSION}, \"findings\": [...]}})")
    counts: Counter = Counter()
    for i, entry in enumerate(data["findings"]):
        try:
            key = (str(entry["path"]), str(entry["code"]), str(entry["fingerprint"]))
            count = int(entry.get("count", 1))
        except (KeyError, TypeError, ValueError):
            raise BaselineError(f"{path}: findings[{i}]: expected path, code, fingerprint and count") from None
        counts[key] += count
    return counts


def new_findings(findings: Iterable[Finding], recorded: Counter, baseline_path: str) -> List[Finding]:
    """The findings the baseline does not account for, in their original order."""
    base_dir = os.path.dirname(os.path.abspath(baseline_path))
    remaining = Counter(recorded)
    out: List[Finding] = []
    for f in findings:
        key = _key(f, base_dir)
        if f.code not in NOT_RECORDED and remaining[key] > 0:
            remaining[key] -= 1
            continue
        out.append(f)
    return out
