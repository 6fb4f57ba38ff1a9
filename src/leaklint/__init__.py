"""leaklint: finds the hazards that make Python services decay."""

__version__ = "0.1.0"
