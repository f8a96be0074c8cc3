"""The `colordisc` console script's entry point (setup.py: pipelines.cli:main; `python -m pipelines.cli`).
The commands live in pipelines/commands/, one module per command group."""

import sys

from pipelines.commands import build_parser, main

__all__ = ["main", "build_parser"]

if __name__ == "__main__":
    sys.exit(main())
