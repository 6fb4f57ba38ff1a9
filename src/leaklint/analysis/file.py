"""Analyse one file: read once, parse once with ``ast``, build the model, run every checker over
the node index in one pass. Pure with respect to the rest of the run: it returns a ``FileResult``
that the engine caches, merges and reports."""

from __future__ import annotations

import ast
import time
import traceback
from fnmatch import fnmatch
from typing import Any, Dict, List, Optional, Sequence, Tuple

from leaklint.config.catalogue import Catalogue
from leaklint.checks import make_checkers
from leaklint.config.settings import Settings
from leaklint.cache.digest import blake2b, digest_of
from leaklint.findings import Fix, Finding
from leaklint.analysis.noqa import is_suppressed, skips_file
from leaklint.analysis.results import Deferred, FileResult, project_deps
from leaklint.semantic.inference import SPENT as ASTROID_SPENT
from leaklint.semantic.model import Model, module_summary
from leaklint.files.source import Source, SourceError, decode, read_source
from leaklint.files.syntax import parse, syntax_hint


class FileContext:
    """What a checker sees of one file, and how it reports."""

    def __init__(self, path: str, source: Source, tree: ast.Module, model: Model,
                 settings: Settings, catalogue: Catalogue, extra_ignores: Sequence[str] = ()):
        self.path = path
        self.source = source
        self.tree = tree
        self.model = model
        self.settings = settings
        self.catalogue = catalogue
        self.extra_ignores = tuple(extra_ignores)
        self.findings: List[Finding] = []
        self.deferred: List[Deferred] = []
        self._enabled: Dict[str, bool] = {}

    def enabled(self, code: str) -> bool:
        known = self._enabled.get(code)
        if known is None:
            known = self._enabled[code] = self.settings.is_enabled(code, self.extra_ignores)
        return known

    def option(self, family: str, name: str) -> Any:
        return self.settings.options[family][name]

    def segment(self, node: ast.AST) -> str:
        """The node's source text. Unlike ``ast.get_source_segment``, reuses the file's split lines:
        that function re-splits the whole file per call, quadratically in the length of a line."""
        line, end_line = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        col, end_col = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if line is None or end_line is None or col is None or end_col is None:
            return ""
        lines = self.source.lines
        if not 1 <= line <= end_line <= len(lines):
            return ""
        first = lines[line - 1].encode("utf-8")
        if line == end_line:
            return first[col:end_col].decode("utf-8", errors="replace")
        last = lines[end_line - 1].encode("utf-8")
        return (first[col:].decode("utf-8", errors="replace") + "".join(lines[line:end_line - 1])
                + last[:end_col].decode("utf-8", errors="replace"))

    def position(self, node: ast.AST) -> Tuple[int, int, int, int]:
        """1-based line and column (characters), end exclusive."""
        line = node.lineno  # type: ignore[attr-defined]
        end_line = getattr(node, "end_lineno", None) or line
        col = self.source.char_column(line, node.col_offset)  # type: ignore[attr-defined]
        end_col = getattr(node, "end_col_offset", None)
        end_col = self.source.char_column(end_line, end_col) if end_col is not None else col
        return line, col + 1, end_line, end_col + 1

    def node_range(self, node: ast.AST) -> Tuple[int, int, int, int]:
        """A node's range as a fix operation names it: 1-based lines, 0-based character columns."""
        line, col, end_line, end_col = self.position(node)
        return (line, col - 1, end_line, end_col - 1)

    def make_finding(self, code: str, node: ast.AST, message: str, fix: Optional[Fix] = None) -> Optional[Finding]:
        if not self.enabled(code):
            return None
        line, col, end_line, end_col = self.position(node)
        if is_suppressed(self.source.line_text(line), code):
            return None
        return Finding(self.path, line, col, end_line, end_col, code, message, fix, self._fingerprint(code, node))

    def report(self, code: str, node: ast.AST, message: str, fix: Optional[Fix] = None) -> None:
        finding = self.make_finding(code, node, message, fix)
        if finding is not None:
            self.findings.append(finding)

    def defer(self, code: str, node: ast.AST, message: str, condition: Tuple[Any, ...],
              fix: Optional[Fix] = None) -> None:
        """Report ``code`` if ``condition`` (a resolver name and its arguments) holds once the
        whole project is indexed. ``message`` may use ``{fields}`` the resolver returns."""
        finding = self.make_finding(code, node, message, fix)
        if finding is not None:
            self.deferred.append(Deferred(finding, tuple(condition)))

    def _fingerprint(self, code: str, node: ast.AST) -> str:
        """Stable across unrelated edits: code, enclosing function and the node's normalized text."""
        func = self.model.enclosing_function(node, through_lambda=False)
        owner = getattr(func, "name", "") if func is not None else ""
        text = " ".join(self.segment(node).split()) if hasattr(node, "end_lineno") else ""
        if len(text) > 400:
            text = text[:400]
        return blake2b(f"{code}|{owner}|{text}".encode(), digest_size=8).hexdigest()


