"""Knowledge as data: the TOML catalogues in ``rules/``, merged with ``[tool.leaklint]`` extensions.

Each catalogue file has a ``[schema]`` table that declares its sections: a section whose schema
is a string holds plain values of that type (``[returns] "requests.session" = "requests.Session"``);
a section whose schema is a table holds entries with those fields
(``[calls."requests.get"] timeout-keyword = "timeout"``). User extensions use the same shape under
``[tool.leaklint.<catalogue>]`` and are validated against the same schema.
"""

from __future__ import annotations

import copy
import sys
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Dict, List, Mapping

if TYPE_CHECKING:
    from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

TYPE_CHECKS = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    "list[int]": lambda v: isinstance(v, list) and all(isinstance(i, int) for i in v),
}


def rules_dir() -> Path:
    """The shipped catalogues: inside the wheel as ``leaklint/_rules``, in a checkout as ``rules/``."""
    from pathlib import Path  # imported here: a run served from the cache reads no catalogue

    packaged = Path(__file__).resolve().parents[1] / "_rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "rules"


@lru_cache(maxsize=None)
def _load_shipped() -> Dict[str, Dict[str, Any]]:
    out: Dict[str, Dict[str, Any]] = {}
    directory = rules_dir()
    for path in sorted(directory.glob("*.toml")):
        with open(path, "rb") as handle:
            out[path.stem] = tomllib.load(handle)
    return out


def catalogue_names() -> List[str]:
    return sorted(_load_shipped())


def catalogue_sections(name: str) -> List[str]:
    """The sections a catalogue's ``[schema]`` declares."""
    return sorted(_load_shipped().get(name, {}).get("schema", {}))


def validate_extension(name: str, data: Any, where: str) -> List[str]:
    """Errors in a user extension of catalogue ``name`` (empty when it is valid)."""
    shipped = _load_shipped().get(name)
    if shipped is None:
        return [f"{where}: unknown catalogue {name!r}"]
    schema = shipped.get("schema", {})
    errors: List[str] = []
    if not isinstance(data, dict):
        return [f"{where}: expected a table of sections ({', '.join(sorted(schema))})"]
    for section, entries in data.items():
        if section not in schema:
            errors.append(f"{where}.{section}: unknown section; expected one of {', '.join(sorted(schema))}")
            continue
        sect_schema = schema[section]
        if not isinstance(entries, dict):
            errors.append(f"{where}.{section}: expected a table")
            continue
        for key, entry in entries.items():
            loc = f"{where}.{section}.{key!r}" if "." in key else f"{where}.{section}.{key}"
            if isinstance(sect_schema, str):
                if not TYPE_CHECKS[sect_schema](entry):
                    errors.append(f"{loc}: expected {sect_schema}, got {type(entry).__name__}")
                continue
            if not isinstance(entry, dict):
                errors.append(f"{loc}: expected a table with keys {', '.join(sorted(sect_schema))}")
                continue
            for field, value in entry.items():
                expected = sect_schema.get(field)
                if expected is None:
                    errors.append(f"{loc}.{field}: unknown key; expected one of {', '.join(sorted(sect_schema))}")
                elif not TYPE_CHECKS[expected](value):
                    errors.append(f"{loc}.{field}: expected {expected}, got {type(value).__name__}")
    return errors


class Catalogue:
    """All catalogues, shipped and extended: ``catalogue["blocking-calls"]["calls"]``."""

    def __init__(self, extensions: Mapping[str, Mapping[str, Any]] | None = None):
        merged = copy.deepcopy(_load_shipped())
        for name, sections in (extensions or {}).items():
            target = merged.setdefault(name, {})
            for section, entries in sections.items():
                target.setdefault(section, {}).update(copy.deepcopy(entries))
        self._data = merged

    def __getitem__(self, name: str) -> Dict[str, Any]:
        return self._data.get(name, {})

    def section(self, name: str, section: str) -> Dict[str, Any]:
        return self._data.get(name, {}).get(section, {})
