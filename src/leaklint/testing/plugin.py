"""The pytest plugin: ``pytest --leaklint`` (or ini ``leaklint = true``) fails the tests that leak.

Off by default. The checks themselves live in ``_checker`` and are imported only when turned on, so
installing leaklint adds nothing to anyone's test runs but this module's options and marker.
"""

from __future__ import annotations

import pytest

from leaklint.testing._kinds import Kind

MARKER = "leaklint_allow"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("leaklint", "leak checks at run time")
    group.addoption("--leaklint", action="store_true", default=False,
                    help="fail every test that leaks threads, asyncio tasks, file descriptors, "
                         "child processes or resource warnings")
    parser.addini("leaklint", type="bool", default=False, help="check every test for leaks (as --leaklint)")
    parser.addini("leaklint_grace", default="1.0",
                  help="seconds a thread, task or child process may take to finish after its test (1.0)")
    parser.addini("leaklint_tracemalloc", default="0",
                  help="frames tracemalloc keeps per allocation while the checks run, so every leaked "
                       "object can say where it was made (0, the default: off; it slows tests 2-7x)")


def pytest_configure(config: pytest.Config) -> None:
    kinds = ", ".join(f'"{k.value}"' for k in Kind)
    config.addinivalue_line("markers", f"{MARKER}(*kinds): exempt this test from leaklint's checks of "
                                       f"these kinds ({kinds})")
    if config.getoption("leaklint") or config.getini("leaklint"):
        from leaklint.testing._checker import LeakChecker

        grace = _number(config, "leaklint_grace", float)
        frames = _number(config, "leaklint_tracemalloc", int)
        config.pluginmanager.register(LeakChecker(config, grace, int(frames)), LeakChecker.NAME)


def _number(config: pytest.Config, name: str, kind: type) -> float:
    raw = config.getini(name)
    try:
        value = kind(raw)
    except ValueError:
        raise pytest.UsageError(f"{name} must be a {kind.__name__}, not {raw!r}") from None
    if value < 0:
        raise pytest.UsageError(f"{name} must not be negative, got {raw!r}")
    return value


def allowed_kinds(item: pytest.Item) -> set[Kind]:
    """The kinds a test's ``leaklint_allow`` markers name; an unknown name is a usage error."""
    names = {k.value: k for k in Kind}
    allowed: set[Kind] = set()
    for mark in item.iter_markers(name=MARKER):
        if not mark.args:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{MARKER}() needs at least one kind "
                                    f"({', '.join(names)})")
        for arg in mark.args:
            if arg not in names:
                raise pytest.UsageError(f"{item.nodeid}: unknown kind {arg!r} in @pytest.mark.{MARKER}; "
                                        f"the kinds are {', '.join(names)}")
            allowed.add(names[arg])
    return allowed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        allowed_kinds(item)
