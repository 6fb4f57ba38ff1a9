"""Analyse one file: read once, parse once with ``ast``, build the model, run every checker over
the node index in one pass. Pure with respect to the rest of the run: it returns a ``FileResult``
that the analyse step (``leaklint.run.analyse``) caches, merges and reports."""

from __future__ import annotations

import ast
import time
import traceback
from fnmatch import fnmatch
from typing import Any, Dict, List, Optional, Sequence

from leaklint.analysis.context import FileContext
from leaklint.analysis.noqa import skips_file
from leaklint.analysis.results import FileResult, project_deps
from leaklint.cache.digest import digest_of
from leaklint.checks import make_checkers
from leaklint.config.catalogue import Catalogue
from leaklint.config.settings import Settings
from leaklint.files.source import Source, SourceError, decode, read_source
from leaklint.findings import Finding
from leaklint.semantic.inference import SPENT as ASTROID_SPENT
from leaklint.semantic.model import Model, module_summary
from leaklint.files.syntax import parse, syntax_hint


def analyse_file(path: str, display: str, settings: Settings, catalogue: Catalogue,
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
            result.findings.append(_internal_error(display, checker, exc))
            result.cacheable = False
        _safe_summary(checker, ctx, result, display)
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


def _safe_summary(checker: Any, ctx: FileContext, result: FileResult, display: str) -> None:
    try:
        facts = checker.summarize(ctx)
    except Exception as exc:
        result.findings.append(_internal_error(display, checker, exc))
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
        result.findings.append(_diagnostic(path, code, message, line, col))


def _diagnostic(path: str, code: str, message: str, line: int, col: int) -> Finding:
    return Finding(path, max(line, 1), max(col, 1), max(line, 1), max(col, 1), code, message)


def _internal_error(path: str, checker: Any, exc: BaseException) -> Finding:
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {frame.filename.rsplit('/', 1)[-1]}:{frame.lineno}" if frame else ""
    codes = ",".join(checker.codes) or checker.family
    return Finding(path, 1, 1, 1, 1, "LL002",
                   f"internal error in {checker.family} rules ({codes}): {type(exc).__name__}: {exc}{where}")
