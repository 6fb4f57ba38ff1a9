"""``[tool.leaklint]``: find it, validate it strictly, and turn it into ``Settings``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from leaklint import __version__
from leaklint.config import registry
from leaklint.cache.digest import blake2b
from leaklint.config.catalogue import TYPE_CHECKS, catalogue_names, catalogue_sections, tomllib, validate_extension

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "build", "dist", "__pycache__",
    "node_modules", ".tox", ".nox", "site-packages", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", ".leaklint_cache", "*.egg-info", ".eggs",
)
CONFIG_FILES = (".leaklint.toml", "leaklint.toml", "pyproject.toml")
GITHUB_LEVELS = ("error", "warning", "notice")  # the workflow commands an annotation can be


# the grammars ``target-version`` names (``py39`` ... ``py314``); code is parsed as the newest
# by default, whatever interpreter leaklint runs on (see ``leaklint.files.syntax``)
TARGET_VERSIONS = {f"py3{minor}": (3, minor) for minor in range(9, 15)}
NEWEST_TARGET = (3, 14)


def parse_target_version(value: Any, where: str) -> Tuple[int, int]:
    if not isinstance(value, str) or value not in TARGET_VERSIONS:
        raise ConfigError(f"{where}: expected one of {', '.join(TARGET_VERSIONS)}, got {value!r}")
    return TARGET_VERSIONS[value]


class ConfigError(Exception):
    """A configuration problem; the message names the file and the key."""


@dataclass
class Settings:
    select: Tuple[str, ...] = ("LL",)
    ignore: Tuple[str, ...] = ()
    extend_select: Tuple[str, ...] = ()
    per_file_ignores: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    exclude: Tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: Tuple[str, ...] = ()
    options: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    catalogue_extensions: Dict[str, Any] = field(default_factory=dict)
    unsafe_fixes: bool = False
    github_level: str = "error"  # of `--format github` annotations: output only, not in the fingerprint
    target_version: Tuple[int, int] = NEWEST_TARGET
    root: str = "."
    config_path: Optional[str] = None

    def option(self, family: str, name: str) -> Any:
        return self.options[family][name]

    def fingerprint(self) -> str:
        """What the analysis of a file depends on besides its content."""
        data = {
            "version": __version__,
            "select": self.select, "ignore": self.ignore, "extend_select": self.extend_select,
            "per_file_ignores": self.per_file_ignores, "options": self.options,
            "catalogue": self.catalogue_extensions, "target_version": self.target_version,
        }
        return blake2b(json.dumps(data, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()

    def is_enabled(self, code: str, extra_ignores: Sequence[str] = ()) -> bool:
        best_select = max((len(p) for p in self.select + self.extend_select if code.startswith(p)), default=-1)
        best_ignore = max((len(p) for p in tuple(self.ignore) + tuple(extra_ignores) if code.startswith(p)), default=-1)
        if code in ("LL001", "LL002", "LL003"):
            return best_ignore < len(code)
        return best_select > best_ignore


def default_options() -> Dict[str, Dict[str, Any]]:
    """Every family's options at their defaults (fresh lists: settings are changed in place)."""
    return {family: {name: list(default) if isinstance(default, list) else default
                     for name, (_, default) in options.items()}
            for family, options in registry.OPTIONS.items()}


