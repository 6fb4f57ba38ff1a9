"""Command line: ``leaklint check``, ``leaklint rules``, ``leaklint rule CODE``, ``leaklint server``."""

from __future__ import annotations

import os
import sys
from typing import List, Sequence, Tuple

import click

from leaklint import __version__
from leaklint.config.settings import TARGET_VERSIONS

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "github", "sarif")


def _split_codes(values: Sequence[str]) -> List[str]:
    out: List[str] = []
    for value in values:
        out.extend(c.strip().upper() for c in value.split(",") if c.strip())
    return out


def _reports(ctx, param, values: Sequence[str]) -> List[Tuple[str, str]]:
    out = []
    for value in values:
        fmt, sep, path = value.partition(":")
        if not sep or fmt not in FORMATS or not path:
            raise click.BadParameter(f"{value!r}: expected FORMAT:FILE with FORMAT one of {', '.join(FORMATS)}",
                                     ctx=ctx, param=param)
        out.append((fmt, path))
    return out


class LeaklintGroup(click.Group):
    def main(self, *args, **kwargs):  # usage errors exit 2 (click's default) and never trace
        # a file name that is not valid UTF-8 reaches us with surrogates: print its original bytes
        for stream in (sys.stdout, sys.stderr):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="surrogateescape")
        try:
            return super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(EXIT_ERROR)
        except click.exceptions.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(EXIT_ERROR)
        except Exception as exc:  # a bug must exit 2, never 1 (which means "findings")
            import traceback

            frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            where = f" at {frame.filename.rsplit(os.sep, 1)[-1]}:{frame.lineno}" if frame else ""
            click.echo(f"leaklint: internal error: {type(exc).__name__}: {exc}{where}", err=True)
            sys.exit(EXIT_ERROR)


@click.group(cls=LeaklintGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="leaklint", message="%(prog)s %(version)s")
def main() -> None:
    """leaklint finds the hazards that make Python services decay: blocking calls without
    timeouts, unbounded metric labels, caches that remember failures, leaked resources."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(readable=False))  # leaklint says why it cannot read one
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (comma-separated).")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--extend-select", multiple=True, help="Codes or prefixes to enable on top of the selection.")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--github-level", type=click.Choice(["error", "warning", "notice"]),
              help="Level of `--format github` annotations (default: `github-level` from the configuration, else error).")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False), help="Write the report to a file.")
@click.option("--report", "reports", multiple=True, metavar="FORMAT:FILE", callback=_reports,
              help="Also write the findings in FORMAT to FILE (repeatable): one run, several reports.")
@click.option("--fix", is_flag=True, help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff, also apply unsafe fixes.")
@click.option("--fix-only", is_flag=True,
              help="Apply fixes; report only what could not be read or fixed, not the findings left.")
@click.option("--fix-read-only", is_flag=True, help="With --fix, also rewrite files whose mode is read-only.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Count findings per rule.")
@click.option("--timings", is_flag=True, help="Report time per phase on stderr.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="Use this configuration file.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, help="Worker processes (default: CPU count).")
@click.option("--quiet", "-q", is_flag=True, help="Print findings only, no summary.")
@click.option("--stdin-filename", help="The path to report for source read from stdin (`-`).")
@click.option("--baseline", type=click.Path(dir_okay=False), help="Report only findings not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False), help="Record the current findings in this baseline file.")
@click.option("--target-version", type=click.Choice(list(TARGET_VERSIONS)),
              help="The Python grammar the code is written for (default: the newest, py314).")
@click.option("--diff-only", "--new-from-rev", "diff_only", metavar="REV",
              help="Report only findings on lines changed since git revision REV (and in untracked files).")
def check(paths: Tuple[str, ...], select, ignore, extend_select, output_format, github_level, output_file, reports, fix,
          unsafe_fixes, fix_only, fix_read_only, diff, exit_zero, statistics, timings, config_path, no_cache, jobs, quiet,
          stdin_filename, baseline, write_baseline, target_version, diff_only) -> None:
    """Check PATHS (files or directories; default `.`; `-` reads stdin)."""
    from leaklint.run.check import CheckOptions, Report, run_check

    options = CheckOptions(
        paths=list(paths) or ["."], select=_split_codes(select), ignore=_split_codes(ignore),
        extend_select=_split_codes(extend_select), output_format=output_format, github_level=github_level,
        output_file=output_file, reports=[Report(fmt, path) for fmt, path in reports],
        fix=fix or fix_only, unsafe_fixes=unsafe_fixes, fix_only=fix_only, fix_read_only=fix_read_only, diff=diff, exit_zero=exit_zero, statistics=statistics,
        timings=timings, config_path=config_path, use_cache=not no_cache, workers=jobs, quiet=quiet,
        stdin_filename=stdin_filename, baseline=baseline, write_baseline=write_baseline, diff_only=diff_only,
        target_version=target_version,
    )
    sys.exit(run_check(options))


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text")
def rules_command(output_format: str) -> None:
    """List every rule: code, name, family and fix availability."""
    from leaklint.checks import all_rules

    rules = all_rules()
    if output_format == "json":
        import json

        click.echo(json.dumps([{"code": r.code, "name": r.name, "family": r.family, "fix": r.fix,
                                "summary": r.summary} for r in rules], indent=2))
        return
    if output_format == "markdown":
        click.echo(rules_table_markdown())
        return
    for r in rules:
        fix = r.fix or "-"
        click.echo(f"{r.code}  {r.name:<36} {r.family:<12} fix: {fix}")


def rules_table_markdown() -> str:
    from leaklint.checks import all_rules

    lines = ["| Code | Name | Family | Fix | What it finds |", "| --- | --- | --- | --- | --- |"]
    for r in all_rules():
        lines.append(f"| [{r.code}](docs/rules/{r.code}.md) | `{r.name}` | {r.family} | {r.fix or '-'} | {r.summary} |")
    return "\n".join(lines)


@main.command("rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Print the documentation of rule CODE (a code such as LL101, or a name such as
    blocking-call-without-timeout)."""
    from leaklint.checks import all_rules

    wanted = code.strip().lower()
    rule = next((r for r in all_rules() if wanted in (r.code.lower(), r.name)), None)
    if rule is None:
        raise click.BadParameter(f"unknown rule code or name {code!r}; `leaklint rules` lists them",
                                 param_hint="CODE")
    click.echo(rule.render_doc())


@main.command("server")
def server_command() -> None:
    """Run the language server on stdin/stdout, for editors (needs `pip install 'leaklint[server]'`)."""
    from leaklint.server import serve

    sys.exit(serve())


if __name__ == "__main__":
    main()
