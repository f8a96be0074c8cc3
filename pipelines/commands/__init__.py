"""The `colordisc` command line, one module per command group (pipelines/commands/app.py lists
them). It sits above the library and the pipeline and imports both; the library imports none of it."""

from pipelines.commands.app import build_parser, main

__all__ = ["build_parser", "main"]