def analyse(path: str, display: str, settings: Settings, catalogue: Catalogue,
            module: str = "", is_package: bool = False, project_modules: Sequence[str] = (),
            raw: Optional[bytes] = None, timings: bool = False) -> FileResult:
    """Analyse one file. Never raises: problems become LL001/LL002 findings."""
    result = FileResult(display)
    clock = time.perf_counter
    t0 = clock()
    try:
        source = decode(display, raw) if raw is not None else read_source(path)
    except SourceError as exc:
        _add_diagnostic(result, display, "LL001", exc.message, exc.line, exc.column, settings)
        result.cacheable = False
        return result
    result.digest = digest_of(source.raw)
    t1 = clock()
    if skips_file(source.text):
        result.timings = {"read": t1 - t0}
        return result
    try:
        tree = parse(source.text, display, settings.target_version)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = exc.offset or 1
        _add_diagnostic(result, display, "LL001", f"could not parse: {exc.msg}{syntax_hint(settings.target_version)}",
                        line, col, settings)
        return result
    except (RecursionError, MemoryError, ValueError) as exc:
        msg = "too deeply nested" if isinstance(exc, (RecursionError, MemoryError)) else str(exc)
        _add_diagnostic(result, display, "LL001", f"could not parse: {msg}", 1, 1, settings)
        return result
    t2 = clock()
    return analyse_tree(tree, source, display, settings, catalogue, module, is_package, project_modules,
                        result, timings, {"read": t1 - t0, "parse": t2 - t1})


def analyse_tree(tree: ast.Module, source: Source, display: str, settings: Settings, catalogue: Catalogue,
                 module: str = "", is_package: bool = False, project_modules: Sequence[str] = (),
                 result: Optional[FileResult] = None, timings: bool = False,
                 phase: Optional[Dict[str, float]] = None) -> FileResult:
    """Run every checker over a tree already parsed from ``source``. Separate from ``analyse`` so
    hosts that have parsed the file themselves (the flake8 plugin) do not parse it twice."""
    clock = time.perf_counter
    result = result if result is not None else FileResult(display)
    phase = dict(phase or {})
    extra_ignores = [code for glob, codes in settings.per_file_ignores.items() if _glob_match(display, glob) for code in codes]
    t2 = clock()
    catalogue_returns = catalogue.section("types", "returns")
    try:
        model = Model(tree, module, is_package, project_modules, catalogue_returns)
    except RecursionError:
        _add_diagnostic(result, display, "LL001", "could not analyse: too deeply nested", 1, 1, settings)
        return result
    t3 = clock()
    ctx = FileContext(display, source, tree, model, settings, catalogue, extra_ignores)
    result.summary = module_summary(model)
    phase["model"] = t3 - t2
    astroid_before = ASTROID_SPENT[0]
    for checker in make_checkers():
        tc = clock()
        if not any(ctx.enabled(code) for code in checker.codes):
            continue
        try:
            checker.begin(ctx)
            for node_type, visit in checker.visitors().items():
                for node in model.nodes.get(node_type, ()):
                    visit(node, ctx)
            checker.end(ctx)
        except Exception as exc:  # a rule bug must not cost the other rules or files
            ctx.findings = [f for f in ctx.findings if f.code not in checker.codes]
            ctx.deferred = [d for d in ctx.deferred if d.finding.code not in checker.codes]
            result.findings.append(_internal_error(display, checker, exc, settings))
            result.cacheable = False
        _safe_summary(checker, ctx, result, display, settings)
        phase[checker.family] = phase.get(checker.family, 0.0) + clock() - tc
    result.findings.extend(ctx.findings)
    result.deferred.extend(ctx.deferred)
    result.imports = imported_modules(model)
    result.project_deps = project_deps(result.imports, model.project_modules)
    model.release()
    if timings:
        phase["astroid (in rules)"] = ASTROID_SPENT[0] - astroid_before
        result.timings = phase
    return result


def _safe_summary(checker: Any, ctx: FileContext, result: FileResult, display: str, settings: Settings) -> None:
    try:
        facts = checker.summarize(ctx)
    except Exception as exc:
        result.findings.append(_internal_error(display, checker, exc, settings))
        result.cacheable = False
        return
    for symbol, data in facts.items():
        result.summary.setdefault(symbol, {}).update(data)


def imported_modules(model: Model) -> List[str]:
    """Every module name an import of this file names (absolute, relative ones resolved)."""
    names = set()
    for scope in model.scopes.values():
        for bindings in scope.bindings.values():
            for b in bindings:
                if b.kind == "import" and b.target:
                    names.add(b.target)
    return sorted(names)


def _glob_match(path: str, glob: str) -> bool:
    path = path.replace("\\", "/")
    return fnmatch(path, glob) or fnmatch(path.rsplit("/", 1)[-1], glob) or fnmatch(path, "*/" + glob)


def _add_diagnostic(result: FileResult, path: str, code: str, message: str, line: int, col: int,
                    settings: Settings) -> None:
    # file diagnostics are on by default; an explicit `ignore = ["LL001"]` still silences them
    if settings.is_enabled(code):
        result.findings.append(_diagnostic(path, code, message, line, col, settings))


def _diagnostic(path: str, code: str, message: str, line: int, col: int, settings: Settings) -> Finding:
    return Finding(path, max(line, 1), max(col, 1), max(line, 1), max(col, 1), code, message)


def _internal_error(path: str, checker: Any, exc: BaseException, settings: Settings) -> Finding:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    codes = ",".join(checker.codes) or checker.family
    return Finding(path, 1, 1, 1, 1, "LL002",
                   f"internal error in {checker.family} rules ({codes}): {type(exc).__name__}: {exc}{where}")
