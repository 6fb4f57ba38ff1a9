"""leaklint: finds the hazards that make Python services decay."""

__version__ = "0.1.0"

# where each rule's documentation (docs/rules/CODE.md of this repository) is published
DOCS_URL = "https://github.com/leaklint/leaklint/blob/main/docs/rules/"


def doc_url(code: str) -> str:
    """The address of the documentation of rule ``code``."""
    return f"{DOCS_URL}{code}.md"
