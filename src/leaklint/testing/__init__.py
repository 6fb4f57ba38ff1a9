"""Run-time proof that work stops: assertions for any test framework, and the ``pytest --leaklint`` plugin.

``assert_cancellation_stops`` and ``assert_timeout_stops`` need nothing but the standard library; the
pytest plugin lives in ``leaklint.testing.plugin`` and is registered through the ``pytest11`` entry point.
"""

from leaklint.testing._stops import assert_cancellation_stops, assert_timeout_stops

__all__ = ["assert_cancellation_stops", "assert_timeout_stops"]
