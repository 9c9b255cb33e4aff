"""Operators' command-line tools (`python -m tools.<name>`)."""
