"""Everything the server asks of leaklint's configuration, engine and fixes, in one module: the
server checks a buffer exactly as ``leaklint check`` checks a file (``analyse`` then the deferred
findings against the project index), and fixes it with the same fix loop as ``--fix``."""

from __future__ import annotations

import multiprocessing
import os
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from leaklint.analysis.file import analyse_file
from leaklint.analysis.noqa import NOQA_RE, parse_noqa
from leaklint.config.catalogue import Catalogue
from leaklint.config.settings import CONFIG_FILES, ConfigError, Settings, default_options, load_settings
from leaklint.files.discovery import DiscoveryError, discover, module_name_for
from leaklint.files.source import split_lines
from leaklint.findings import Edit, Finding, Safety
from leaklint.fixes.apply import Parsed, edits_between, with_edits
from leaklint.fixes.select import without_displaced_fixes
from leaklint.fixes.session import fix_one
from leaklint.run.analyse import Job, RunResult, analyse_jobs, resolve_deferred
from leaklint.semantic.project import ProjectIndex

__all__ = [
    "CONFIG_FILES", "Safety", "Edit", "Finding", "NOQA_RE", "parse_noqa", "split_lines", "edits_between",
    "FolderConfig", "ProjectState", "BufferCheck", "load_folder_config", "index_folder", "index_folder_apart",
    "stop_indexing", "module_of",
    "check_buffer", "summarise_file", "fixed_edits", "fix_all", "finding_to_data", "finding_from_data",
    "CORE_CODES", "INTERNAL_ERROR",
]

# diagnostics about the file or the tool itself, not about a line of code
CORE_CODES = frozenset({"LL001", "LL002", "LL003"})
INTERNAL_ERROR = "LL002"
NOT_PARSED = "LL001"
CODING_RE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


@dataclass
class FolderConfig:
    """A folder's settings as ``leaklint check`` run in it would find them; ``error`` says why the
    defaults are used instead."""

    settings: Settings
    catalogue: Catalogue
    error: Optional[str] = None

    @property
    def fingerprint(self) -> str:
        return self.settings.fingerprint()

    @property
    def unsafe_fixes(self) -> bool:
        return self.settings.unsafe_fixes


def load_folder_config(folder: str) -> FolderConfig:
    """The nearest ``.leaklint.toml`` / ``leaklint.toml`` / ``pyproject.toml`` at or above ``folder``."""
    error = None
    try:
        settings = load_settings(None, folder)
    except ConfigError as exc:
        error = str(exc)
        settings = Settings(options=default_options())
    if settings.config_path is None:
        settings.root = os.path.realpath(folder)
    return FolderConfig(settings, Catalogue(settings.catalogue_extensions), error)


@dataclass
class ProjectState:
    """A folder's project as on disk: each module's summary in the index and the project modules
    each module imports."""

    index: ProjectIndex = field(default_factory=ProjectIndex)
    deps: Dict[str, Set[str]] = field(default_factory=dict)
    files: int = 0

    @property
    def modules(self) -> Tuple[str, ...]:
        return tuple(sorted(self.index.modules))


def index_folder(folder: str, config: FolderConfig, jobs: int = 0) -> ProjectState:
    """Check every file of ``folder`` as ``leaklint check`` does (through its cache, with names
    relative to the folder, as a run from there records them) and keep what the index needs."""
    settings = config.settings
    exclude = tuple(settings.exclude) + tuple(settings.extend_exclude)
    try:
        paths = list(discover([folder], exclude, settings.root))
    except DiscoveryError:
        paths = []
    work = [Job(path=p, display=os.path.relpath(p, folder)) for p in paths]
    packages: Dict[str, str] = {}
    for job in work:
        job.module, job.is_package = module_name_for(job.path, packages)
    result: RunResult = analyse_jobs(work, settings, workers=jobs, use_cache=True)
    state = ProjectState(files=len(work))
    state.index = result.index if result.index is not None else ProjectIndex()
    for job in work:
        file_result = result.results.get(job.display)
        if job.module and file_result is not None:
            state.deps[job.module] = set(file_result.project_deps)
    return state


def index_folder_apart(folder: str, config: FolderConfig) -> ProjectState:
    """``index_folder`` in a fresh interpreter. The engine forks its workers, and a fork of the
    server (whose other threads may hold a lock at that moment) could hang; the new process is
    single-threaded, forks safely, and takes the memory of the whole run with it when it ends."""
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_index_and_send, args=(folder, config.settings, send),
                              name="leaklint-index")
    process.start()
    INDEXING.add(process)
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        raise RuntimeError(f"the process indexing {folder} ended with status {process.exitcode}") from None
    finally:
        receive.close()
        process.join()
        INDEXING.discard(process)
    if not ok:
        raise RuntimeError(value)
    return value


