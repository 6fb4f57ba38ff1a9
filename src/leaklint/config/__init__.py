"""The settings of a run: [tool.leaklint], the rule catalogues, the generated registry."""

# where each rule's documentation (docs/rules/CODE.md of this repository) is published
DOCS_URL = "https://github.com/leaklint/leaklint/blob/main/docs/rules/"


def doc_url(code: str) -> str:
    """The address of the documentation of rule ``code``."""
    return f"{DOCS_URL}{code}.md"
