"""Apply fixes with libcst in one pass, check the result re-parses, compute text edits."""

from __future__ import annotations

import ast
import difflib
from typing import Any, Dict, List, Sequence, Set, Tuple

from leaklint.files.source import split_lines
from leaklint.files.syntax import parse
from leaklint.findings import Edit, Finding, Fix
from leaklint.fixes.ops import AddImport, FixOp, NodeOp
from leaklint.fixes.select import select_fixes
from leaklint.fixes.transforms import FixError


class Parsed:
    """A text parsed by libcst once, with node positions, for any number of fixes to it."""

    def __init__(self, text: str):
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider

        self.text = text
        # libcst drops the last line ending of a file whose lines end in a lone CR: work on LF
        # and convert back (such a file holds no LF at all, so the round trip is exact)
        self.cr_only = "\r" in text and "\n" not in text
        wrapper = MetadataWrapper(cst.parse_module(text.replace("\r", "\n") if self.cr_only else text),
                                  unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.module = wrapper.module


def apply_ops(text: "str | Parsed", ops: Sequence[FixOp]) -> str:
    """Apply non-overlapping operations to ``text`` in one libcst pass. Raises on failure."""
    import libcst as cst
    from libcst.codemod import CodemodContext
    from libcst.codemod.visitors import AddImportsVisitor

    from leaklint.fixes.transforms import TRANSFORMS

    targets: Dict[Tuple[int, int, int, int], List[NodeOp]] = {}
    imports = []
    for op in ops:
        if isinstance(op, AddImport):
            imports.append((op.module, op.name or None))
        elif type(op) in TRANSFORMS:
            targets.setdefault(tuple(op.range), []).append(op)
        else:
            raise FixError(f"unknown fix operation {op!r}")
    parsed = text if isinstance(text, Parsed) else Parsed(text)
    positions = parsed.positions
    lines = [(key[0], key[2]) for key in targets]
    applied = set()

    class Transformer(cst.CSTTransformer):
        def on_visit(self, node):
            # only into nodes whose lines hold a target: a fix touches a few lines of a file
            pos = positions.get(node)
            if pos is None or isinstance(node, cst.IndentedBlock):
                return True  # a block's range starts at its first statement, after its decorators
            first, last = pos.start.line, pos.end.line
            decorators = getattr(node, "decorators", None)
            if decorators:  # above a function's or class's own range
                first = min(first, positions[decorators[0]].start.line)
            return any(start <= last and first <= end for start, end in lines)

        def on_leave(self, original, updated):
            if (isinstance(updated, cst.SimpleStatementLine) and updated.body
                    and len(updated.body) < len(original.body)):
                # `a(); b()` without `b()` must not keep the `;` that separated them
                last = updated.body[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
                updated = updated.with_changes(body=[*updated.body[:-1], last])
            pos = positions.get(original)
            if pos is None:
                return updated
            key = (pos.start.line, pos.start.column, pos.end.line, pos.end.column)
            ops_here = targets.get(key)
            if not ops_here:
                return updated
            result = updated
            for op in ops_here:
                node_types, transform = TRANSFORMS[type(op)]
                if not isinstance(original, node_types) or id(op) in applied:
                    continue
                result = transform(result, op)
                applied.add(id(op))
            return result

    new_module = parsed.module.visit(Transformer()) if targets else parsed.module
    missing = [op for ops_list in targets.values() for op in ops_list if id(op) not in applied]
    if missing:
        raise FixError(f"no node at {missing[0].range} for {missing[0].kind}")
    if imports:
        context = CodemodContext()
        for module_name, name in imports:
            AddImportsVisitor.add_needed_import(context, module_name, name)
        new_module = AddImportsVisitor(context).transform_module(new_module)
    if targets:
        orphaned = _unread_imports(new_module.code) - _unread_imports(parsed.module.code)
        if orphaned:
            new_module = _without_imports(new_module, orphaned)
    return new_module.code.replace("\n", "\r") if parsed.cr_only else new_module.code


def _unread_imports(code: str) -> Set[str]:
    """Names bound by an import that no expression of ``code`` reads (a string that spells one,
    as in ``__all__``, counts as a read)."""
    try:
        tree = parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    bound: Set[str] = set()
    read: Set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update(a.asname or a.name.split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, ast.Name):
            read.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            read.add(node.value)
    return bound - read


def _without_imports(module: Any, names: Set[str]) -> Any:
    """``module`` less the import aliases that bind ``names`` (a fix took their last use), and
    less an import statement left with none."""
    import libcst as cst
    from libcst.helpers import get_full_name_for_node

    def binds(alias: "cst.ImportAlias") -> str:
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            return alias.asname.name.value
        return (get_full_name_for_node(alias.name) or "").split(".")[0]

    def keep(updated: Any) -> Any:
        if isinstance(updated.names, cst.ImportStar):
            return updated
        kept = [a for a in updated.names if binds(a) not in names]
        if len(kept) == len(updated.names):
            return updated
        if not kept:
            return cst.RemoveFromParent()
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
        return updated.with_changes(names=kept)

    class Remover(cst.CSTTransformer):
        def leave_Import(self, original: Any, updated: Any) -> Any:
            return keep(updated)

        def leave_ImportFrom(self, original: Any, updated: Any) -> Any:
            return keep(updated)

    return module.visit(Remover())


def reparses(text: str) -> bool:
    try:
        parse(text)  # in the newest grammar: the file may be written for a newer Python
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def fix_text(text: str, findings: Sequence[Finding], unsafe: bool) -> Tuple[str, List[Finding], List[Tuple[Finding, str]]]:
    """Apply the chosen fixes together; when that fails, fall back to one fix at a time so one
    bad fix costs only itself. Returns the new text, the applied and the failed findings."""
    chosen = select_fixes(findings, unsafe)
    if not chosen:
        return text, [], []
    ops_of = {id(f): f.fix.ops for f in chosen if f.fix is not None}  # every chosen finding has one
    all_ops = [op for f in chosen for op in ops_of[id(f)]]
    try:
        new = apply_ops(text, all_ops)
        if reparses(new):
            return new, chosen, []
    except Exception:  # libcst raises many types; fall back below
        pass
    applied: List[Finding] = []
    failed: List[Tuple[Finding, str]] = []
    current = text
    for finding in chosen:
        try:
            candidate = apply_ops(current, ops_of[id(finding)])
        except Exception as exc:
            # one line: the reason becomes a finding's message (libcst's errors span several)
            first = next((line for line in str(exc).splitlines() if line.strip()), "")
            failed.append((finding, f"{type(exc).__name__}: {first}"))
            continue
        if not reparses(candidate):
            failed.append((finding, "the fixed code would not parse"))
            continue
        current = candidate
        applied.append(finding)
    return current, applied, failed


def edits_between(old: str, new: str) -> Tuple[Edit, ...]:
    """Minimal replacements turning ``old`` into ``new`` (1-based lines and columns)."""
    old_lines = split_lines(old)
    new_lines = split_lines(new)
    edits: List[Edit] = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a = "".join(old_lines[i1:i2])
        b = "".join(new_lines[j1:j2])
        prefix = 0
        while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
            prefix += 1
        suffix = 0
        while suffix < min(len(a), len(b)) - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]:
            suffix += 1
        start = _advance(i1 + 1, 1, a[:prefix])
        end = _advance(i1 + 1, 1, a[: len(a) - suffix])
        edits.append(Edit(start[0], start[1], end[0], end[1], b[prefix : len(b) - suffix]))
    return tuple(edits)


def _advance(line: int, col: int, text: str) -> Tuple[int, int]:
    newlines = text.count("\n")
    if newlines:
        return line + newlines, len(text) - text.rfind("\n")
    return line, col + len(text)


def with_edits(text: "str | Parsed", finding: Finding) -> Finding:
    """The finding with its fix's concrete edits, computed by applying that fix alone (to a text
    parsed once for all the fixes of its file)."""
    fix = finding.fix
    if fix is None or fix.edits:
        return finding
    try:
        parsed = text if isinstance(text, Parsed) else Parsed(text)
        text = parsed.text
        new = apply_ops(parsed, fix.ops)
    except Exception:
        return finding
    if not reparses(new):
        return finding
    edits = edits_between(text, new)
    return Finding(finding.path, finding.line, finding.column, finding.end_line, finding.end_column,
                   finding.code, finding.message, Fix(fix.description, fix.safety, fix.ops, edits),
                   finding.fingerprint)
