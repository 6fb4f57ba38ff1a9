"""Hosts that run leaklint inside another tool (flake8)."""
