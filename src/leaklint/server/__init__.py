"""``leaklint server``: the Language Server Protocol over stdio, for editors.

The server runs the same analysis as ``leaklint check`` on the unsaved text of open files, with
the project index of each workspace folder, and offers the fixes as code actions. It needs the
``server`` extra (pygls); this module imports nothing of it until the server starts, so the base
command line never pays for it.
"""

from __future__ import annotations

import sys

INSTALL_HINT = "leaklint: the language server needs pygls: pip install 'leaklint[server]'"
EXIT_MISSING_EXTRA = 2


def serve() -> int:
    """Run the server on stdin/stdout until the client says exit; the process's exit status."""
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return EXIT_MISSING_EXTRA
    from leaklint.server.protocol import run

    return run()
