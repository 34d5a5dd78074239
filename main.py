"""Command-line entry point for every job: `python main.py --help`."""

import sys

from scoring.cli.commands import main

if __name__ == "__main__":
    sys.exit(main())
