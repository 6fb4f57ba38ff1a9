"""What names and values mean: scopes, imports, bindings, the project index, astroid on demand."""

from leaklint.semantic.model import Binding, Model, Scope

__all__ = ["Binding", "Model", "Scope"]
