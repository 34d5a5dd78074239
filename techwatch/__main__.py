"""`python -m techwatch [--data FILE] [--out DIR]`."""

import sys

from techwatch.cli import main

sys.exit(main())
