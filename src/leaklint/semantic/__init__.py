"""What names and values mean: scopes, imports, bindings, the project index, astroid on demand.

The modules are imported by what uses them: ``model`` by the analysis, ``project`` by the engine,
``inference`` (astroid) only when a rule needs it."""