def find_config(start: "os.PathLike[str] | str") -> Optional[str]:
    """The nearest config file at or above ``start``; a pyproject.toml counts only with [tool.leaklint]."""
    current = os.fspath(start)
    current = os.path.realpath(current if os.path.isdir(current) else os.path.dirname(current) or ".")
    while True:
        for name in CONFIG_FILES:
            candidate = os.path.join(current, name)
            if not os.path.isfile(candidate):
                continue
            if name != "pyproject.toml":
                return candidate
            try:
                with open(candidate, "rb") as handle:
                    data = tomllib.load(handle)
            except (OSError, tomllib.TOMLDecodeError):
                return candidate  # report its error when loading
            if isinstance(data.get("tool"), dict) and "leaklint" in data["tool"]:
                return candidate
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _codes(value: Any, where: str, known: Sequence[str]) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes or prefixes (e.g. [\"LL1\", \"LL201\"])")
    for code in value:
        validate_code(code, where, known)
    return tuple(value)


def validate_code(code: str, where: str, known: Sequence[str]) -> None:
    if not any(k.startswith(code) for k in known) or not code:
        raise ConfigError(f"{where}: unknown rule code or prefix {code!r} (known codes: {', '.join(known)})")


def _str_list(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def load_settings(config_path: "os.PathLike[str] | str | None",
                  search_from: "os.PathLike[str] | str | None" = None) -> Settings:
    """Settings from ``config_path`` (``--config``) or from the file found above ``search_from``."""
    if config_path is None and search_from is not None:
        config_path = find_config(search_from)
    settings = Settings(options=default_options())
    if config_path is None:
        settings.root = os.getcwd()
        return settings
    config_path = os.path.normpath(os.fspath(config_path))
    try:
        with open(config_path, "rb") as handle:
            text = handle.read().decode("utf-8")
        data = tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(f"{config_path}: configuration file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{config_path}: is a directory, expected a TOML file") from None
    except OSError as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: {_toml_position(str(exc), text)}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{config_path}: invalid TOML: not UTF-8 ({exc.reason})") from None
    prefix = "tool.leaklint"
    if os.path.basename(config_path) == "pyproject.toml":
        table = data.get("tool", {}).get("leaklint", {}) if isinstance(data.get("tool"), dict) else {}
    else:
        table, prefix = data, ""
    where = f"{config_path}: " + (prefix + "." if prefix else "")
    settings.root = os.path.dirname(os.path.realpath(config_path))
    settings.config_path = str(config_path)
    apply_table(settings, table, where)
    return settings


def _toml_position(message: str, text: str) -> str:
    """tomllib says "at end of document" for unclosed brackets and strings; give its line:column."""
    if message.endswith("(at end of document)"):
        lines = text.split("\n")
        message = message[:-1] + f", line {len(lines)}, column {len(lines[-1]) + 1})"
    return message


def apply_table(settings: Settings, table: Mapping[str, Any], where: str) -> None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where.rstrip('.')}: expected a table")
    known = registry.CODES
    families = registry.OPTIONS
    catalogues = catalogue_names()
    for key, value in table.items():
        loc = f"{where}{key}"
        if key == "select":
            settings.select = _codes(value, loc, known)
        elif key == "ignore":
            settings.ignore = _codes(value, loc, known)
        elif key == "extend-select":
            settings.extend_select = _codes(value, loc, known)
        elif key == "exclude":
            settings.exclude = _str_list(value, loc)
        elif key == "extend-exclude":
            settings.extend_exclude = _str_list(value, loc)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(f"{loc}: expected true or false, got {type(value).__name__}")
            settings.unsafe_fixes = value
        elif key == "github-level":
            if value not in GITHUB_LEVELS:
                raise ConfigError(f"{loc}: expected one of {', '.join(map(repr, GITHUB_LEVELS))}, got {value!r}")
            settings.github_level = value
        elif key == "target-version":
            settings.target_version = parse_target_version(value, loc)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{loc}: expected a table of glob = [codes]")
            settings.per_file_ignores = {g: _codes(c, f"{loc}.{g!r}", known) for g, c in value.items()}
        elif key in families:
            if not isinstance(value, dict):
                raise ConfigError(f"{loc}: expected a table of options ({', '.join(sorted(families[key]))})")
            if key in catalogues:
                # a family and a catalogue of the same name (``caches``) share one table:
                # the catalogue's sections extend it, the other keys are options
                sections = set(catalogue_sections(key))
                extension = {k: v for k, v in value.items() if k in sections}
                value = {k: v for k, v in value.items() if k not in sections}
                if extension:
                    errors = validate_extension(key, extension, loc)
                    if errors:
                        raise ConfigError("\n".join(errors))
                    settings.catalogue_extensions[key] = extension
            for opt_name, opt_value in value.items():
                spec = families[key].get(opt_name)
                if spec is None:
                    choices = ", ".join(sorted(families[key])) or "none"
                    raise ConfigError(f"{loc}.{opt_name}: unknown option; {key} options are: {choices}")
                opt_type = spec[0]
                if not TYPE_CHECKS[opt_type](opt_value):
                    raise ConfigError(f"{loc}.{opt_name}: expected {opt_type}, got {type(opt_value).__name__}")
                settings.options[key][opt_name] = opt_value
        elif key in catalogues:
            errors = validate_extension(key, value, loc)
            if errors:
                raise ConfigError("\n".join(errors))
            settings.catalogue_extensions[key] = value
        else:
            # a family and a catalogue may share a name (``caches``): each name once
            expected = dict.fromkeys(["select", "ignore", "extend-select", "per-file-ignores", "exclude",
                                      "extend-exclude", "unsafe-fixes", "github-level", "target-version",
                                      *sorted(families), *catalogues])
            raise ConfigError(f"{loc}: unknown key; expected one of {', '.join(expected)}")
