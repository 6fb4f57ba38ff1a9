"""Print the findings of one fixture folder as JSON lines, on whichever interpreter runs this.

Run by ``test_syntax.py`` under each Python it finds, with ``src`` on the path; it imports only
leaklint's analysis (no click, libcst or astroid), so a bare interpreter can run it.
"""

import json
import sys
from pathlib import Path

from leaklint.config.settings import Settings, default_options
from leaklint.run.analyse import Job, analyse_jobs


def main(folder: str) -> None:
    files = sorted(Path(folder).glob("*.py"))
    settings = Settings(options=default_options(), root=folder)
    settings.select = ("LL",)
    result = analyse_jobs([Job(path=str(p), display=p.name) for p in files], settings, workers=1, use_cache=False)
    for f in sorted(result.findings, key=lambda f: (f.path, f.line, f.column, f.code)):
        print(json.dumps([f.path, f.line, f.column, f.end_line, f.end_column, f.code, f.message]))


if __name__ == "__main__":
    main(sys.argv[1])
