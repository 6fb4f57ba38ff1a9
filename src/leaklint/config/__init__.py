"""The settings of a run: [tool.leaklint], the rule catalogues, the generated registry."""
