"""Run leaklint in-process on files or source text, the way the CLI does."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from click.testing import CliRunner

from leaklint.config.catalogue import tomllib
from leaklint.cli import main
from leaklint.config.settings import Settings, apply_table, default_options
from leaklint.run.analyse import Job, RunResult, analyse_jobs
from leaklint.findings import Finding


def write(path: str, text: str) -> Path:
    """Write ``text`` to ``path``, making its folders."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def settings_for(select: Sequence[str] = ("LL",), config_lines: Iterable[str] = (), root: str = ".") -> Settings:
    settings = Settings(options=default_options(), root=root)
    text = "\n".join(config_lines)
    if text.strip():
        apply_table(settings, tomllib.loads(text), "fixture: ")
    settings.select = tuple(select)
    return settings


def check_files(paths: Sequence[Path], settings: Settings, workers: int = 1) -> RunResult:
    work = [Job(path=str(p), display=str(p)) for p in paths]
    return analyse_jobs(work, settings, workers=workers, use_cache=False)


def check_source(source: str, select: Sequence[str] = ("LL",), config_lines: Iterable[str] = (),
                 filename: str = "example.py") -> List[Finding]:
    settings = settings_for(select, config_lines)
    job = Job(path=filename, display=filename, raw=source.encode("utf-8"))
    return analyse_jobs([job], settings, workers=1, use_cache=False).findings


def codes(findings: Sequence[Finding]) -> List[str]:
    return [f.code for f in findings]


def cli(*args: str, input: Optional[str] = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