# processes building an index now: ended with the server
INDEXING: Set["multiprocessing.process.BaseProcess"] = set()


def stop_indexing() -> None:
    for process in list(INDEXING):
        process.terminate()


def _index_and_send(folder: str, settings: Settings, send) -> None:
    os.dup2(2, 1)  # stdout is the protocol's: nothing of this process may write there
    try:
        state = index_folder(folder, FolderConfig(settings, Catalogue(settings.catalogue_extensions)))
        send.send((True, state))
    except Exception as exc:
        send.send((False, f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def module_of(path: str) -> Tuple[str, bool]:
    """The module name a file has in its project (from its packages' ``__init__.py``)."""
    return module_name_for(path)


@dataclass
class BufferCheck:
    """The findings for one text of one file, and what it tells the project index."""

    findings: List[Finding]
    internal_errors: List[Finding]
    summary: Optional[Dict[str, Any]]  # ``None`` when the text did not parse
    deps: Set[str]


def _encoded(text: str) -> bytes:
    """The bytes a file holding ``text`` would have, in the encoding its coding cookie names."""
    encoding = "utf-8"
    for line in text.splitlines()[:2]:
        match = CODING_RE.match(line)
        if match:
            encoding = match.group(1)
            break
    try:
        return text.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return text.encode("utf-8", "surrogatepass")


def check_buffer(path: str, display: str, text: str, config: FolderConfig, module: str, is_package: bool,
                 index: ProjectIndex, project_modules: Sequence[str]) -> BufferCheck:
    """``text`` analysed as the content of ``path``; the index learns its summary before the
    deferred findings are resolved, as in a run over the whole project."""
    modules = tuple(project_modules) if module in project_modules or not module else tuple(project_modules) + (module,)
    result = analyse_file(path, display, config.settings, config.catalogue, module, is_package, modules,
                          raw=_encoded(text))
    parsed = not any(f.code == NOT_PARSED for f in result.findings)
    if module and parsed:
        index.add(module, result.summary)
    findings = without_displaced_fixes(list(result.findings) + resolve_deferred(index, result.deferred))
    findings.sort(key=lambda f: f.sort_key)
    return BufferCheck(
        findings=[f for f in findings if f.code != INTERNAL_ERROR],
        internal_errors=[f for f in findings if f.code == INTERNAL_ERROR],
        summary=result.summary if parsed else None,
        deps=set(result.project_deps),
    )


def summarise_file(path: str, display: str, config: FolderConfig, module: str, is_package: bool,
                   project_modules: Sequence[str]) -> Tuple[Optional[Dict[str, Any]], Set[str]]:
    """A file on disk's summary and project imports (``None`` when it cannot be read or parsed)."""
    result = analyse_file(path, display, config.settings, config.catalogue, module, is_package, tuple(project_modules))
    if any(f.code == NOT_PARSED for f in result.findings):
        return None, set()
    return result.summary, set(result.project_deps)


def fixed_edits(text: str, findings: Sequence[Finding]) -> List[Tuple[Finding, Tuple[Edit, ...]]]:
    """Each fixable finding with the edits its fix alone makes to ``text`` (libcst parses once)."""
    fixable = [f for f in findings if f.fix is not None]
    if not fixable:
        return []
    try:
        parsed = Parsed(text)
    except Exception:  # libcst cannot parse what ``ast`` could: no fix can be computed
        return []
    out = []
    for finding in fixable:
        edited = with_edits(parsed, finding)
        if edited.fix is not None and edited.fix.edits:
            out.append((finding, edited.fix.edits))
    return out


def fix_all(path: str, display: str, text: str, config: FolderConfig, module: str, is_package: bool,
            index: ProjectIndex, findings: Sequence[Finding]) -> Optional[str]:
    """The text after ``--fix`` (safe fixes; unsafe too when the configuration says so), re-checked
    until nothing more is fixable; ``None`` when nothing changes."""
    job = Job(path=path, display=display, module=module, is_package=is_package, raw=_encoded(text))
    project = RunResult(findings=[], files=1, results={}, index=index)
    outcome = fix_one(job, list(findings), config.settings, config.catalogue, project, config.unsafe_fixes)
    if outcome is None or outcome.text == text:
        return None
    return outcome.text


def finding_to_data(finding: Finding) -> Dict[str, Any]:
    return finding.to_dict()


def finding_from_data(data: Any) -> Optional[Finding]:
    try:
        return Finding.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None

