"""The check command, step by step."""
