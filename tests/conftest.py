import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def _no_user_cache(monkeypatch, tmp_path):
    # tests run from a temporary cwd so no cache or config leaks between them
    monkeypatch.chdir(tmp_path)
    yield
