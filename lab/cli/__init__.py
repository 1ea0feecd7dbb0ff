"""The command line, ``python -m lab``: `commands` (run a lab, saved runs), `sweep`, and the `settings` they share."""

from lab.cli.commands import main

__all__ = ["main"]
